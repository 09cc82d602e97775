"""Reading the declared fields of a create or update body.

The declarations say which fields a route takes (:func:`writable`); these
readers check each value as WordPress's schema validation does, recording
problems on the :class:`~simulator.params.Args` for one 400 naming them all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from simulator.params import Args
from simulator.resources.addresses import BILLING, CUSTOMER_BILLING, CUSTOMER_SHIPPING, SHIPPING
from simulator.resources.declare import Declaration, Field, field_input_schema, writable
from simulator.resources.meta import ITEM_META, META
from simulator.resources.schema import AMOUNT_INPUT, Schema

#: A route's own reader for one field: its value, or None to leave the field out.
Reader = Callable[[Args, str], Any]


def read_fields(
    args: Args,
    decl: Declaration,
    *,
    creating: bool | None,
    readers: Mapping[str, Reader] | None = None,
) -> dict[str, Any]:
    """The declared writable fields ``args`` holds, in declared order.

    Each field is read by the route's own reader when it has one, else by its
    declaration: meta entries by :func:`meta_fields`, an address by
    :func:`address_fields`, a list of objects item by item, a scalar by
    :func:`read_plain`.
    """
    fields: dict[str, Any] = {}
    for field in decl.fields:
        name = field.name
        if not field.writable_on(creating) or not args.has(name):
            continue
        reader = (readers or {}).get(name) or _reader(field)
        if reader is None:
            # A plain value keeps a null: it clears a price, removes a line item...
            fields[name] = read_plain(args, field)
            continue
        value = reader(args, name)
        if value is not None:
            fields[name] = value
    return fields


def _reader(field: Field) -> Reader | None:
    """The reader of a field that is not a plain value, from its declared shape."""
    shape = field.shape
    if shape is None:
        return None
    if shape in (META, ITEM_META):
        return meta_fields
    if shape in (BILLING, CUSTOMER_BILLING, SHIPPING, CUSTOMER_SHIPPING):
        billing = shape in (BILLING, CUSTOMER_BILLING)
        return lambda args, name: address_fields(args, name, billing=billing)
    if field.many:
        return lambda args, name: read_objects(args, name, shape)
    raise TypeError(f"{field.name}: no reader for a single {shape.title}")


def read_objects(args: Args, name: str, decl: Declaration) -> list[dict[str, Any]]:
    """A list of objects (line items, terms...): each item's declared writable fields."""
    result: list[dict[str, Any]] = []
    for position, item in enumerate(args.objects(name)):
        result.append(read_fields(item, decl, creating=None))
        args.nested(name, item, position)
    return result


def read_plain(args: Args, field: Field) -> Any:
    """A scalar field, read by its input schema: amount, enum, e-mail, boolean, integer,
    string; a nullable one keeps a null."""
    name = field.name
    schema = field_input_schema(field)
    if schema is AMOUNT_INPUT:
        args.amount(name)
        return args.values[name]
    kind = schema.get("type")
    if isinstance(kind, list):
        if args.values[name] is None and "null" in kind:
            return None
        kind = next(k for k in kind if k != "null")
    if "enum" in schema:
        choices = schema["enum"]
        return args.enum(name, choices, choices[0])
    if _is_email(schema):
        return args.email(name)
    if kind == "boolean":
        return args.boolean(name, False)
    if kind == "integer":
        return args.integer(name, minimum=schema.get("minimum"))
    if kind == "string":
        return args.string(name)
    raise TypeError(f"{name}: no plain reader for {schema}")


def _is_email(schema: Schema) -> bool:
    formats = [schema, *schema.get("anyOf", ())]
    return any(option.get("format") == "email" for option in formats)


def address_fields(args: Args, name: str, *, billing: bool) -> dict[str, str] | None:
    """A billing/shipping object: string fields; billing e-mail must look like one."""
    sub = args.object(name)
    if sub is None:
        return None
    values: dict[str, str] = {}
    for field in writable(BILLING if billing else SHIPPING):
        if sub.has(field):
            values[field] = sub.email(field) if field == "email" else sub.string(field)
    args.nested(name, sub)
    return values


def meta_fields(args: Args, name: str = "meta_data") -> list[dict[str, Any]] | None:
    """A meta_data list: each entry needs a key (or an id to update by)."""
    if not args.has(name):
        return None
    items = args.objects(name)
    result: list[dict[str, Any]] = []
    for position, item in enumerate(items):
        if not item.has("key") and not item.has("id"):
            args.problem(
                name, "rest_property_required", f"key is a required property of {name}[{position}]."
            )
            continue
        item.string("key")
        if item.has("id"):
            item.integer("id")
        args.nested(name, item, position)
        result.append(dict(item.values))
    return result
