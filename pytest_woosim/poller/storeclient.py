"""A small async client for a WooCommerce store's REST API (``/wp-json/wc/v3``).

It does three things and nothing else:

* authenticates with HTTP Basic (consumer key as user, secret as password).
  WooCommerce accepts Basic on HTTPS stores, and the simulator behaves as an
  HTTPS store by default, so OAuth 1.0a query signing is not needed here;
* reads the paging headers (``X-WP-Total``, ``X-WP-TotalPages``, the single
  ``Link`` header with ``rel="next"``/``rel="prev"``) into a :class:`Page`;
* classifies failures: what a caller should retry later (5xx, 429 with
  ``Retry-After``, timeouts, connection errors, a body that is not JSON) raises
  :class:`StoreUnavailable`; what retrying will not fix (401, 403, 400, 404 …)
  raises :class:`StoreRequestError` with WooCommerce's error code.

The consumer secret is never logged or put into an error message.
"""

from __future__ import annotations

import base64
import json
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from functools import cache, lru_cache
from typing import Any
from urllib.parse import quote_plus

import aiohttp
from yarl import URL

#: Where WooCommerce's REST API v3 lives under the site URL.
API_PREFIX = "/wp-json/wc/v3"

Params = Mapping[str, str | int | float | bool]

_DICT_ONLY = frozenset({dict})

_LINK_PART = re.compile(r'<([^>]*)>\s*;\s*rel="?([^";]+)"?')


class StoreError(Exception):
    """Base class of the store client's errors."""


class StoreUnavailable(StoreError):
    """The store could not answer now; try again later.

    ``retry_after`` is the delay in seconds the store asked for (429/503 with a
    ``Retry-After`` header), or ``None`` when it said nothing.
    """

    def __init__(self, reason: str, *, retry_after: float | None = None, status: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.status = status


class StoreRequestError(StoreError):
    """The store refused the request (a 4xx other than 429): retrying will not help."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(f"HTTP {status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Response:
    """A decoded JSON answer with the headers a caller may need."""

    status: int
    body: Any
    headers: Mapping[str, str]


@dataclass(frozen=True)
class Page:
    """One page of a list endpoint."""

    records: list[dict[str, Any]]
    total: int | None = None
    total_pages: int | None = None
    links: dict[str, str] = field(default_factory=dict)

    @property
    def has_next(self) -> bool:
        """True when the store announced a further page."""
        return "next" in self.links


def parse_link_header(value: str | None) -> dict[str, str]:
    """``<url>; rel="prev", <url>; rel="next"`` → ``{"prev": url, "next": url}``."""
    if not value:
        return {}
    return {rel: url for url, rel in _LINK_PART.findall(value)}


def parse_retry_after(value: str | None, date_header: str | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds, or an HTTP date.

    An HTTP date is measured against the response's own ``Date`` header (the
    server's "now"), so clock differences between us and the store do not matter.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
        reference = parsedate_to_datetime(date_header) if date_header else None
    except (TypeError, ValueError):
        return None
    if reference is None:
        return None
    return max(0.0, (when - reference).total_seconds())


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        return None


def _encode(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def query_string(params: Params) -> str:
    """``params`` as ``urllib.parse.urlencode`` writes them (form encoding)."""
    return "&".join([_query_pair(name, _encode(value)) for name, value in params.items()])


@lru_cache(maxsize=1024)
def _query_pair(name: str, value: str) -> str:
    # A poller sends the same few names and values every run (only its window's
    # bounds change): each pair is quoted once.
    return quote_plus(name) + "=" + quote_plus(value)


@cache
def _ssl_for(verify: bool | str) -> ssl.SSLContext | bool:
    """``True``: the system's CAs; a path: that CA bundle; ``False``: no verification.
    One context per setting: building one costs ~0.1 s."""
    if verify is False:
        return False
    return ssl.create_default_context(cafile=None if verify is True else verify)


class StoreClient:
    """Async access to one store with one API key, over keep-alive connections.

    The transport is aiohttp's client: a poll's few GETs cost about a fifth of the
    CPU they cost through httpx (measured in ``bench/README.md``), and a week of
    5-minute polls on the virtual clock is mostly those GETs. ``session`` may be
    shared (the caller then closes it); otherwise the store client opens one on
    its first request and :meth:`aclose` closes it.
    """

    def __init__(
        self,
        store_url: str,
        consumer_key: str,
        consumer_secret: str,
        *,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 30.0,
        verify: bool | str = True,
    ) -> None:
        self.store_url = store_url.rstrip("/")
        self.api_url = self.store_url + API_PREFIX
        credentials = f"{consumer_key}:{consumer_secret}".encode()
        self._headers = {"Authorization": "Basic " + base64.b64encode(credentials).decode()}
        self._owns_session = session is None
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._verify = verify

    async def aclose(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> StoreClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def _open_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            # Opened here, not in __init__: a session belongs to the running loop.
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=_ssl_for(self._verify)),
                timeout=self._timeout,
                cookie_jar=aiohttp.DummyCookieJar(),  # the REST API sets none we want
            )
        return self._session

    def url_for(self, endpoint: str) -> str:
        """``orders`` or ``/orders/5`` → the full API URL."""
        return f"{self.api_url}/{endpoint.lstrip('/')}"

    async def request(
        self,
        method: str,
        endpoint: str,
        *,
        params: Params | None = None,
        json_body: Any = None,
    ) -> Response:
        """Send one request; return the decoded JSON or raise a :class:`StoreError`."""
        url = self.url_for(endpoint)
        if params:
            # Encoded here, once, the way a form encodes it; yarl is told not to touch it.
            url += "?" + query_string(params)
        data = None
        headers = self._headers
        if json_body is not None:
            data = json.dumps(json_body).encode()
            headers = {**headers, "Content-Type": "application/json"}
        session = self._open_session()
        try:
            async with session.request(
                method,
                URL(url, encoded=True),
                data=data,
                headers=headers,
                allow_redirects=False,
            ) as response:
                status = response.status
                content = await response.read()
                answer_headers: Mapping[str, str] = response.headers
        except TimeoutError as exc:
            reason = f"{method} {endpoint}: timed out ({type(exc).__name__})"
            raise StoreUnavailable(reason) from exc
        except aiohttp.ClientError as exc:
            # The exception text can hold the URL (never the secret: that is a header).
            raise StoreUnavailable(f"{method} {endpoint}: {type(exc).__name__}: {exc}") from exc
        return self._decode(method, endpoint, status, content, answer_headers)

    def _decode(
        self, method: str, endpoint: str, status: int, content: bytes, headers: Mapping[str, str]
    ) -> Response:
        where = f"{method} {endpoint}"
        if status == 429 or status >= 500:
            retry_after = parse_retry_after(headers.get("Retry-After"), headers.get("Date"))
            raise StoreUnavailable(
                f"{where}: HTTP {status}", retry_after=retry_after, status=status
            )
        if status == 204:
            return Response(status, None, headers)
        try:
            body = json.loads(content)
        except ValueError as exc:
            # A PHP notice or a proxy's HTML page in front of the JSON: the store
            # is not in a state to answer properly, so treat it as transient.
            raise StoreUnavailable(f"{where}: HTTP {status} with a body that is not JSON") from exc
        if status >= 400:
            code = "unknown"
            message = ""
            if isinstance(body, dict):
                code = str(body.get("code", code))
                message = str(body.get("message", ""))
            raise StoreRequestError(status, code, message)
        if 300 <= status < 400:
            raise StoreRequestError(status, "redirect", f"{where} redirected; not followed")
        return Response(status, body, headers)

    async def list_page(self, endpoint: str, params: Params) -> Page:
        """GET a list endpoint; the body must be a JSON array of objects."""
        response = await self.request("GET", endpoint, params=params)
        body = response.body
        # One pass at C level (a generator of isinstance calls cost ~20 us per 100 records);
        # JSON decodes objects as plain dicts.
        if type(body) is not list or not set(map(type, body)) <= _DICT_ONLY:
            raise StoreUnavailable(f"GET {endpoint}: expected a JSON array of objects")
        headers = response.headers
        return Page(
            records=body,
            total=_int_header(headers, "X-WP-Total"),
            total_pages=_int_header(headers, "X-WP-TotalPages"),
            links=parse_link_header(headers.get("Link")),
        )

    async def get(self, endpoint: str, params: Params | None = None) -> Any:
        return (await self.request("GET", endpoint, params=params)).body

    async def post(self, endpoint: str, body: Any, params: Params | None = None) -> Any:
        return (await self.request("POST", endpoint, params=params, json_body=body)).body

    async def put(self, endpoint: str, body: Any, params: Params | None = None) -> Any:
        return (await self.request("PUT", endpoint, params=params, json_body=body)).body

    async def delete(self, endpoint: str, params: Params | None = None) -> Any:
        return (await self.request("DELETE", endpoint, params=params)).body


__all__ = [
    "API_PREFIX",
    "Page",
    "Response",
    "StoreClient",
    "StoreError",
    "StoreRequestError",
    "StoreUnavailable",
    "parse_link_header",
    "parse_retry_after",
    "query_string",
]
