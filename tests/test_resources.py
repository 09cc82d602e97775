"""Hub paths to WooCommerce endpoints, and field paths into records."""

from __future__ import annotations

import pytest

from pytest_woosim.instance.resource_paths import (
    FieldPathError,
    ResourceError,
    hub_resource_for_endpoint,
    parse_field_path,
    read_field,
    woocommerce_endpoint,
)


@pytest.mark.parametrize(
    ("url", "endpoint", "hub"),
    [
        ("/hubs/ecommerce/customers", "customers", "customers"),
        ("/hubs/ecommerce/orders", "orders", "orders"),
        ("hubs/ecommerce/products/", "products", "products"),
        ("/wp-json/wc/v3/orders", "orders", "orders"),
        ("/wp-json/wc/v2/customers", "customers", "customers"),
        ("wc/v3/products", "products", "products"),
        ("orders", "orders", "orders"),
        ("/orders", "orders", "orders"),
        ("http://127.0.0.1:8000/wp-json/wc/v3/orders", "orders", "orders"),
    ],
)
def test_served_resources(url: str, endpoint: str, hub: str) -> None:
    target = woocommerce_endpoint(url)
    assert (target.endpoint, target.hub_resource, target.supported) == (endpoint, hub, True)


def test_discounts_are_coupons_which_the_store_serves() -> None:
    target = woocommerce_endpoint("/hubs/ecommerce/discounts")
    assert (target.endpoint, target.hub_resource, target.supported) == (
        "coupons",
        "discounts",
        True,
    )
    # A store that does not serve an endpoint says so.
    unserved = woocommerce_endpoint("coupons", served=frozenset({"orders"}))
    assert not unserved.supported and "coupons" in unserved.note


def test_query_is_kept_unexpanded() -> None:
    url = "/hubs/ecommerce/orders?where=date_modified_gmt>'${gmtDate:yyyy}'"
    assert woocommerce_endpoint(url).query == "where=date_modified_gmt>'${gmtDate:yyyy}'"


@pytest.mark.parametrize(
    "url",
    ["/hubs/ecommerce/contacts", "/hubs/crm/contacts", "/wp-json/wc/v3/webhooks", "", "/orders/5"],
)
def test_unknown_resources(url: str) -> None:
    with pytest.raises(ResourceError):
        woocommerce_endpoint(url)


def test_hub_resource_for_endpoint() -> None:
    assert hub_resource_for_endpoint("coupon") == "discounts"
    assert hub_resource_for_endpoint("coupons") == "discounts"
    assert hub_resource_for_endpoint("order") == "orders"
    with pytest.raises(ResourceError):
        hub_resource_for_endpoint("webhook")


@pytest.mark.parametrize(
    ("path", "parts"),
    [
        ("id", ("id",)),
        ("_info.lastUpdated", ("_info", "lastUpdated")),
        ("['Modified Time']", ("Modified Time",)),
        ('properties["a.b"]', ("properties", "a.b")),
        ("line_items[0].id", ("line_items", 0, "id")),
        ("$.billing.email", ("billing", "email")),
        (r"['it\'s']", ("it's",)),
    ],
)
def test_field_paths(path: str, parts: tuple[str | int, ...]) -> None:
    assert parse_field_path(path) == parts


@pytest.mark.parametrize("path", ["", "a..b", ".a", "a.", "a[", "['x", "a[x]", "$"])
def test_bad_field_paths(path: str) -> None:
    with pytest.raises(FieldPathError):
        parse_field_path(path)


def test_read_field() -> None:
    record = {"id": 7, "billing": {"email": "a@b"}, "line_items": [{"id": 3}], "Modified Time": "t"}
    assert read_field(record, "id") == 7
    assert read_field(record, "billing.email") == "a@b"
    assert read_field(record, "line_items[0].id") == 3
    assert read_field(record, "line_items[-1].id") == 3
    assert read_field(record, "['Modified Time']") == "t"
    assert read_field(record, "line_items[5].id") is None
    assert read_field(record, "billing.phone", default="-") == "-"
    assert read_field(record, "id.x") is None
