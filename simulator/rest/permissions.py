"""The REST controllers' capability checks: who may list, view, create, edit, delete."""

from __future__ import annotations

from typing import Literal

from aiohttp import web

from simulator.errors import RestError
from simulator.rest.request_data import KEY_ATTR


def require_user(request: web.Request, code: str, message: str) -> None:
    """The endpoint's capability check: anonymous callers get 401, a key whose user
    lacks the capability (a customer's account) 403 (rest_authorization_required_code)."""
    key = request.get(KEY_ATTR)
    if key is None:
        raise RestError(code, message, 401)
    if not key.manager:
        raise RestError(code, message, 403)


Action = Literal["list", "view", "create", "edit", "delete", "batch"]
#: The CRUD controllers' capability errors, by what the caller tried.
PERMISSION_ERRORS: dict[Action, tuple[str, str]] = {
    "list": ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources."),
    "view": ("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."),
    "create": (
        "woocommerce_rest_cannot_create",
        "Sorry, you are not allowed to create resources.",
    ),
    "edit": ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."),
    "delete": (
        "woocommerce_rest_cannot_delete",
        "Sorry, you are not allowed to delete this resource.",
    ),
    "batch": (
        "woocommerce_rest_cannot_batch",
        "Sorry, you are not allowed to batch manipulate this resource.",
    ),
}


def require_permission(request: web.Request, action: Action) -> None:
    """``{action}_items_permissions_check``: anonymous callers get that action's 401."""
    code, message = PERMISSION_ERRORS[action]
    require_user(request, code, message)
