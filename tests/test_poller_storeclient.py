"""The store client: paging headers, authentication and error classification.

Each test answers the client from a real aiohttp server on loopback.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from urllib.parse import urlencode

import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st

from pytest_woosim.poller.storeclient import (
    StoreClient,
    StoreRequestError,
    StoreUnavailable,
    parse_link_header,
    parse_retry_after,
    query_string,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@asynccontextmanager
async def store_answering(handler: Handler, *, timeout: float = 30.0) -> AsyncIterator[StoreClient]:
    """A store client of a loopback server whose every request ``handler`` answers."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    client = StoreClient(f"http://127.0.0.1:{port}/", "ck_key", "cs_secret", timeout=timeout)
    try:
        yield client
    finally:
        await client.aclose()
        await runner.cleanup()


def answer(status: int, body: object = None, *, text: str | None = None, **headers: str) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        if text is not None:
            return web.Response(status=status, text=text, headers=headers)
        return web.Response(
            status=status, body=json.dumps(body), content_type="application/json", headers=headers
        )

    return handle


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
    seen: list[web.Request] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append(request)
        return web.json_response(
            [{"id": 1}, {"id": 2}],
            headers={
                "X-WP-Total": "5",
                "X-WP-TotalPages": "3",
                "Link": '<https://shop.example/wp-json/wc/v3/orders?page=2>; rel="next"',
            },
        )

    async with store_answering(handle) as client:
        page = await client.list_page(
            "orders", {"per_page": 2, "dates_are_gmt": True, "search": "a b&c"}
        )
    assert [r["id"] for r in page.records] == [1, 2]
    assert (page.total, page.total_pages, page.has_next) == (5, 3, True)
    request = seen[0]
    assert request.path == "/wp-json/wc/v3/orders"
    assert request.query["dates_are_gmt"] == "true"
    assert request.query["search"] == "a b&c"
    expected = "Basic " + base64.b64encode(b"ck_key:cs_secret").decode()
    assert request.headers["Authorization"] == expected


async def test_a_post_sends_its_json_body() -> None:
    seen: list[object] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append((request.method, request.content_type, await request.json()))
        return web.json_response({"id": 7}, status=201)

    async with store_answering(handle) as client:
        assert await client.post("orders", {"status": "pending"}) == {"id": 7}
    assert seen == [("POST", "application/json", {"status": "pending"})]


@pytest.mark.parametrize(
    ("handler", "retry_after"),
    [
        (answer(500, {"code": "internal_server_error"}), None),
        (answer(503, text="<html>maintenance</html>"), None),
        (answer(429, text="slow down", **{"Retry-After": "30"}), 30.0),
        (answer(200, text="<b>Notice</b>: Undefined index [{]"), None),
    ],
)
async def test_transient_failures_are_store_unavailable(
    handler: Handler, retry_after: float | None
) -> None:
    async with store_answering(handler) as client:
        with pytest.raises(StoreUnavailable) as caught:
            await client.list_page("orders", {})
    assert caught.value.retry_after == retry_after


async def test_timeouts_and_connection_errors_are_store_unavailable() -> None:
    never = asyncio.Event()

    async def silent(request: web.Request) -> web.Response:
        await never.wait()  # no answer in time: the client's timeout ends the request
        return web.Response()

    async with store_answering(silent, timeout=0.2) as client:
        with pytest.raises(StoreUnavailable, match="timed out"):
            await client.list_page("orders", {})
        never.set()  # let the handler end, or the server's shutdown waits for it

    # A port nothing listens on any more: connection refused.
    async with store_answering(answer(200, [])) as client:
        pass
    async with client:
        with pytest.raises(StoreUnavailable, match="orders"):
            await client.list_page("orders", {})


async def test_client_errors_keep_woocommerce_code_and_never_the_secret() -> None:
    body = {"code": "woocommerce_rest_cannot_view", "message": "Sorry, you cannot list resources."}
    async with store_answering(answer(401, body)) as client:
        with pytest.raises(StoreRequestError) as caught:
            await client.list_page("orders", {})
    assert caught.value.status == 401
    assert caught.value.code == "woocommerce_rest_cannot_view"
    assert "cs_secret" not in str(caught.value)


async def test_a_redirect_is_not_followed() -> None:
    async with store_answering(answer(301, {}, Location="https://elsewhere.example/")) as client:
        with pytest.raises(StoreRequestError, match="redirect"):
            await client.list_page("orders", {})


async def test_a_body_that_is_not_a_list_of_objects_is_unavailable() -> None:
    async with store_answering(answer(200, {"id": 1})) as client:
        with pytest.raises(StoreUnavailable, match="JSON array"):
            await client.list_page("orders", {})


@given(
    st.dictionaries(
        st.text(min_size=1),
        st.one_of(st.text(), st.integers(), st.floats(allow_nan=False), st.booleans()),
    )
)
def test_the_query_string_is_urlencode_s(params: dict[str, str | int | float | bool]) -> None:
    as_sent = {
        k: ("true" if v else "false") if isinstance(v, bool) else str(v) for k, v in params.items()
    }
    assert query_string(params) == urlencode(as_sent)
    assert query_string(params) == query_string(dict(params))  # the second time, from memory


def test_the_query_string_of_a_poll() -> None:
    params = {"modified_after": "2024-06-03T00:04:59", "_fields": "id,date_modified_gmt", "x": True}
    assert query_string(params) == (
        "modified_after=2024-06-03T00%3A04%3A59&_fields=id%2Cdate_modified_gmt&x=true"
    )
