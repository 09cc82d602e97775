"""Request arguments checked the way WordPress checks a route's registered args.

:class:`Args` wraps the parsed parameters (a PHP ``$_GET``-style dict for
queries, the decoded JSON object for bodies), collects every problem with
WordPress's wording and detail code, and raises one 400 ``rest_invalid_param``
naming them all. Unknown parameters are ignored, as WordPress ignores them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from simulator.errors import invalid_params, missing_params
from simulator.wcdates import parse_rest_date

_INTEGER = re.compile(r"^\s*[+-]?\d+(?:\.0*)?\s*$")
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")
_MISSING = object()
#: PHP ``is_numeric``: optional blanks, sign, digits with an optional fraction, an
#: optional exponent. No "NaN", "INF", hex or digit separators (Decimal would take them).
_NUMERIC = re.compile(
    r"^[ \t\n\r\v\f]*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?[ \t\n\r\v\f]*$", re.ASCII
)
#: Amounts must stay below this in magnitude. WooCommerce keeps amounts as decimal
#: strings but computes totals in PHP floats: below 1e13 every cent of an amount
#: (at most 15 significant digits) survives a double exactly; beyond it totals drift
#: and, far beyond, cannot be stored at all (1e300, or an overflow to INF).
MAX_AMOUNT = Decimal("1e13")
#: Line item quantities: WooCommerce's order product lookup table keeps them in a
#: signed 32-bit INT column (``wc_order_product_lookup.product_qty``).
MAX_QUANTITY = 2_147_483_647


def wp_list(items: Sequence[str]) -> str:
    """wp_sprintf_l: ``a and b`` / ``a, b, and c``."""
    items = list(items)
    if len(items) == 1:
        return items[0]
    if len(items) == 2:
        return f"{items[0]} and {items[1]}"
    return ", ".join(items[:-1]) + ", and " + items[-1]


def parse_list(value: Any) -> list[Any]:
    """wp_parse_list: a list as given, or a string split on commas and spaces."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return list(value.values())
    return [part for part in re.split(r"[\s,]+", str(value)) if part]


def as_integer(value: Any) -> int | None:
    """rest_is_integer + intval: None when the value is not an integer."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str) and _INTEGER.match(value):
        return int(Decimal(value.strip()))
    return None


#: The numeric prefix PHP's ``(int)`` cast reads from a string ("2.7" -> 2, "3abc" -> 3).
_INT_PREFIX = re.compile(r"^[ \t\n\r\v\f]*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def php_intval(value: Any) -> int:
    """PHP's ``intval``: never fails; what is not a number is 0 ("abc" -> 0, "2.7" -> 2)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else 0
    if isinstance(value, list | dict):
        return 1 if value else 0
    if value is None:
        return 0
    match = _INT_PREFIX.match(str(value))
    if match is None:
        return 0
    number = match.group(0).strip()
    if match.group(2) is None and match.group(3) is None:
        return int(number)
    as_float = float(number)
    return int(as_float) if math.isfinite(as_float) else 0


def absint(value: Any) -> int:
    """WordPress's ``absint``: ``abs(intval(value))``."""
    return abs(php_intval(value))


def as_boolean(value: Any) -> bool | None:
    """rest_is_boolean + rest_sanitize_boolean."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    return None


def as_amount(value: Any) -> Decimal | None:
    """A money amount as a Decimal (a JSON number or a numeric string), else None.

    Non-finite values (JSON cannot carry them, but ``NaN`` strings can) are not amounts.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    if isinstance(value, str) and _NUMERIC.match(value):
        try:
            return Decimal(value.strip())
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
            return None
    return None


def is_amount(value: Any) -> bool:
    return as_amount(value) is not None


def amount_problem(value: Any, where: str) -> tuple[str, str] | None:
    """Why ``value`` cannot be stored as the money field ``where`` (detail code, message)."""
    amount = as_amount(value)
    if amount is None:
        return "rest_invalid_param", f"{where} is not a valid amount."
    if amount.copy_abs() >= MAX_AMOUNT:  # copy_abs: no context, no overflow trap
        return "rest_out_of_bounds", f"{where} must be between -{MAX_AMOUNT:f} and {MAX_AMOUNT:f}."
    return None


def is_email(value: str) -> bool:
    return bool(_EMAIL.match(value))


class Args:
    """Typed access to one set of parameters, collecting problems until :meth:`check`."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = values
        self.problems: dict[str, tuple[str, str]] = {}
        #: Each parameter read so far as WordPress sanitises it into the request
        #: (integers intval'd, booleans, id lists as lists): what a paging Link shows.
        self.sanitized: dict[str, Any] = {}

    def link_query(self, drop: Sequence[str] = ()) -> dict[str, Any]:
        """The query as ``$request->get_query_params()`` holds it after sanitising.

        Parameters in their original order, each read one replaced by its sanitised
        value; ``add_query_arg`` then leaves out the ones that became ``false``.
        """
        query: dict[str, Any] = {}
        for name, raw in self.values.items():
            if name in drop:
                continue
            value = self.sanitized.get(name, raw)
            if value is not False:
                query[name] = value
        return query

    def has(self, name: str) -> bool:
        return name in self.values

    def problem(self, name: str, code: str, message: str) -> None:
        self.problems.setdefault(name, (code, message))

    def _type_error(self, name: str, kind: str) -> None:
        self.problem(name, "rest_invalid_type", f"{name} is not of type {kind}.")

    def integer(
        self,
        name: str,
        default: int | None = None,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        raw = self.values.get(name, _MISSING)
        if raw is _MISSING:
            return default
        value = as_integer(raw)
        if value is None:
            self._type_error(name, "integer")
            return default
        self.sanitized[name] = value
        if minimum is not None and maximum is not None and not minimum <= value <= maximum:
            self.problem(
                name,
                "rest_out_of_bounds",
                f"{name} must be between {minimum} (inclusive) and {maximum} (inclusive)",
            )
        elif minimum is not None and value < minimum:
            self.problem(
                name, "rest_out_of_bounds", f"{name} must be greater than or equal to {minimum}"
            )
        elif maximum is not None and value > maximum:
            self.problem(
                name, "rest_out_of_bounds", f"{name} must be less than or equal to {maximum}"
            )
        return value

    def boolean(self, name: str, default: bool | None = False) -> bool | None:
        raw = self.values.get(name, _MISSING)
        if raw is _MISSING:
            return default
        value = as_boolean(raw)
        if value is None:
            self._type_error(name, "boolean")
            return default
        self.sanitized[name] = value
        return value

    def string(self, name: str, default: str = "") -> str:
        raw = self.values.get(name, _MISSING)
        if raw is _MISSING or (raw is None and default == ""):
            return default
        if not isinstance(raw, str):
            self._type_error(name, "string")
            return default
        return raw

    def enum(self, name: str, choices: Sequence[str], default: str) -> str:
        value = self.string(name, default)
        if name in self.values and value not in choices and name not in self.problems:
            self.problem(name, "rest_not_in_enum", f"{name} is not one of {wp_list(choices)}.")
            return default
        return value

    def enum_list(self, name: str, choices: Sequence[str]) -> list[str] | None:
        if name not in self.values:
            return None
        values = [str(v) for v in parse_list(self.values[name])]
        for position, value in enumerate(values):
            if value not in choices:
                self.problem(
                    name,
                    "rest_not_in_enum",
                    f"{name}[{position}] is not one of {wp_list(choices)}.",
                )
                return None
        self.sanitized[name] = values
        return values

    def id_list(self, name: str) -> list[int]:
        """wp_parse_id_list: each value through absint, duplicates dropped, never an error.

        WooCommerce registers ``include``/``exclude``/``parent`` with that sanitiser and
        no validator, so ``include=abc`` is ``[0]``: a filter nothing matches
        (recorded from WooCommerce 10.0.2: 200 with an empty list).
        """
        if name not in self.values:
            return []
        ids: list[int] = []
        for raw in parse_list(self.values[name]):
            value = absint(raw)
            if value not in ids:
                ids.append(value)
        self.sanitized[name] = ids
        return ids

    def date(self, name: str) -> datetime | None:
        raw = self.values.get(name, _MISSING)
        if raw is _MISSING:
            return None
        if not isinstance(raw, str):
            self._type_error(name, "string")
            return None
        parsed = parse_rest_date(raw)
        if parsed is None:
            self.problem(name, "rest_invalid_date", "Invalid date.")
        return parsed

    def email(self, name: str) -> str:
        value = self.string(name)
        if value and name not in self.problems and not is_email(value):
            self.problem(name, "rest_invalid_email", "Invalid email address.")
        return value

    def amount(self, name: str, label: str | None = None) -> None:
        """A money field: a number or numeric string (WooCommerce schema type string)."""
        raw = self.values.get(name, _MISSING)
        if raw is _MISSING or raw is None or raw == "":
            return
        where = label or name
        if not isinstance(raw, str):
            # WooCommerce registers amounts as type string: a JSON number is refused.
            self._type_error(where, "string")
            return
        problem = amount_problem(raw, where)
        if problem is not None:
            self.problem(where, *problem)

    def object(self, name: str) -> Args | None:
        raw = self.values.get(name, _MISSING)
        if raw is _MISSING or raw is None:
            return None
        if not isinstance(raw, dict):
            self._type_error(name, "object")
            return None
        return Args(raw)

    def objects(self, name: str) -> list[Args]:
        """An array of objects (line items, meta data...)."""
        raw = self.values.get(name, _MISSING)
        if raw is _MISSING or raw is None:
            return []
        if isinstance(raw, dict):
            raw = list(raw.values())  # PHP arrays with string keys arrive as objects
        if not isinstance(raw, list):
            self._type_error(name, "array")
            return []
        items: list[Args] = []
        for position, item in enumerate(raw):
            if not isinstance(item, dict):
                self._type_error(f"{name}[{position}]", "object")
                return []
            items.append(Args(item))
        return items

    def nested(self, parent: str, child: Args, position: int | None = None) -> None:
        """Fold a nested object's problems into this one under ``parent``."""
        for name, (code, message) in child.problems.items():
            where = f"{parent}[{position}][{name}]" if position is not None else f"{parent}[{name}]"
            self.problem(parent, code, message.replace(name, where, 1))

    def require(self, *names: str) -> None:
        missing = [name for name in names if name not in self.values]
        if missing:
            raise missing_params(missing)

    def check(self) -> None:
        if self.problems:
            raise invalid_params(self.problems)


def php_empty(value: Any) -> bool:
    """PHP's ``empty()`` of a decoded request value: null, false, 0, 0.0, "", "0", [] and
    {} (a JSON object decodes to an array) are empty; " ", "0.0" and -1 are not."""
    if value is None or isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value == 0
    if isinstance(value, str):
        return value in ("", "0")
    if isinstance(value, list | dict):
        return not value
    return False
