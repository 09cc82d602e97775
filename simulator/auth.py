"""WooCommerce REST authentication (``WC_REST_Authentication``), step for step.

Decision flow (spec 3.1): on a request to a ``wp-json/wc/`` or ``wp-json/wc-`` route,

1. over HTTPS: Basic auth, from the ``consumer_key``/``consumer_secret`` query params
   when both are non-empty, else from a ``Basic`` Authorization header;
2. if no key came out of that (or over plain HTTP, always): OAuth 1.0a one-legged from
   the query, form and ``Authorization: OAuth`` params merged.

An unknown Basic key is anonymous, a known key with a wrong secret is an error. As in
WooCommerce, an error is remembered and wins at the end, even if a later scheme
succeeds, and a later error replaces an earlier one.

Where the simulator must pick a behaviour, PHP's is reproduced: ``empty()`` (``"0"``
counts as empty), ``array_merge`` of ``$_GET``/``$_POST``, loose comparison of the
timestamp string with ``time()``, one remembered nonce per timestamp.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from simulator.clock import Clock
from simulator.errors import RestError
from simulator.keys import ApiKey, KeyRing
from simulator.params import php_empty
from simulator.phpquery import parse_php_query, rawurldecode, rawurlencode, urldecode

__all__ = [
    "NONCE_WINDOW",
    "OAUTH_REQUIRED",
    "AuthRequest",
    "Authenticator",
    "oauth_base_string",
    "oauth_signature",
    "oauth_signing_url",
    "parse_basic_header",
    "parse_oauth_header",
    "sanitize_text_field",
]

#: Seconds a timestamp may be off the store clock, and how long nonces are kept.
NONCE_WINDOW = 15 * 60

OAUTH_REQUIRED = (
    "oauth_consumer_key",
    "oauth_timestamp",
    "oauth_nonce",
    "oauth_signature",
    "oauth_signature_method",
)
_SIGNATURE_METHODS = {"HMAC-SHA1": hashlib.sha1, "HMAC-SHA256": hashlib.sha256}
_AUTH_ERROR = "woocommerce_rest_authentication_error"


@dataclass(frozen=True)
class AuthRequest:
    """What authentication reads from a request.

    ``path`` is the path as sent on the wire (still percent-encoded, no query): it
    goes into the OAuth base string exactly as WordPress reads it from ``REQUEST_URI``.
    """

    method: str
    path: str
    query: Sequence[tuple[str, str]]
    form: Sequence[tuple[str, str]]
    authorization: str | None
    #: ``query`` already parsed PHP's way, when the caller has it (read only).
    get: Mapping[str, Any] | None = None


#: Authorization headers remembered by an authenticator (each names a key).
_BASIC_KEYS_MAX = 256


def _error(message: str) -> RestError:
    return RestError(_AUTH_ERROR, message, 401)


# --------------------------------------------------------------------------- PHP helpers


def _utf8(value: str) -> bytes:
    try:
        return value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogatepass")


_INT_KEY = re.compile(r"-?(?:0|[1-9][0-9]*)\Z")
_PHP_WS = " \t\n\r\v\f"
_NUMERIC = re.compile(
    r"[ \t\n\r\v\f]*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[ \t\n\r\v\f]*\Z"
)


def _is_int_key(key: str) -> bool:
    return bool(_INT_KEY.match(key)) and key != "-0" and abs(int(key)) < 2**63


def _php_array_merge(*arrays: Mapping[str, Any]) -> dict[str, Any]:
    """PHP ``array_merge``: string keys overwrite in place, integer keys are renumbered."""
    merged: dict[str, Any] = {}
    next_index = 0
    for array in arrays:
        for key, value in array.items():
            if _is_int_key(key):
                merged[str(next_index)] = value
                next_index += 1
            else:
                merged[key] = value
    return merged


def _php_compare(left: str, right: int) -> int:
    """PHP 8 ``$string <=> $int``: numeric strings compare as numbers, others as strings."""
    if _NUMERIC.match(left):
        try:
            number = Decimal(left.strip(_PHP_WS))
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
            number = Decimal(0)
        return (number > right) - (number < right)
    other = str(right).encode()
    mine = _utf8(left)
    return (mine > other) - (mine < other)


_TAG = re.compile(r"<[^>]*>")
_PERCENT_OCTET = re.compile(r"%[a-fA-F0-9]{2}")


def sanitize_text_field(value: Any) -> str:
    """WordPress ``sanitize_text_field`` as applied to a consumer key before lookup.

    Invalid UTF-8 gives ``""``; tags are stripped (a lone ``<`` becomes ``&lt;``);
    runs of whitespace become one space; the result is trimmed; ``%XX`` octets are
    removed. Arrays give ``""``.
    """
    if not isinstance(value, str):
        return ""
    if any("\udc80" <= char <= "\udcff" for char in value):
        return ""  # wp_check_invalid_utf8: not UTF-8 at all
    text = value
    if "<" in text:
        text = _TAG.sub("", text).replace("<", "&lt;")
    text = re.sub(r"[\r\n\t ]+", " ", text).strip(" \t\n\r\0\x0b")
    found = False
    while match := _PERCENT_OCTET.search(text):
        text = text.replace(match.group(0), "")
        found = True
    if found:
        text = re.sub(" +", " ", text).strip(" \t\n\r\0\x0b")
    return text


# --------------------------------------------------------------------------- headers

_OAUTH_HEADER_PARAM = re.compile(r'(oauth_[a-z_-]*)=(:?"([^"]*)"|([^,]*))')


def parse_oauth_header(header: str) -> dict[str, str]:
    """WooCommerce ``parse_header``: ``oauth_*`` params of an ``OAuth ...`` header.

    The prefix is case-sensitive; values are PHP-``urldecode``d. A quoted value that
    PHP considers empty (``""`` or ``"0"``) comes out as ``""``, as in WooCommerce.
    """
    header = header.strip(" \t\n\r\0\x0b")
    if not header.startswith("OAuth "):
        return {}
    params: dict[str, str] = {}
    for match in _OAUTH_HEADER_PARAM.finditer(header):
        quoted, bare = match.group(3) or "", match.group(4) or ""
        params[match.group(1)] = urldecode(bare if php_empty(quoted) else quoted)
    return params


def parse_basic_header(header: str) -> tuple[str, str] | None:
    """``PHP_AUTH_USER``/``PHP_AUTH_PW`` from a ``Basic`` header, as PHP derives them.

    The scheme is case-insensitive; base64 is decoded leniently (PHP's non-strict
    decoder skips characters outside the alphabet); without a ``:`` there is no user.
    """
    if header[:6].lower() != "basic ":
        return None
    alphabet = re.sub(r"[^A-Za-z0-9+/]", "", header[6:])
    if len(alphabet) % 4 == 1:
        return None
    try:
        decoded = base64.b64decode(alphabet + "=" * (-len(alphabet) % 4))
    except (binascii.Error, ValueError):
        return None
    user, colon, password = decoded.partition(b":")
    if not colon:
        return None
    # Both end at a NUL byte: PHP stores them as C strings.
    user = user.split(b"\0", 1)[0]
    password = password.split(b"\0", 1)[0]
    return user.decode("utf-8", "surrogateescape"), password.decode("utf-8", "surrogateescape")


# --------------------------------------------------------------------------- OAuth 1.0a


def oauth_signing_url(home_url: str, path: str) -> str:
    """``get_home_url(null, $request_path)`` with the WordPress base stripped from the path.

    ``home_url`` is the site URL (``scheme://host:port[/prefix]``); ``path`` the raw
    request path. The scheme is the home URL's own (see :class:`Authenticator`).
    """
    home = home_url.rstrip("/")
    wp_base = (urlsplit(home).path or "") + "/"
    if path.startswith(wp_base):
        path = path[len(wp_base) :]
    return home + "/" + path.lstrip("/")


def _normalize(value: Any) -> Any:
    """``wc_rest_urlencode_rfc3986`` on values, keeping array keys."""
    if isinstance(value, dict):
        return {key: _normalize(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_normalize(item) for item in value]
    return rawurlencode(value if isinstance(value, str) else str(value))


def _join_with_equals_sign(params: Mapping[str, Any], out: list[str], parent: str = "") -> None:
    for raw_key, value in params.items():
        key = f"{parent}%5B{raw_key}%5D" if parent else raw_key
        if isinstance(value, dict):
            _join_with_equals_sign(value, out, key)
        elif isinstance(value, list):
            _join_with_equals_sign({str(i): item for i, item in enumerate(value)}, out, key)
        else:
            out.append(rawurlencode(f"{key}={value}"))


def oauth_base_string(method: str, signing_url: str, params: Mapping[str, Any]) -> str:
    """The OAuth base string WooCommerce signs (``oauth_signature`` must be removed first).

    Keys sorted byte-wise (``strcmp``), keys and values ``rawurlencode``d, each ``k=v``
    ``rawurlencode``d again, pairs joined with ``%26``; nested arrays as ``k%5Bsub%5D``.
    """
    ordered = sorted(params.items(), key=lambda item: _utf8(item[0]))
    normalized = {rawurlencode(key): _normalize(value) for key, value in ordered}
    pairs: list[str] = []
    _join_with_equals_sign(normalized, pairs)
    return f"{method.upper()}&{rawurlencode(signing_url)}&{'%26'.join(pairs)}"


def oauth_signature(base_string: str, consumer_secret: str, signature_method: str) -> str:
    """base64 HMAC of the base string with key ``secret + "&"`` (no token secret)."""
    digest = _SIGNATURE_METHODS[signature_method]
    key = _utf8(consumer_secret + "&")
    return base64.b64encode(hmac.new(key, _utf8(base_string), digest).digest()).decode("ascii")


# --------------------------------------------------------------------------- authenticator


def _is_request_to_wc_api(path: str) -> bool:
    # WooCommerce looks for "wp-json/wc/" or "wp-json/wc-" anywhere in REQUEST_URI; the
    # query part is not consulted here (a route is what the simulator dispatches on).
    return "wp-json/wc/" in path or "wp-json/wc-" in path


class Authenticator:
    """Turns a request's credentials into an :class:`ApiKey`, ``None`` (anonymous) or a 401.

    ``https=True`` behaves as a store where ``is_ssl()`` is true (Basic and query keys
    first, then OAuth); ``https=False`` applies the plain-HTTP rule (OAuth only).

    The OAuth base URL uses ``home_url`` as given, scheme included. WordPress swaps in
    ``https``/``http`` from ``is_ssl()``; on a real store that equals the scheme the
    client used. The simulator may accept Basic auth on plain HTTP (``https=True``
    without TLS), and then the scheme the client actually used is the home URL's.
    """

    def __init__(
        self, keyring: KeyRing, clock: Clock, home_url: str, *, https: bool = True
    ) -> None:
        self.keyring = keyring
        self.clock = clock
        self.home_url = home_url
        self.https = https
        self._lock = threading.Lock()
        # key_id -> {timestamp: nonce}, the ``nonces`` column of woocommerce_api_keys.
        self._nonces: dict[int, dict[int | str, Any]] = {}
        # Authorization header -> the key it authenticated with Basic. A client sends
        # the same header on every request; checking it costs more than the rest of
        # a small request's own work (base64, sanitising, hashing, HMAC comparison).
        # Keys are never removed from a ring nor changed, so an entry stays true.
        self._basic_keys: dict[str, ApiKey] = {}

    def forget_nonces(self) -> None:
        with self._lock:
            self._nonces.clear()

    def authenticate(self, req: AuthRequest) -> ApiKey | None:
        return self.authenticate_replayable(req)[0]

    def authenticate_replayable(self, req: AuthRequest) -> tuple[ApiKey | None, bool]:
        """The key, and whether the same request would get it again: true for Basic
        credentials (header or query keys); never for OAuth, which spends a nonce and
        reads the clock."""
        if not _is_request_to_wc_api(req.path):
            return None, False
        get = parse_php_query(req.query) if req.get is None else req.get
        error: RestError | None = None
        key: ApiKey | None = None
        if self.https:
            key, error = self._basic(get, req.authorization)
        replayable = key is not None
        if key is None:
            key, oauth_error = self._oauth(req, get)
            error = oauth_error or error
        if error is not None:
            raise error
        return key, replayable

    def check_permissions(self, key: ApiKey, method: str) -> None:
        """Key permissions, checked before routing (``check_permissions``)."""
        verb = method.upper()
        if verb in ("HEAD", "GET"):
            if key.permissions not in ("read", "read_write"):
                raise _error("The API key provided does not have read permissions.")
        elif verb in ("POST", "PUT", "PATCH", "DELETE"):
            if key.permissions not in ("write", "read_write"):
                raise _error("The API key provided does not have write permissions.")
        elif verb != "OPTIONS":
            raise _error("Unknown request method.")

    # ----------------------------------------------------------------- Basic

    def _basic(
        self, get: Mapping[str, Any], authorization: str | None
    ) -> tuple[ApiKey | None, RestError | None]:
        consumer_key: Any = ""
        consumer_secret: Any = ""
        from_header = False
        if not php_empty(get.get("consumer_key")) and not php_empty(get.get("consumer_secret")):
            consumer_key, consumer_secret = get["consumer_key"], get["consumer_secret"]
        if php_empty(consumer_key) and authorization:
            known = self._basic_keys.get(authorization)
            if known is not None:
                return known, None
            credentials = parse_basic_header(authorization)
            if credentials and not php_empty(credentials[0]) and not php_empty(credentials[1]):
                consumer_key, consumer_secret = credentials
                from_header = True
        if php_empty(consumer_key) or php_empty(consumer_secret):
            return None, None
        key = self.keyring.find(sanitize_text_field(consumer_key))
        if key is None:
            return None, None
        # A non-string secret (consumer_secret[]=…) makes PHP's hash_equals throw; the
        # simulator answers it like any wrong secret rather than with a 500.
        if not isinstance(consumer_secret, str) or not hmac.compare_digest(
            _utf8(key.consumer_secret), _utf8(consumer_secret)
        ):
            return None, _error("Consumer secret is invalid.")
        if from_header and authorization:
            if len(self._basic_keys) >= _BASIC_KEYS_MAX:
                self._basic_keys.clear()
            self._basic_keys[authorization] = key
        return key, None

    # ----------------------------------------------------------------- OAuth

    def _oauth_params(
        self, req: AuthRequest, get: Mapping[str, Any]
    ) -> tuple[dict[str, Any] | None, RestError | None]:
        params = _php_array_merge(get, parse_php_query(req.form))
        if req.authorization:
            header_params = parse_oauth_header(req.authorization)
            if header_params:
                params = _php_array_merge(params, header_params)
        missing = [name for name in OAUTH_REQUIRED if php_empty(params.get(name))]
        if len(missing) == len(OAUTH_REQUIRED):
            return None, None  # not even trying OAuth
        if missing:
            noun = "parameter" if len(missing) == 1 else "parameters"
            return None, RestError(
                "woocommerce_rest_authentication_missing_parameter",
                f"Missing OAuth {noun} {', '.join(missing)}",
                401,
            )
        return params, None

    def _oauth(
        self, req: AuthRequest, get: Mapping[str, Any]
    ) -> tuple[ApiKey | None, RestError | None]:
        params, error = self._oauth_params(req, get)
        if params is None:
            return None, error
        key = self.keyring.find(sanitize_text_field(params["oauth_consumer_key"]))
        if key is None:
            return None, _error("Consumer key is invalid.")
        error = self._check_signature(key, req, params)
        if error is None:
            error = self._check_timestamp_and_nonce(
                key, params["oauth_timestamp"], params["oauth_nonce"]
            )
        if error is not None:
            return None, error
        return key, None

    def _check_signature(
        self, key: ApiKey, req: AuthRequest, params: dict[str, Any]
    ) -> RestError | None:
        provided = params.pop("oauth_signature")
        method = params["oauth_signature_method"]
        if not isinstance(method, str) or method not in _SIGNATURE_METHODS:
            return _error("Invalid signature - signature method is invalid.")
        if not isinstance(provided, str):
            # PHP throws a TypeError on an array here; a mismatch is the faithful 401.
            return _error("Invalid signature - provided signature does not match.")
        signing_url = oauth_signing_url(self.home_url, req.path)
        base_string = oauth_base_string(req.method, signing_url, params)
        expected = oauth_signature(base_string, key.consumer_secret, method)
        consumer_signature = rawurldecode(provided.replace(" ", "+"))
        if not hmac.compare_digest(expected.encode(), _utf8(consumer_signature)):
            return _error("Invalid signature - provided signature does not match.")
        return None

    def _check_timestamp_and_nonce(
        self, key: ApiKey, timestamp: Any, nonce: Any
    ) -> RestError | None:
        now = int(self.clock.timestamp())
        # PHP compares the raw string with time(); an array compares greater than anything.
        if not isinstance(timestamp, str) or (
            _php_compare(timestamp, now - NONCE_WINDOW) < 0
            or _php_compare(timestamp, now + NONCE_WINDOW) > 0
        ):
            return _error("Invalid timestamp.")
        with self._lock:
            used = self._nonces.setdefault(key.key_id, {})
            if any(type(seen) is type(nonce) and seen == nonce for seen in used.values()):
                return _error("Invalid nonce - nonce has already been used.")
            # One nonce per timestamp: a second request in the same second replaces the
            # first one's nonce, exactly as the real store's array does.
            used[int(timestamp) if _is_int_key(timestamp) else timestamp] = nonce
            for seen_at in list(used):
                if _php_compare(str(seen_at), now - NONCE_WINDOW) < 0:
                    del used[seen_at]
        return None
