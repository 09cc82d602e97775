"""JSON Schema building blocks for the REST API's records and request bodies.

One copy of each primitive (dates, money, ids...), used by the resource
declarations and by the OpenAPI document built from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Schema = dict[str, Any]

#: What rest_parse_date accepts, with month, day and time fields narrowed to their
#: ranges (the server's pattern takes any two digits, then refuses an impossible
#: date such as 2024-02-30 with a 400 "Invalid date.").
QUERY_DATE_PATTERN = (
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt ]([01]\d|2[0-3]):[0-5]\d:[0-5]\d"
    r"(\.\d+)?(Z|[+-]\d{2}(:\d{2})?)?$"
)
#: wc_rest_prepare_date_response: no fraction, no zone.
RESPONSE_DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"
MONEY_PATTERN = r"^-?\d+(\.\d+)?$"
#: PHP's is_numeric, as simulator.params reads amounts (no anchors: embedded below).
NUMERIC_PATTERN = r"[ \t\n\r\v\f]*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?[ \t\n\r\v\f]*"

DATE: Schema = {"type": "string", "pattern": RESPONSE_DATE_PATTERN}
NULLABLE_DATE: Schema = {"type": ["string", "null"], "pattern": RESPONSE_DATE_PATTERN}
MONEY: Schema = {"type": "string", "pattern": MONEY_PATTERN}
#: Raw stored amounts ("0.9") and the empty subtotal of shipping/fee taxes.
RAW_AMOUNT: Schema = {"type": "string", "pattern": r"^(-?\d+(\.\d+)?)?$"}
STRING: Schema = {"type": "string"}
NULLABLE_STRING: Schema = {"type": ["string", "null"]}
INTEGER: Schema = {"type": "integer"}
NULLABLE_INTEGER: Schema = {"type": ["integer", "null"]}
NON_NEGATIVE: Schema = {"type": "integer", "minimum": 0}
NUMBER: Schema = {"type": "number"}
BOOLEAN: Schema = {"type": "boolean"}
ANY: Schema = {}
URI: Schema = {"type": "string", "format": "uri"}
EMAIL: Schema = {"type": "string", "format": "email"}
INTEGER_LIST: Schema = {"type": "array", "items": INTEGER}
STRING_LIST: Schema = {"type": "array", "items": STRING}
#: wp_parse_id_list with no validator: any value, read through absint ("abc" is id 0,
#: which matches nothing), so the documented items are strings.
ID_LIST: Schema = {"type": "array", "items": STRING}
EMPTY_LIST: Schema = {"type": "array", "maxItems": 0}
#: A money amount in a request: a string PHP's is_numeric takes ("5", " 5", "1e2",
#: ".5"), or "" / null to clear it. WooCommerce registers amounts as type string, so a
#: JSON number is refused as "not of type string".
AMOUNT_INPUT: Schema = {"type": ["string", "null"], "pattern": f"^(|{NUMERIC_PATTERN})$"}


def enum(choices: Sequence[str]) -> Schema:
    """A string out of ``choices`` (each listed once, in order)."""
    return {"type": "string", "enum": list(dict.fromkeys(choices))}


def write_only(schema: Schema, description: str = "") -> Schema:
    """An input accepted and never rendered (passwords, secrets)."""
    marked: Schema = {**schema, "writeOnly": True}
    if description:
        marked["description"] = description
    return marked


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def strict_object(properties: dict[str, Schema], *, optional: Sequence[str] = ()) -> Schema:
    """A response object: exactly these fields, all present unless ``optional``."""
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": False,
    }


def input_object(properties: dict[str, Schema], *, required: Sequence[str] = ()) -> Schema:
    """A request object: unknown fields are ignored by the server, as WordPress ignores them."""
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


def links(*rels: str, optional: Sequence[str] = ()) -> Schema:
    """``_links``: each rel a list of links; ``self`` with WordPress 6.7's targetHints."""
    href = strict_object({"href": URI})
    hints = strict_object({"allow": {"type": "array", "items": STRING}})
    shapes: dict[str, Schema] = {
        "self": strict_object({"href": URI, "targetHints": hints}, optional=("targetHints",)),
        "email_templates": strict_object({"embeddable": BOOLEAN, "href": URI}),
    }
    return strict_object(
        {rel: {"type": "array", "items": shapes.get(rel, href), "minItems": 1} for rel in rels},
        optional=optional,
    )
