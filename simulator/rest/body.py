"""Reading the declared fields of a create or update body.

The declarations say which fields a route takes (:func:`writable`); these
readers check each value as WordPress's schema validation does, recording
problems on the :class:`~simulator.params.Args` for one 400 naming them all.
"""

from __future__ import annotations

from typing import Any

from simulator.params import Args
from simulator.resources.addresses import BILLING, SHIPPING
from simulator.resources.declare import Field, field_input_schema, writable
from simulator.resources.schema import AMOUNT_INPUT


def read_plain(args: Args, field: Field) -> Any:
    """A scalar field, read by its input schema's type (enum, boolean, integer, amount, string)."""
    name = field.name
    schema = field_input_schema(field)
    if schema is AMOUNT_INPUT:
        args.amount(name)
        return args.values[name]
    if "enum" in schema:
        choices = schema["enum"]
        return args.enum(name, choices, choices[0])
    kind = schema.get("type")
    if kind == "boolean":
        return args.boolean(name, False)
    if kind == "integer":
        return args.integer(name, minimum=schema.get("minimum"))
    if kind == "string":
        return args.string(name)
    raise TypeError(f"{name}: no plain reader for {schema}")


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
