"""WooCommerce/WordPress REST errors: ``{"code", "message", "data": {"status", ...}}``.

Everything that rejects a request raises :class:`RestError`; the HTTP layer turns it
into the exact JSON the real store sends. The store itself raises it too (it is
the store's vocabulary for "no"), but knows nothing else about HTTP.
"""

from __future__ import annotations

from typing import Any

from simulator.wire.boundedjson import JsonProblem


class RestError(Exception):
    """A WordPress ``WP_Error`` as the REST server renders it."""

    def __init__(self, code: str, message: str, status: int, **data: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.data = data

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "data": {"status": self.status, **self.data},
        }

    def __repr__(self) -> str:
        return f"RestError({self.code!r}, {self.message!r}, {self.status})"


def no_route() -> RestError:
    return RestError(
        "rest_no_route", "No route was found matching the URL and request method.", 404
    )


def invalid_params(problems: dict[str, tuple[str, str]]) -> RestError:
    """400 ``rest_invalid_param``; ``problems`` maps param -> (detail code, message)."""
    names = ", ".join(problems)
    return RestError(
        "rest_invalid_param",
        f"Invalid parameter(s): {names}",
        400,
        params={name: message for name, (_, message) in problems.items()},
        details={
            name: {"code": code, "message": message, "data": _detail_data(code, message)}
            for name, (code, message) in problems.items()
        },
    )


def _detail_data(code: str, message: str) -> dict[str, str] | None:
    """rest_validate_value_from_schema names the offending parameter on a type error
    only (``{"param": "line_items[0][quantity]"}``); other details carry no data."""
    if code != "rest_invalid_type":
        return None
    param, _, _ = message.partition(" is not of type ")
    return {"param": param}


def missing_params(names: list[str]) -> RestError:
    return RestError(
        "rest_missing_callback_param",
        f"Missing parameter(s): {', '.join(names)}",
        400,
        params=list(names),
    )


def invalid_json(problem: JsonProblem) -> RestError:
    """WordPress' answer to a JSON body ``json_decode`` refuses, with PHP's error code and text."""
    return RestError(
        "rest_invalid_json",
        "Invalid JSON body passed.",
        400,
        json_error_code=problem.php_code,
        json_error_message=problem.php_message,
    )
