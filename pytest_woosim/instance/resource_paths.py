"""Which WooCommerce endpoint a poller resource reads, and how to read a record's fields.

Cloud Elements names WooCommerce resources by hub path (``/hubs/ecommerce/orders``);
the store serves them under ``/wp-json/wc/v3/``. The hub calls coupons
``discounts``. Plain WooCommerce paths (``/wp-json/wc/v3/orders``, ``orders``) are
accepted too, so a configuration can point at the store directly.

``idField`` and the date fields of a resource are paths into a record: dotted
(``billing.email``), bracketed (``['Modified Time']``, ``line_items[0].id``) or
both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

__all__ = [
    "HUB_TO_ENDPOINT",
    "STORE_ENDPOINTS",
    "FieldPathError",
    "ResourceError",
    "ResourceTarget",
    "hub_resource_for_endpoint",
    "parse_field_path",
    "read_field",
    "woocommerce_endpoint",
]

#: Cloud Elements ecommerce hub resource -> WooCommerce REST endpoint.
HUB_TO_ENDPOINT: Final[Mapping[str, str]] = {
    "customers": "customers",
    "orders": "orders",
    "products": "products",
    "discounts": "coupons",
}
_ENDPOINT_TO_HUB: Final = {endpoint: hub for hub, endpoint in HUB_TO_ENDPOINT.items()}

#: Endpoints the fake store serves (and a poller can read).
STORE_ENDPOINTS: Final = frozenset({"customers", "orders", "products", "coupons"})

_HUB_PREFIX: Final = re.compile(r"/?hubs/ecommerce/")
_WC_PREFIX: Final = re.compile(r"/?(?:wp-json/)?wc/v[0-9]+/")


class ResourceError(ValueError):
    """A URL that names no WooCommerce resource this project knows."""


class FieldPathError(ValueError):
    """A field path that does not parse."""


@dataclass(frozen=True)
class ResourceTarget:
    """Where a poller resource's records come from.

    ``endpoint`` is the WooCommerce endpoint (``orders``, ``coupons``);
    ``hub_resource`` the Cloud Elements name (``orders``, ``discounts``);
    ``query`` the URL's query string, unexpanded (``""`` when none);
    ``supported`` False when the store does not serve the endpoint, ``note`` says why.
    """

    endpoint: str
    hub_resource: str
    query: str
    supported: bool
    note: str = ""


def woocommerce_endpoint(url: str, *, served: frozenset[str] = STORE_ENDPOINTS) -> ResourceTarget:
    """Map a poller ``url`` to its WooCommerce endpoint.

    ``/hubs/ecommerce/customers`` → ``customers``; ``/hubs/ecommerce/discounts`` →
    ``coupons``; ``/wp-json/wc/v3/orders``, ``wc/v3/orders`` and ``orders`` →
    ``orders``. ``served`` lists the endpoints the store serves; others come back
    with ``supported=False``. Raises :class:`ResourceError` for anything else.
    """
    # The query is split off by hand: placeholders inside it contain '#' or '?' rarely,
    # but a full URL (with scheme) is accepted for convenience.
    path, _, query = url.partition("?")
    if "://" in path:
        path = urlsplit(path).path
    path = path.strip()
    hub = _HUB_PREFIX.match(path)
    wc = _WC_PREFIX.match(path)
    if hub is not None:
        name = path[hub.end() :].strip("/")
        endpoint = HUB_TO_ENDPOINT.get(name)
        if endpoint is None:
            known = ", ".join(f"/hubs/ecommerce/{key}" for key in HUB_TO_ENDPOINT)
            raise ResourceError(f"{path!r} is not a WooCommerce hub resource (known: {known})")
    else:
        name = path[wc.end() :] if wc is not None else path
        name = name.strip("/")
        endpoint = name if name in _ENDPOINT_TO_HUB else ""
        if not endpoint:
            known = ", ".join(sorted(_ENDPOINT_TO_HUB))
            raise ResourceError(
                f"{path!r} names no WooCommerce resource (use /hubs/ecommerce/<resource> "
                f"or /wp-json/wc/v3/<endpoint> with one of: {known})"
            )
    hub_resource = _ENDPOINT_TO_HUB[endpoint]
    if endpoint in served:
        return ResourceTarget(endpoint, hub_resource, query, True)
    note = f"the store does not serve /wp-json/wc/v3/{endpoint}, so {hub_resource} cannot be polled"
    return ResourceTarget(endpoint, hub_resource, query, False, note)


def hub_resource_for_endpoint(endpoint: str) -> str:
    """The Cloud Elements name of a WooCommerce endpoint or webhook resource.

    ``coupon`` and ``coupons`` → ``discounts``; ``order`` → ``orders``.
    """
    plural = endpoint if endpoint.endswith("s") else endpoint + "s"
    if plural not in _ENDPOINT_TO_HUB:
        raise ResourceError(f"{endpoint!r} is not a WooCommerce resource")
    return _ENDPOINT_TO_HUB[plural]


_PATH_TOKEN: Final = re.compile(
    r"""\[\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|(-?[0-9]+))\s*\]|([^.\[\]]+)""",
)


def parse_field_path(path: str) -> tuple[str | int, ...]:
    """Split a field path into keys and list indexes.

    ``id`` → ``("id",)``; ``_info.lastUpdated`` → ``("_info", "lastUpdated")``;
    ``['Modified Time']`` → ``("Modified Time",)``; ``items[0].id`` → ``("items", 0, "id")``.
    A leading ``$`` (JSONPath root) is allowed. Raises :class:`FieldPathError`.
    """
    text = path.strip()
    if text.startswith("$"):
        text = text[1:].lstrip(".")
    if not text:
        raise FieldPathError("the field path is empty")
    parts: list[str | int] = []
    position = 0
    expect_name = True  # at the start or after a '.'
    while position < len(text):
        if text[position] == "." and not expect_name:
            position += 1
            expect_name = True
            if position == len(text):
                raise FieldPathError(f"{path!r} ends with '.'")
            continue
        match = _PATH_TOKEN.match(text, position)
        if match is None or (match.group(4) is not None and not expect_name):
            raise FieldPathError(f"{path!r}: unexpected {text[position]!r} at index {position}")
        single, double, number, name = match.groups()
        if name is not None:
            parts.append(name)
        elif number is not None:
            parts.append(int(number))
        else:
            quoted = single if single is not None else double
            assert quoted is not None
            parts.append(re.sub(r"\\(.)", r"\1", quoted))
        position = match.end()
        expect_name = False
    return tuple(parts)


def read_field(record: Any, path: str | Sequence[str | int], default: Any = None) -> Any:
    """The value at ``path`` in ``record``, or ``default`` when any step is missing."""
    parts = parse_field_path(path) if isinstance(path, str) else tuple(path)
    value = record
    for part in parts:
        if isinstance(part, int):
            if not isinstance(value, list) or not -len(value) <= part < len(value):
                return default
            value = value[part]
        elif isinstance(value, Mapping) and part in value:
            value = value[part]
        else:
            return default
    return value
