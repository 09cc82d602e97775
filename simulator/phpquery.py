"""PHP's query-string semantics, as WordPress sees them.

Parsing follows PHP's ``php_register_variable_ex`` (what fills ``$_GET``/``$_POST``):

* a repeated key keeps the **last** value (``a=1&a=2`` gives ``a=2``);
* ``k[]=a&k[]=b`` appends (a list), ``k[x]=1`` builds a keyed array (a dict), nesting
  works at any depth (``k[a][]=1``); ``k[ ]`` (one whitespace) appends too;
* top-level names lose leading spaces, and ``' '`` and ``'.'`` become ``'_'`` (``a.b``
  and ``a b`` both arrive as ``a_b``); a ``[`` without a closing ``]`` becomes ``'_'``
  and the rest of the name is mangled the same way (PHP 8); text after the last ``]``
  is dropped (``a[x]junk`` is ``a[x]``);
* a name is cut at a NUL byte; an empty name is dropped; a name that mangling turned
  into ``__Host-``/``__Secure-`` is dropped (PHP 8 cookie-prefix guard, applied to all
  input);
* assigning under a key that holds a string replaces the string with an array, and a
  plain assignment replaces an array;
* nesting deeper than ``max_input_nesting_level`` (64) drops the whole variable; pairs
  past ``max_input_vars`` (1000) are ignored.

A PHP array becomes a Python ``list`` when its keys are exactly ``0..n-1`` in order
(``array_is_list``), otherwise a ``dict`` with string keys, in insertion order. Canonical
integer strings (``"7"``, ``"-1"``, not ``"07"``) are integer keys, as in PHP, so
``k[1]=a&k[0]=b`` is the dict ``{"1": "a", "0": "b"}`` and ``k[0]=a&k[1]=b`` the list.

Building follows WordPress ``urlencode_deep`` + ``build_query`` + ``add_query_arg`` as
used for the paging ``Link`` header: values are PHP-``urlencode``d (space ``+``, ``~``
``%7E``), keys are written raw except that nested keys become ``k%5Bsub%5D``, and a
parameter with an empty value loses its ``=``.

All functions work on ``str``; bytes that are not UTF-8 are carried as
``surrogateescape`` code points, which encode back to the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "MAX_INPUT_NESTING_LEVEL",
    "MAX_INPUT_VARS",
    "add_query_arg",
    "build_php_query",
    "parse_php_query",
    "parse_php_query_string",
    "rawurldecode",
    "rawurlencode",
    "split_query_string",
    "urldecode",
    "urlencode",
    "urlencode_deep",
]

#: PHP ini defaults.
MAX_INPUT_NESTING_LEVEL = 64
MAX_INPUT_VARS = 1000

_RFC3986_UNRESERVED = frozenset(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"
)
# PHP urlencode keeps only alphanumerics and "-_." ('~' is encoded, space is '+').
_URLENCODE_SAFE = _RFC3986_UNRESERVED - {ord("~")}
_HEX = "0123456789ABCDEF"
# C isspace(): what PHP skips once after '[' before looking for ']'.
_C_SPACE = frozenset(" \t\n\v\f\r")
_INT_KEY = re.compile(r"-?(?:0|[1-9][0-9]*)\Z")
_PHP_LONG_MIN = -(2**63)
_PHP_LONG_MAX = 2**63 - 1


def _to_bytes(value: str) -> bytes:
    try:
        return value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        # A lone surrogate that is not an escaped byte: keep it encodable rather than fail.
        return value.encode("utf-8", "surrogatepass")


def _from_bytes(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def rawurlencode(value: str) -> str:
    """PHP ``rawurlencode`` (RFC 3986): keep ``A-Za-z0-9-._~``, ``%XX`` (upper-case) the rest."""
    out: list[str] = []
    for byte in _to_bytes(value):
        if byte in _RFC3986_UNRESERVED:
            out.append(chr(byte))
        else:
            out.append("%" + _HEX[byte >> 4] + _HEX[byte & 15])
    return "".join(out)


def urlencode(value: str) -> str:
    """PHP ``urlencode``: keep ``A-Za-z0-9-_.``, space becomes ``+``, ``%XX`` the rest."""
    out: list[str] = []
    for byte in _to_bytes(value):
        if byte in _URLENCODE_SAFE:
            out.append(chr(byte))
        elif byte == 0x20:
            out.append("+")
        else:
            out.append("%" + _HEX[byte >> 4] + _HEX[byte & 15])
    return "".join(out)


def _percent_decode(value: str, *, plus_is_space: bool) -> str:
    if "%" not in value and value.isascii() and not (plus_is_space and "+" in value):
        return value  # nothing to decode (most names and values): the bytes round trip
    data = _to_bytes(value)
    out = bytearray()
    i = 0
    length = len(data)
    while i < length:
        byte = data[i]
        if byte == 0x2B and plus_is_space:
            out.append(0x20)
        elif byte == 0x25 and i + 2 < length and _is_hex(data[i + 1]) and _is_hex(data[i + 2]):
            out.append(int(data[i + 1 : i + 3], 16))
            i += 2
        else:
            # PHP keeps a malformed escape ("%zz", a trailing "%") literally.
            out.append(byte)
        i += 1
    return _from_bytes(bytes(out))


def _is_hex(byte: int) -> bool:
    return byte in b"0123456789abcdefABCDEF"


def urldecode(value: str) -> str:
    """PHP ``urldecode``: ``+`` is a space, ``%XX`` decoded, malformed escapes kept."""
    return _percent_decode(value, plus_is_space=True)


def rawurldecode(value: str) -> str:
    """PHP ``rawurldecode``: like :func:`urldecode` but ``+`` stays ``+``."""
    return _percent_decode(value, plus_is_space=False)


# --------------------------------------------------------------------------- parsing

_Key = int | str


class _PhpArray:
    """An ordered PHP array: int or str keys, PHP's next-free-index rule for appends."""

    __slots__ = ("items", "next_free")

    def __init__(self) -> None:
        self.items: dict[_Key, Any] = {}
        # PHP >= 8.3: starts "unset"; the first int key k makes it k + 1 even when negative.
        self.next_free: int | None = None

    def append(self, value: Any) -> bool:
        index = 0 if self.next_free is None else self.next_free
        if index > _PHP_LONG_MAX:
            return False  # PHP refuses the insert ("next element is already occupied")
        self.items[index] = value
        self.next_free = index + 1
        return True

    def set(self, key: _Key, value: Any) -> None:
        self.items[key] = value
        if isinstance(key, int) and (self.next_free is None or key >= self.next_free):
            self.next_free = key + 1

    def child_array(self, key: _Key | None) -> _PhpArray | None:
        """The array under ``key`` (``None`` = append), created or replacing a scalar."""
        if key is None:
            child = _PhpArray()
            return child if self.append(child) else None
        existing = self.items.get(key)
        if isinstance(existing, _PhpArray):
            return existing
        child = _PhpArray()
        self.set(key, child)
        return child


def _php_key(raw: str) -> _Key:
    """ZEND_HANDLE_NUMERIC_STR: canonical decimal integers in the PHP long range are ints."""
    if _INT_KEY.match(raw) and raw != "-0":
        number = int(raw)
        if _PHP_LONG_MIN <= number <= _PHP_LONG_MAX:
            return number
    return raw


def _mangle(name: str) -> str:
    return name.replace(" ", "_").replace(".", "_")


def _register(root: _PhpArray, raw_name: str, value: str) -> None:
    """``php_register_variable_ex`` for one already-decoded pair."""
    name = raw_name.split("\0", 1)[0]  # the name is a C string
    name = name.lstrip(" ")
    bracket = name.find("[")
    base = _mangle(name if bracket < 0 else name[:bracket])
    rest = "" if bracket < 0 else name[bracket:]
    if not base or _took_cookie_prefix(raw_name, base):
        return

    if not rest:
        root.set(_php_key(base), value)
        return

    target: _PhpArray = root
    index: str | None = base
    position = 0  # index into ``rest`` of the current '['
    depth = 0
    while True:
        depth += 1
        if depth > MAX_INPUT_NESTING_LEVEL:
            root.items.pop(_php_key(base), None)
            return
        start = position + 1
        probe = start
        if probe < len(rest) and rest[probe] in _C_SPACE:
            probe += 1
        if probe < len(rest) and rest[probe] == "]":
            next_index: str | None = None
            close = probe
        else:
            close = rest.find("]", probe)
            if close < 0:
                if depth == 1:
                    # Not an index: "[" turns into "_" and the tail is mangled like a name.
                    tail = rest[start:].replace("[", "_")
                    index = base + "_" + _mangle(tail)
                # Deeper: the value goes to the last complete index; the tail is dropped.
                break
            next_index = rest[start:close]
        key = None if index is None else _php_key(index)
        child = target.child_array(key)
        if child is None:
            return
        target = child
        index = next_index
        position = close + 1
        if position < len(rest) and rest[position] == "[":
            continue
        break

    if index is None:
        target.append(value)
    else:
        target.set(_php_key(index), value)


def _took_cookie_prefix(original: str, mangled: str) -> bool:
    for prefix in ("__Host-", "__Secure-"):
        if mangled.startswith(prefix) and not original.startswith(prefix):
            return True
    return False


def _to_python(value: Any) -> Any:
    if not isinstance(value, _PhpArray):
        return value
    items = value.items
    if list(items) == list(range(len(items))):
        return [_to_python(item) for item in items.values()]
    return {str(key): _to_python(item) for key, item in items.items()}


def parse_php_query(pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """``$_GET`` from already-decoded ``(key, value)`` pairs in wire order.

    Values are ``str``, ``list`` or ``dict`` (see the module docstring for the rules).
    """
    root = _PhpArray()
    for count, (name, value) in enumerate(pairs, start=1):
        if count > MAX_INPUT_VARS:
            break
        _register(root, name, value)
    return {str(key): _to_python(item) for key, item in root.items.items()}


def split_query_string(query: str) -> list[tuple[str, str]]:
    """Split a raw query string into decoded pairs the way PHP does (``&`` only)."""
    pairs: list[tuple[str, str]] = []
    for part in query.split("&"):
        if not part:
            continue  # strtok skips empty tokens
        name, sep, value = part.partition("=")
        pairs.append((urldecode(name), urldecode(value) if sep else ""))
    return pairs


def parse_php_query_string(query: str) -> dict[str, Any]:
    """PHP ``parse_str``: a raw (still percent-encoded) query string to ``$_GET`` form."""
    return parse_php_query(split_query_string(query))


# --------------------------------------------------------------------------- building


def _php_string(value: Any) -> str:
    """A scalar as PHP casts it to string: ``true`` is ``"1"``, ``false``/``null`` are ``""``."""
    if value is None or value is False:
        return ""
    if value is True:
        return "1"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return str(value)


def urlencode_deep(value: Any) -> Any:
    """WordPress ``urlencode_deep``: PHP ``urlencode`` on every scalar, arrays kept."""
    if isinstance(value, Mapping):
        return {key: urlencode_deep(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [urlencode_deep(item) for item in value]
    return urlencode(_php_string(value))


def _http_build_query(data: Mapping[Any, Any] | Sequence[Any], parent: str, out: list[str]) -> None:
    """WordPress ``_http_build_query`` with ``$urlencode = false`` (values are pre-encoded)."""
    items = data.items() if isinstance(data, Mapping) else enumerate(data)
    for raw_key, value in items:
        key = str(raw_key)
        if parent:
            key = f"{parent}%5B{key}%5D"
        if value is None:
            continue
        if value is False:
            value = "0"
        if isinstance(value, Mapping | list | tuple):
            nested: list[str] = []
            _http_build_query(value, key, nested)
            out.append("&".join(nested))
        else:
            out.append(f"{key}={_php_string(value)}")


def _build_query(encoded: Mapping[str, Any]) -> str:
    """``build_query`` then ``add_query_arg``'s trimming of ``=`` before ``&`` or the end."""
    parts: list[str] = []
    _http_build_query(encoded, "", parts)
    query = "&".join(parts).strip("?")
    return re.sub(r"=(&|$)", r"\1", query)


def build_php_query(params: Mapping[str, Any]) -> str:
    """The query string WordPress writes for ``params`` in a paging ``Link`` URL.

    ``urlencode_deep`` on values (so ``None``/``False`` become ``""`` and ``True`` ``"1"``),
    keys raw (nested as ``k%5Bsub%5D``), an empty value without ``=``:
    ``{"a": "", "q": "x y"}`` -> ``"a&q=x+y"``.
    """
    return _build_query(urlencode_deep(params))


def add_query_arg(url: str, args: Mapping[str, Any]) -> str:
    """WordPress ``add_query_arg($args, $url)``.

    The URL's existing query is parsed with PHP semantics and re-``urlencode``d;
    ``args`` are merged in as given (already encoded, as WordPress expects; a key is
    replaced in place, a new key goes to the end); an arg whose value is ``False`` is
    removed. Used twice for a paging link: once to put the request's (encoded) params
    on the route URL, once to set ``page``.
    """
    base, hash_mark, fragment = url.partition("#")
    frag = hash_mark + fragment
    if "?" in base:
        prefix, _, query = base.partition("?")
        prefix += "?"
    elif "=" in base and "://" not in base:
        prefix, query = "", base  # a bare query string, as add_query_arg accepts
    else:
        prefix, query = base + "?", ""
    merged: dict[str, Any] = dict(urlencode_deep(parse_php_query_string(query)))
    for key, value in args.items():
        merged[key] = value
    merged = {key: value for key, value in merged.items() if value is not False}
    result = prefix + _build_query(merged) + frag
    result = result.rstrip("?")
    return result.replace("?#", "#")
