"""Resource declarations: each record's fields, declared once.

A :class:`Declaration` lists a record's fields in the order WooCommerce renders
them. From it come the key order of the rendering (:func:`keys`,
:func:`ordered`), the fields a create or update accepts (:func:`writable`,
:func:`required`) and the OpenAPI response and request schemas
(:func:`response_schema`, :func:`input_schema`).

Plain frozen dataclasses rather than pydantic models: the declarations describe
JSON, they never validate a record, so rendering (a hot path) costs one dict
comprehension over a cached key tuple and nothing more.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from simulator.resources.schema import Schema, input_object, ref, strict_object

#: The ``context`` values of a read: edit adds fields only an editor sees.
CONTEXTS = ("view", "edit")
ALL_CONTEXTS = frozenset(CONTEXTS)
EDIT_ONLY = frozenset({"edit"})

#: When a field is writable: never, on create and update, or only on one of them.
Write = Literal[False, True, "create", "update"]


@dataclass(frozen=True, eq=False)
class Field:
    """One field of a record or of a request body.

    ``schema`` describes the rendered value, ``shape`` a nested object instead
    (``many``: a list of them). A field without either is write-only: accepted,
    never rendered. ``input`` is the request schema when it differs from the
    rendered one.
    """

    name: str
    schema: Schema | None = None
    shape: Declaration | None = None
    many: bool = False
    writable: Write = False
    input: Schema | None = None
    #: Required in a create body (in a nested object: whenever the object is given).
    required: bool = False
    #: The read contexts that render the field.
    contexts: frozenset[str] = ALL_CONTEXTS

    @property
    def rendered(self) -> bool:
        return self.schema is not None or self.shape is not None

    def writable_on(self, creating: bool | None) -> bool:
        """Whether a create (``True``), an update (``False``) or either (``None``) takes it."""
        if self.writable is False:
            return False
        if self.writable is True or creating is None:
            return True
        return self.writable == ("create" if creating else "update")


@dataclass(frozen=True, eq=False)
class Declaration:
    """A record (or nested object) as WooCommerce renders it: ordered fields and a title.

    ``shared``: the OpenAPI document lists the object once under its title in
    ``components/schemas`` and refers to it there (addresses, meta data).
    """

    title: str
    fields: tuple[Field, ...]
    shared: bool = False
    description: str = ""

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"{self.title}: fields declared twice: {', '.join(duplicates)}")

    def __iter__(self) -> Iterator[Field]:
        return iter(self.fields)

    def get(self, name: str) -> Field:
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise KeyError(f"{self.title} declares no field {name!r}")


class ShapeError(AssertionError):
    """A rendering whose keys are not the declaration's: a renderer bug."""


# ---------------------------------------------------------------------- rendering
@cache
def keys(decl: Declaration, context: str = "view") -> tuple[str, ...]:
    """The keys a rendering in ``context`` has, in order."""
    return tuple(f.name for f in decl.fields if f.rendered and context in f.contexts)


def ordered(decl: Declaration, data: Mapping[str, Any], context: str = "view") -> dict[str, Any]:
    """``data`` in the declared key order; ShapeError when its keys are not the declared ones."""
    names = keys(decl, context)
    try:
        result = {name: data[name] for name in names}
    except KeyError as missing:
        raise ShapeError(f"{decl.title} ({context}): renderer gave no {missing}") from None
    if len(data) != len(names):
        extra = sorted(set(data) - set(names))
        raise ShapeError(f"{decl.title} ({context}): renderer gave undeclared {extra}")
    return result


def mismatches(decl: Declaration, data: Any, context: str = "view", path: str = "") -> list[str]:
    """Where a rendering (JSON-like) departs from the declaration's keys and order, nested
    objects included; empty when it matches. For tests."""
    where = path or decl.title
    if not isinstance(data, Mapping):
        return [f"{where}: not an object"]
    problems: list[str] = []
    expected = keys(decl, context)
    if tuple(data) != expected:
        problems.append(f"{where}: keys {list(data)} != declared {list(expected)}")
    for f in decl.fields:
        if f.shape is None or f.name not in data:
            continue
        values = data[f.name] if f.many else [data[f.name]]
        for position, value in enumerate(values):
            inner = f"{where}.{f.name}" + (f"[{position}]" if f.many else "")
            problems += mismatches(f.shape, value, context, inner)
    return problems


# ---------------------------------------------------------------------- input
def writable(decl: Declaration, *, creating: bool | None = None) -> tuple[str, ...]:
    """The fields a create (``creating=True``), an update (``False``) or either takes."""
    return tuple(f.name for f in decl.fields if f.writable_on(creating))


def required(decl: Declaration) -> tuple[str, ...]:
    """The fields a create body must have."""
    return tuple(f.name for f in decl.fields if f.required and f.writable_on(True))


# ---------------------------------------------------------------------- schemas
def _list_of(schema: Schema, many: bool) -> Schema:
    return {"type": "array", "items": schema} if many else schema


def field_schema(f: Field) -> Schema:
    """The rendered value's JSON Schema."""
    if f.shape is not None:
        inner = ref(f.shape.title) if f.shape.shared else response_schema(f.shape)
        return _list_of(inner, f.many)
    assert f.schema is not None, f"{f.name} is write-only"
    return f.schema


def field_input_schema(f: Field) -> Schema:
    """The JSON Schema of the field in a request body."""
    if f.input is not None:
        return f.input
    if f.shape is not None:
        return _list_of(input_schema(f.shape, creating=True), f.many)
    assert f.schema is not None, f"{f.name} has no input schema"
    return f.schema


def response_schema(decl: Declaration) -> Schema:
    """Strict: every field present (but those of some contexts only), no others."""
    rendered = [f for f in decl.fields if f.rendered]
    schema = strict_object(
        {f.name: field_schema(f) for f in rendered},
        optional=[f.name for f in rendered if f.contexts != ALL_CONTEXTS],
    )
    if decl.description:
        schema["description"] = decl.description
    return schema


def input_schema(decl: Declaration, *, creating: bool) -> Schema:
    """A create (``creating``) or update body; a nested object's required fields always hold."""
    fields = [f for f in decl.fields if f.writable_on(creating)]
    return input_object(
        {f.name: field_input_schema(f) for f in fields},
        required=[f.name for f in fields if f.required] if creating else (),
    )


def shared_declarations(decl: Declaration) -> Iterator[Declaration]:
    """The shared objects ``decl`` refers to, however deep."""
    for f in decl.fields:
        if f.shape is not None:
            if f.shape.shared:
                yield f.shape
            yield from shared_declarations(f.shape)
