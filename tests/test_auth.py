"""WooCommerce REST authentication: decision flow, OAuth 1.0a, key permissions."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest
from aiohttp import web
from woocommerce import API
from woocommerce.oauth import OAuth

from simulator.auth import (
    NONCE_WINDOW,
    Authenticator,
    AuthRequest,
    oauth_base_string,
    oauth_signature,
    oauth_signing_url,
    parse_basic_header,
    parse_oauth_header,
    sanitize_text_field,
)
from simulator.clock import Clock
from simulator.errors import RestError
from simulator.keys import ApiKey, KeyRing, derive_key
from simulator.phpjson import dumps

HOME = "http://127.0.0.1:8080"
ORDERS = "/wp-json/wc/v3/orders"
START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
NOW = int(START.timestamp())

RW = derive_key("auth-tests", 0)
READ = derive_key("auth-tests", 1, "read")
WRITE = derive_key("auth-tests", 2, "write")


def make_auth(*, https: bool = True, home: str = HOME, clock: Clock | None = None) -> Authenticator:
    return Authenticator(
        KeyRing([RW, READ, WRITE]), clock or Clock(START, frozen=True), home, https=https
    )


def request(
    query: Sequence[tuple[str, str]] = (),
    *,
    method: str = "GET",
    path: str = ORDERS,
    form: Sequence[tuple[str, str]] = (),
    authorization: str | None = None,
) -> AuthRequest:
    return AuthRequest(method, path, list(query), list(form), authorization)


def oauth_pairs(
    key: ApiKey,
    params: Sequence[tuple[str, str]] = (),
    *,
    method: str = "GET",
    url: str = HOME + ORDERS,
    signature_method: str = "HMAC-SHA256",
    timestamp: int | str = NOW,
    nonce: str = "nonce-1",
    secret: str | None = None,
) -> list[tuple[str, str]]:
    """Params signed the way the server checks them (the vector test pins the algorithm)."""
    oauth = [
        ("oauth_consumer_key", key.consumer_key),
        ("oauth_timestamp", str(timestamp)),
        ("oauth_nonce", nonce),
        ("oauth_signature_method", signature_method),
    ]
    signed = dict([*params, *oauth])
    base = oauth_base_string(method, url, signed)
    signature = oauth_signature(base, secret or key.consumer_secret, signature_method)
    return [*params, *oauth, ("oauth_signature", signature)]


def error_of(auth: Authenticator, req: AuthRequest) -> tuple[str, str, int]:
    with pytest.raises(RestError) as caught:
        auth.authenticate(req)
    return caught.value.code, caught.value.message, caught.value.status


AUTH_ERROR = "woocommerce_rest_authentication_error"


# --------------------------------------------------------------------------- base string


def test_base_string_hand_computed_vector() -> None:
    params = {
        "search": "a b/c:~",
        "per_page": "10",
        "filter": {"period": "week"},
        "oauth_consumer_key": "ck_x",
        "oauth_nonce": "abc",
        "oauth_signature_method": "HMAC-SHA1",
        "oauth_timestamp": "1700000000",
    }
    assert oauth_base_string("get", HOME + ORDERS, params) == (
        "GET&http%3A%2F%2F127.0.0.1%3A8080%2Fwp-json%2Fwc%2Fv3%2Forders&"
        "filter%255Bperiod%255D%3Dweek"
        "%26oauth_consumer_key%3Dck_x"
        "%26oauth_nonce%3Dabc"
        "%26oauth_signature_method%3DHMAC-SHA1"
        "%26oauth_timestamp%3D1700000000"
        "%26per_page%3D10"
        "%26search%3Da%2520b%252Fc%253A~"
    )


def test_sort_is_bytewise() -> None:
    base = oauth_base_string("GET", "http://h/", {"b": "1", "B": "2", "a_": "3", "a": "4"})
    assert base.endswith("B%3D2%26a%3D4%26a_%3D3%26b%3D1")


@pytest.mark.parametrize(
    ("method", "digest"), [("HMAC-SHA1", hashlib.sha1), ("HMAC-SHA256", hashlib.sha256)]
)
def test_signature_is_base64_hmac_with_secret_ampersand(method: str, digest: Any) -> None:
    expected = base64.b64encode(hmac.new(b"cs_s&", b"GET&x&y", digest).digest()).decode()
    assert oauth_signature("GET&x&y", "cs_s", method) == expected


def test_signing_url_strips_wordpress_base() -> None:
    assert oauth_signing_url(HOME, ORDERS) == HOME + ORDERS
    assert oauth_signing_url(HOME + "/", ORDERS) == HOME + ORDERS
    assert (
        oauth_signing_url("https://shop.test/store", "/store/wp-json/wc/v3/orders")
        == "https://shop.test/store/wp-json/wc/v3/orders"
    )


# --------------------------------------------------------------------------- OAuth flow


@pytest.mark.parametrize("signature_method", ["HMAC-SHA1", "HMAC-SHA256"])
def test_oauth_in_query_authenticates(signature_method: str) -> None:
    auth = make_auth(https=False)
    pairs = oauth_pairs(RW, [("per_page", "5")], signature_method=signature_method)
    assert auth.authenticate(request(pairs)) == RW


def test_oauth_in_authorization_header() -> None:
    auth = make_auth(https=False)
    pairs = oauth_pairs(RW, [("status", "processing")])
    oauth = [(k, v) for k, v in pairs if k.startswith("oauth_")]
    header = 'OAuth realm="x", ' + ", ".join(f'{k}="{quote(v, safe="")}"' for k, v in oauth)
    assert auth.authenticate(request([("status", "processing")], authorization=header)) == RW


def test_form_body_is_signed() -> None:
    auth = make_auth(https=False)
    pairs = oauth_pairs(RW, [("status", "completed")], method="POST")
    oauth = [p for p in pairs if p[0].startswith("oauth_")]
    req = request(oauth, method="POST", form=[("status", "completed")])
    assert auth.authenticate(req) == RW
    tampered = request(oauth, method="POST", form=[("status", "cancelled")], authorization=None)
    assert error_of(make_auth(https=False), tampered)[1] == (
        "Invalid signature - provided signature does not match."
    )


def test_signature_plus_sent_as_space_is_accepted() -> None:
    auth = make_auth(https=False)
    for attempt in range(200):
        pairs = oauth_pairs(RW, nonce=f"n{attempt}")
        signature = pairs[-1][1]
        if "+" in signature:
            break
    else:  # pragma: no cover - 200 signatures without '+' is practically impossible
        pytest.fail("no signature with '+'")
    # An unencoded '+' in a query string decodes to a space.
    pairs[-1] = ("oauth_signature", signature.replace("+", " "))
    assert auth.authenticate(request(pairs)) == RW


def test_repeated_query_keys_collapse_to_last_value() -> None:
    auth = make_auth(https=False)
    signed = oauth_pairs(RW, [("per_page", "10")])
    assert auth.authenticate(request([("per_page", "99"), *signed, ("per_page", "10")])) == RW
    # The first value is not what counts: signing over it fails.
    auth = make_auth(https=False)
    signed = oauth_pairs(RW, [("per_page", "99")])
    assert (
        error_of(auth, request([*signed, ("per_page", "10")]))[1]
        == "Invalid signature - provided signature does not match."
    )


def test_nested_params_are_signed_as_brackets() -> None:
    auth = make_auth(https=False)
    url = HOME + ORDERS
    oauth = dict(oauth_pairs(RW)[:-1])
    signed = {"include": ["3", "4"], **oauth}
    signature = oauth_signature(
        oauth_base_string("GET", url, signed), RW.consumer_secret, "HMAC-SHA256"
    )
    pairs = [("include[]", "3"), ("include[]", "4"), *oauth.items(), ("oauth_signature", signature)]
    assert auth.authenticate(request(pairs)) == RW


def test_wrong_secret_signature_mismatch() -> None:
    pairs = oauth_pairs(RW, secret="cs_wrong")
    assert error_of(make_auth(https=False), request(pairs)) == (
        AUTH_ERROR,
        "Invalid signature - provided signature does not match.",
        401,
    )


def test_signature_over_other_url_or_method_fails() -> None:
    for pairs, method in [
        (oauth_pairs(RW, url="https://127.0.0.1:8080" + ORDERS), "GET"),
        (oauth_pairs(RW, url=HOME + "/wp-json/wc/v3/customers"), "GET"),
        (oauth_pairs(RW, method="DELETE"), "GET"),
    ]:
        assert (
            error_of(make_auth(https=False), request(pairs, method=method))[1]
            == "Invalid signature - provided signature does not match."
        )


def test_unknown_oauth_key() -> None:
    ghost = derive_key("someone-else")
    assert error_of(make_auth(https=False), request(oauth_pairs(ghost))) == (
        AUTH_ERROR,
        "Consumer key is invalid.",
        401,
    )


def test_bad_signature_method() -> None:
    pairs = [(k, "PLAINTEXT" if k == "oauth_signature_method" else v) for k, v in oauth_pairs(RW)]
    assert error_of(make_auth(https=False), request(pairs))[1] == (
        "Invalid signature - signature method is invalid."
    )
    lower = oauth_pairs(RW)
    lower = [(k, "hmac-sha256" if k == "oauth_signature_method" else v) for k, v in lower]
    assert error_of(make_auth(https=False), request(lower))[1] == (
        "Invalid signature - signature method is invalid."
    )


def test_missing_oauth_parameters_singular_and_plural() -> None:
    pairs = [p for p in oauth_pairs(RW) if p[0] != "oauth_nonce"]
    assert error_of(make_auth(https=False), request(pairs)) == (
        "woocommerce_rest_authentication_missing_parameter",
        "Missing OAuth parameter oauth_nonce",
        401,
    )
    only_key = [("oauth_consumer_key", RW.consumer_key), ("oauth_timestamp", "0")]
    assert error_of(make_auth(https=False), request(only_key))[1] == (
        "Missing OAuth parameters oauth_timestamp, oauth_nonce, oauth_signature, "
        "oauth_signature_method"
    )


def test_no_credentials_is_anonymous() -> None:
    assert make_auth().authenticate(request([("per_page", "5")])) is None
    assert make_auth(https=False).authenticate(request()) is None


def test_non_woocommerce_route_is_not_authenticated() -> None:
    pairs = oauth_pairs(RW, secret="cs_wrong", url=HOME + "/wp-json/wp/v2/users")
    assert make_auth(https=False).authenticate(request(pairs, path="/wp-json/wp/v2/users")) is None


# --------------------------------------------------------------------------- timestamp/nonce


@pytest.mark.parametrize(
    ("offset", "ok"),
    [
        (0, True),
        (-NONCE_WINDOW, True),
        (NONCE_WINDOW, True),
        (-NONCE_WINDOW - 1, False),
        (NONCE_WINDOW + 1, False),
    ],
)
def test_timestamp_window_on_store_clock(offset: int, ok: bool) -> None:
    auth = make_auth(https=False)
    req = request(oauth_pairs(RW, timestamp=NOW + offset))
    if ok:
        assert auth.authenticate(req) == RW
    else:
        assert error_of(auth, req) == (AUTH_ERROR, "Invalid timestamp.", 401)


def test_timestamp_follows_the_clock_when_moved() -> None:
    clock = Clock(START, frozen=True)
    auth = make_auth(https=False, clock=clock)
    clock.advance(NONCE_WINDOW + 1)
    assert error_of(auth, request(oauth_pairs(RW)))[1] == "Invalid timestamp."
    assert auth.authenticate(request(oauth_pairs(RW, timestamp=NOW + NONCE_WINDOW + 1))) == RW


@pytest.mark.parametrize("timestamp", ["abc", "1e3", f" {NOW + 2 * NONCE_WINDOW}"])
def test_timestamp_compared_like_php(timestamp: str) -> None:
    req = request(oauth_pairs(RW, timestamp=timestamp))
    assert error_of(make_auth(https=False), req)[1] == "Invalid timestamp."


def test_numeric_string_timestamp_is_accepted_like_php() -> None:
    assert make_auth(https=False).authenticate(request(oauth_pairs(RW, timestamp=f"{NOW}.5"))) == RW


def test_signature_checked_before_timestamp() -> None:
    pairs = oauth_pairs(RW, timestamp=NOW - 10 * NONCE_WINDOW, secret="cs_wrong")
    assert error_of(make_auth(https=False), request(pairs))[1] == (
        "Invalid signature - provided signature does not match."
    )


def test_nonce_replay_rejected_per_key_and_pruned_after_window() -> None:
    clock = Clock(START, frozen=True)
    auth = make_auth(https=False, clock=clock)
    assert auth.authenticate(request(oauth_pairs(RW, nonce="once"))) == RW
    assert error_of(auth, request(oauth_pairs(RW, nonce="once", timestamp=NOW + 1))) == (
        AUTH_ERROR,
        "Invalid nonce - nonce has already been used.",
        401,
    )
    # Another key has its own nonce memory.
    assert auth.authenticate(request(oauth_pairs(READ, nonce="once"))) == READ
    # 15 minutes of store time later the old nonce is forgotten once another request prunes.
    clock.advance(NONCE_WINDOW + 1)
    later = NOW + NONCE_WINDOW + 1
    assert auth.authenticate(request(oauth_pairs(RW, nonce="other", timestamp=later))) == RW
    assert auth.authenticate(request(oauth_pairs(RW, nonce="once", timestamp=later + 1))) == RW


def test_forget_nonces_allows_reuse() -> None:
    auth = make_auth(https=False)
    req = request(oauth_pairs(RW, nonce="again"))
    assert auth.authenticate(req) == RW
    assert error_of(auth, req)[1] == "Invalid nonce - nonce has already been used."
    auth.forget_nonces()
    assert auth.authenticate(req) == RW


def test_one_nonce_remembered_per_timestamp_like_woocommerce() -> None:
    auth = make_auth(https=False)
    assert auth.authenticate(request(oauth_pairs(RW, nonce="first"))) == RW
    assert auth.authenticate(request(oauth_pairs(RW, nonce="second"))) == RW
    # "second" replaced "first" under the same timestamp, so "first" is usable again.
    assert auth.authenticate(request(oauth_pairs(RW, nonce="first", timestamp=NOW + 1))) == RW


# --------------------------------------------------------------------------- Basic / query


def basic(key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


def test_basic_header_and_query_keys_over_https() -> None:
    auth = make_auth()
    assert (
        auth.authenticate(request(authorization=basic(RW.consumer_key, RW.consumer_secret))) == RW
    )
    query = [("consumer_key", READ.consumer_key), ("consumer_secret", READ.consumer_secret)]
    assert auth.authenticate(request(query)) == READ


def test_basic_wrong_secret_and_unknown_key() -> None:
    auth = make_auth()
    assert error_of(auth, request(authorization=basic(RW.consumer_key, "cs_nope"))) == (
        AUTH_ERROR,
        "Consumer secret is invalid.",
        401,
    )
    query = [("consumer_key", RW.consumer_key), ("consumer_secret", "cs_nope")]
    assert error_of(auth, request(query))[1] == "Consumer secret is invalid."
    assert auth.authenticate(request(authorization=basic("ck_unknown", "cs_x"))) is None
    assert (
        auth.authenticate(request([("consumer_key", "ck_unknown"), ("consumer_secret", "x")]))
        is None
    )


def test_query_keys_win_over_header_only_when_both_present() -> None:
    auth = make_auth()
    good_header = basic(RW.consumer_key, RW.consumer_secret)
    wrong_query = [("consumer_key", RW.consumer_key), ("consumer_secret", "cs_nope")]
    assert error_of(auth, request(wrong_query, authorization=good_header))[1] == (
        "Consumer secret is invalid."
    )
    # Only one of the pair (or "0", empty for PHP): the header is used.
    assert auth.authenticate(request([("consumer_key", "ck_x")], authorization=good_header)) == RW
    half = [("consumer_key", RW.consumer_key), ("consumer_secret", "0")]
    assert auth.authenticate(request(half, authorization=good_header)) == RW


def test_plain_http_ignores_basic_and_query_keys() -> None:
    auth = make_auth(https=False)
    assert (
        auth.authenticate(request(authorization=basic(RW.consumer_key, RW.consumer_secret))) is None
    )
    query = [("consumer_key", RW.consumer_key), ("consumer_secret", "cs_wrong")]
    assert auth.authenticate(request(query)) is None


def test_basic_failure_then_oauth_over_https() -> None:
    auth = make_auth()
    # Unknown Basic key: OAuth is tried next and succeeds.
    pairs = oauth_pairs(RW)
    assert auth.authenticate(request(pairs, authorization=basic("ck_unknown", "cs_x"))) == RW
    # A wrong secret is remembered: WooCommerce still answers with it after OAuth succeeds.
    pairs = oauth_pairs(RW, nonce="nonce-2")
    wrong = basic(RW.consumer_key, "cs_nope")
    assert error_of(auth, request(pairs, authorization=wrong))[1] == "Consumer secret is invalid."
    # A later OAuth error replaces it.
    bad = oauth_pairs(RW, nonce="nonce-3", secret="cs_wrong")
    assert error_of(auth, request(bad, authorization=wrong))[1] == (
        "Invalid signature - provided signature does not match."
    )


def test_consumer_key_is_sanitized_before_lookup() -> None:
    auth = make_auth()
    header = basic(f"  {RW.consumer_key}\t", RW.consumer_secret)
    assert auth.authenticate(request(authorization=header)) == RW


def test_parse_basic_header_like_php() -> None:
    assert parse_basic_header(basic("u", "p:q")) == ("u", "p:q")
    assert parse_basic_header("basic " + base64.b64encode(b"u:p").decode().rstrip("=")) == (
        "u",
        "p",
    )
    assert parse_basic_header("Basic " + base64.b64encode(b"nocolon").decode()) is None
    assert parse_basic_header("Bearer x") is None


def test_parse_oauth_header_like_woocommerce() -> None:
    header = ' OAuth realm="r", oauth_nonce="a%2Bb", oauth_timestamp=12, oauth_consumer_key="0"'
    assert parse_oauth_header(header) == {
        "oauth_nonce": "a+b",
        "oauth_timestamp": "12",
        "oauth_consumer_key": "",
    }
    assert parse_oauth_header('oauth oauth_nonce="x"') == {}


def test_sanitize_text_field() -> None:
    assert sanitize_text_field(" a \n\t b ") == "a b"
    assert sanitize_text_field("ck_%41abc") == "ck_abc"
    assert sanitize_text_field("<b>ck</b>") == "ck"
    assert sanitize_text_field(["x"]) == ""


# --------------------------------------------------------------------------- permissions


@pytest.mark.parametrize(
    ("key", "method", "message"),
    [
        (READ, "GET", None),
        (READ, "HEAD", None),
        (READ, "OPTIONS", None),
        (READ, "POST", "The API key provided does not have write permissions."),
        (READ, "DELETE", "The API key provided does not have write permissions."),
        (WRITE, "PUT", None),
        (WRITE, "patch", None),
        (WRITE, "OPTIONS", None),
        (WRITE, "GET", "The API key provided does not have read permissions."),
        (RW, "GET", None),
        (RW, "DELETE", None),
        (RW, "TRACE", "Unknown request method."),
    ],
)
def test_key_permissions(key: ApiKey, method: str, message: str | None) -> None:
    auth = make_auth()
    if message is None:
        auth.check_permissions(key, method)
        return
    with pytest.raises(RestError) as caught:
        auth.check_permissions(key, method)
    assert (caught.value.code, caught.value.message, caught.value.status) == (
        AUTH_ERROR,
        message,
        401,
    )


# --------------------------------------------------------------------------- official client


def client_request(url: str) -> AuthRequest:
    """What the server sees for a URL: decoded query pairs in wire order, repeats kept."""
    parts = urlsplit(url)
    return request(parse_qsl(parts.query, keep_blank_values=True), path=parts.path)


def official_client_url(params: dict[str, str]) -> str:
    """Exactly what ``woocommerce.API`` sends over http: OAuth URL plus ``params=`` again."""
    url = f"{HOME}/wp-json/wc/v3/orders?{urlencode(params)}"
    signed = OAuth(url, RW.consumer_key, RW.consumer_secret, version="wc/v3", method="GET")
    oauth_url: str = signed.get_oauth_url()
    return oauth_url + "&" + urlencode(params)


def test_official_client_signatures_authenticate() -> None:
    auth = make_auth(https=False, clock=Clock())  # the client stamps with time.time()
    params = {
        "per_page": "10",
        "modified_after": "2024-01-01T00:00:00",
        "search": "a b+c,~*",
    }
    url = official_client_url(params)
    assert url.count("per_page=10") == 2  # the duplication of spec 5.3
    assert auth.authenticate(client_request(url)) == RW


def test_official_client_without_params_authenticates() -> None:
    auth = make_auth(https=False, clock=Clock())
    oauth = OAuth(HOME + ORDERS, RW.consumer_key, RW.consumer_secret, version="wc/v3")
    assert auth.authenticate(client_request(oauth.get_oauth_url())) == RW


def test_official_client_slash_in_value_is_rejected_like_the_real_store() -> None:
    auth = make_auth(https=False, clock=Clock())
    url = official_client_url({"search": "a/b"})
    assert error_of(auth, client_request(url)) == (
        AUTH_ERROR,
        "Invalid signature - provided signature does not match.",
        401,
    )


# --------------------------------------------------------------------------- end to end


def _pairs(values: Any) -> list[tuple[str, str]]:
    return [(str(k), str(v)) for k, v in values.items()]


@pytest.fixture
async def auth_server() -> AsyncIterator[str]:
    """A tiny server that answers with the authenticated key id or the 401 JSON."""
    runner: web.AppRunner | None = None

    async def handle(req: web.Request) -> web.Response:
        form: list[tuple[str, str]] = []
        if req.content_type == "application/x-www-form-urlencoded":
            form = _pairs(await req.post())
        auth_req = AuthRequest(
            req.method,
            req.raw_path.split("?", 1)[0],
            _pairs(req.query),
            form,
            req.headers.get("Authorization"),
        )
        try:
            key = authenticator.authenticate(auth_req)
            if key is not None:
                authenticator.check_permissions(key, req.method)
        except RestError as error:
            return web.Response(
                body=dumps(error.to_json()), status=error.status, content_type="application/json"
            )
        body = {"key_id": None if key is None else key.key_id}
        return web.Response(body=dumps(body), content_type="application/json")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    home = f"http://127.0.0.1:{port}"
    authenticator = make_auth(https=False, home=home, clock=Clock())
    try:
        yield home
    finally:
        await runner.cleanup()


async def test_official_api_client_end_to_end(auth_server: str) -> None:
    client = API(url=auth_server, consumer_key=RW.consumer_key, consumer_secret=RW.consumer_secret)
    params = {"per_page": "10", "modified_after": "2024-01-01T00:00:00"}
    ok = await asyncio.to_thread(client.get, "orders", params=params)
    assert ok.status_code == 200
    assert ok.json() == {"key_id": RW.key_id}

    slash = await asyncio.to_thread(client.get, "orders", params={"search": "a/b"})
    assert slash.status_code == 401
    assert slash.json() == {
        "code": AUTH_ERROR,
        "message": "Invalid signature - provided signature does not match.",
        "data": {"status": 401},
    }

    read_only = API(
        url=auth_server, consumer_key=READ.consumer_key, consumer_secret=READ.consumer_secret
    )
    denied = await asyncio.to_thread(read_only.post, "orders", {"status": "pending"})
    assert denied.status_code == 401
    assert denied.json()["message"] == "The API key provided does not have write permissions."


def test_a_remembered_basic_header_still_yields_to_the_query_pair_and_wrong_ones_are_not_kept() -> (
    None
):
    auth = make_auth()
    good = "Basic " + base64.b64encode(f"{RW.consumer_key}:{RW.consumer_secret}".encode()).decode()
    wrong = "Basic " + base64.b64encode(f"{RW.consumer_key}:cs_wrong".encode()).decode()
    for _ in range(2):  # the second time answers from what the first one remembered
        assert auth.authenticate(request(authorization=good)) == RW
        with pytest.raises(RestError, match="Consumer secret is invalid"):
            auth.authenticate(request(authorization=wrong))
    # The query's pair comes first, whatever the (remembered) header says.
    query = [("consumer_key", READ.consumer_key), ("consumer_secret", READ.consumer_secret)]
    assert auth.authenticate(request(query, authorization=good)) == READ
    bad_query = [("consumer_key", RW.consumer_key), ("consumer_secret", "cs_wrong")]
    with pytest.raises(RestError, match="Consumer secret is invalid"):
        auth.authenticate(request(bad_query, authorization=good))
