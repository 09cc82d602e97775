"""How each configuration value is read: Cloud Elements' coercions, our checks, and their wording.

Each check raises pydantic's custom error with a message naming the problem; the
models in :mod:`pytest_woosim.instance.config` attach these types to their fields,
and the field path is added when the errors become :class:`~.problems.Problem` items.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError

from pytest_woosim.instance.javadate import MILLISECONDS, DatePatternError, compile_pattern
from pytest_woosim.instance.resource_paths import FieldPathError, parse_field_path
from simulator.wire import boundedjson


def custom_error(kind: str, message: str) -> PydanticCustomError:
    # Without a context pydantic leaves braces in the message alone.
    return PydanticCustomError(kind, message)


def _coerce_bool(value: Any) -> bool:
    """``true``/``false`` or the strings ``"true"``/``"false"`` (any case), as CE sends them."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise custom_error(
        "boolean", 'expected true or false (a JSON boolean or the string "true"/"false")'
    )


def whole_number(
    unit: str, *, minimum: int, maximum: int | None = None, why: str = ""
) -> Callable[[Any], int]:
    def coerce(value: Any) -> int:
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif (isinstance(value, float) and value.is_integer()) or (
            isinstance(value, str) and re.fullmatch(r"\s*[+-]?[0-9]{1,400}\s*", value)
        ):
            number = int(value)
        if number is None:
            raise custom_error(
                "whole_number", f"expected a whole number of {unit} (a number or a numeric string)"
            )
        if number < minimum:
            units = unit.removesuffix("s") if minimum == 1 else unit
            raise custom_error(
                "too_small", f"must be at least {minimum} {units} (got {_shown(number)})"
            )
        if maximum is not None and number > maximum:
            raise custom_error(
                "too_large", f"must be at most {maximum} {unit}{why} (got {_shown(number)})"
            )
        return number

    return coerce


def _control_character(value: str) -> str | None:
    """The first control or invisible formatting character in ``value`` (CR, LF, NUL,
    ESC, DEL, C1 controls, bidi overrides, zero-width marks), as ``U+XXXX at N``."""
    for position, char in enumerate(value, 1):
        if unicodedata.category(char) in ("Cc", "Cf"):
            return f"U+{ord(char):04X} at character {position}"
    return None


def _shown(number: int) -> str:
    """A number for a message: huge ones (``1e308`` read as an int) by their size only."""
    text = str(number)
    return text if len(text) <= 20 else f"a number of {len(text)} digits"


def _check_http_url(value: str) -> str:
    value = value.strip()
    control = _control_character(value)
    if control is not None:
        # A CR/LF would split the request line of every delivery; ESC and bidi
        # controls rewrite the terminal of whoever reads the logs.
        raise custom_error("url", f"contains a control character ({control})")
    try:
        parts = urlsplit(value)
    except ValueError:
        raise custom_error("url", "is not a valid URL") from None
    if parts.scheme not in ("http", "https"):
        got = f"scheme {parts.scheme!r}" if parts.scheme else "no scheme"
        raise custom_error("url", f"must be an http:// or https:// URL (got {got})")
    if not parts.hostname:
        raise custom_error("url", "must name a host (http://host[:port]/...)")
    return value


def _check_field_path(value: str) -> str:
    try:
        parse_field_path(value)
    except FieldPathError as exc:
        raise custom_error("field_path", f"not a field path: {exc}") from None
    return value


def _check_date_format(value: str) -> str:
    if value == MILLISECONDS:
        return value
    try:
        compile_pattern(value)
    except DatePatternError as exc:
        raise custom_error("date_format", _date_format_hint(value, str(exc))) from None
    return value


def _date_format_hint(pattern: str, error: str) -> str:
    message = f"date format {pattern!r} does not compile: {error}"
    if error == "Unterminated quote" and pattern.endswith("'"):
        try:
            compile_pattern(pattern[:-1])
        except DatePatternError:
            return message
        return (
            f"{message}; the pattern ends with a stray quote (as in Cloud Elements' published "
            f"example): use {pattern[:-1]!r}"
        )
    if pattern.lower().startswith("milli"):
        return f"{message}; for epoch milliseconds write exactly {MILLISECONDS!r}"
    if error.startswith("Illegal pattern character"):
        return f"{message}; quote literal letters, e.g. yyyy-MM-dd'T'HH:mm:ss"
    return message


def _check_non_empty(value: str) -> str:
    if not value.strip():
        raise custom_error("empty", "must not be empty")
    return value


def _vendor_type(value: Any) -> str:
    if not isinstance(value, str):
        raise custom_error("vendor_type", 'expected "webhook" or "polling"')
    normal = value.strip().lower()
    if normal == "webhooks":
        raise custom_error(
            "vendor_type", 'use "webhook" (singular): "webhooks" is not a vendor type'
        )
    if normal not in ("webhook", "polling"):
        raise custom_error("vendor_type", f'expected "webhook" or "polling" (got {value!r})')
    return normal


def optional_secret(value: Any) -> Any:
    # The UI sends an empty optional field as "": that means "no signature key".
    if isinstance(value, str) and not value.strip():
        return None
    return value


def poller_object(value: Any) -> Any:
    """``event.poller.configuration`` as sent: an object, or the same object as a JSON string."""
    if value is None:
        return None
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            value = boundedjson.loads(value)
        except boundedjson.JsonProblem as exc:
            raise custom_error(
                "poller_json",
                f"the JSON string is not valid JSON: {exc.detail} at line {exc.line}, "
                f"col {exc.col} of the string",
            ) from None
    if not isinstance(value, Mapping):
        raise custom_error(
            "poller_object",
            "expected an object (or a JSON string of one) mapping resource names "
            "to their polling settings",
        )
    return value


FlexBool = Annotated[bool, BeforeValidator(_coerce_bool)]
HttpUrlText = Annotated[str, AfterValidator(_check_http_url)]
FieldPathText = Annotated[str, AfterValidator(_check_field_path)]
DateFormatText = Annotated[str, AfterValidator(_check_date_format)]
NonEmptyText = Annotated[str, AfterValidator(_check_non_empty)]
VendorType = Annotated[Literal["webhook", "polling"], BeforeValidator(_vendor_type)]


__all__ = [
    "DateFormatText",
    "FieldPathText",
    "FlexBool",
    "HttpUrlText",
    "NonEmptyText",
    "VendorType",
    "custom_error",
    "optional_secret",
    "poller_object",
    "whole_number",
]
