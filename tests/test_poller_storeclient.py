"""The store client: paging headers, authentication and error classification."""

from __future__ import annotations

import base64

import httpx
import pytest

from pytest_woosim.poller.storeclient import (
    StoreClient,
    StoreRequestError,
    StoreUnavailable,
    parse_link_header,
    parse_retry_after,
)


def client_for(handler: httpx.MockTransport) -> StoreClient:
    return StoreClient(
        "https://shop.example/",
        "ck_key",
        "cs_secret",
        client=httpx.AsyncClient(transport=handler),
    )


def test_link_header_with_prev_and_next() -> None:
    value = (
        '<https://shop.example/wp-json/wc/v3/orders?page=1&per_page=2>; rel="prev", '
        '<https://shop.example/wp-json/wc/v3/orders?page=3&per_page=2>; rel="next"'
    )
    links = parse_link_header(value)
    assert links["prev"].endswith("page=1&per_page=2")
    assert links["next"].endswith("page=3&per_page=2")
    assert parse_link_header(None) == {}


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert parse_retry_after("30") == 30
    assert parse_retry_after(" 2.5 ") == 2.5
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", "Wed, 21 Oct 2015 07:28:00 GMT") == 30
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


async def test_list_page_reads_the_paging_headers_and_sends_basic_auth() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200,
            json=[{"id": 1}, {"id": 2}],
            headers={
                "X-WP-Total": "5",
                "X-WP-TotalPages": "3",
                "Link": '<https://shop.example/wp-json/wc/v3/orders?page=2>; rel="next"',
            },
        )

    client = client_for(httpx.MockTransport(handle))
    page = await client.list_page("orders", {"per_page": 2, "dates_are_gmt": True})
    assert [r["id"] for r in page.records] == [1, 2]
    assert (page.total, page.total_pages, page.has_next) == (5, 3, True)
    request = seen[0]
    assert request.url.path == "/wp-json/wc/v3/orders"
    assert request.url.params["dates_are_gmt"] == "true"
    expected = "Basic " + base64.b64encode(b"ck_key:cs_secret").decode()
    assert request.headers["Authorization"] == expected


@pytest.mark.parametrize(
    ("response", "retry_after"),
    [
        (httpx.Response(500, json={"code": "internal_server_error"}), None),
        (httpx.Response(503, text="<html>maintenance</html>"), None),
        (httpx.Response(429, text="slow down", headers={"Retry-After": "30"}), 30.0),
        (httpx.Response(200, text="<b>Notice</b>: Undefined index [{]"), None),
    ],
)
async def test_transient_failures_are_store_unavailable(
    response: httpx.Response, retry_after: float | None
) -> None:
    client = client_for(httpx.MockTransport(lambda request: response))
    with pytest.raises(StoreUnavailable) as caught:
        await client.list_page("orders", {})
    assert caught.value.retry_after == retry_after


async def test_timeouts_and_connection_errors_are_store_unavailable() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(StoreUnavailable, match="timed out"):
        await client_for(httpx.MockTransport(slow)).list_page("orders", {})


async def test_client_errors_keep_woocommerce_code_and_never_the_secret() -> None:
    body = {"code": "woocommerce_rest_cannot_view", "message": "Sorry, you cannot list resources."}
    client = client_for(httpx.MockTransport(lambda request: httpx.Response(401, json=body)))
    with pytest.raises(StoreRequestError) as caught:
        await client.list_page("orders", {})
    assert caught.value.status == 401
    assert caught.value.code == "woocommerce_rest_cannot_view"
    assert "cs_secret" not in str(caught.value)


async def test_a_body_that_is_not_a_list_of_objects_is_unavailable() -> None:
    client = client_for(httpx.MockTransport(lambda request: httpx.Response(200, json={"id": 1})))
    with pytest.raises(StoreUnavailable, match="JSON array"):
        await client.list_page("orders", {})
