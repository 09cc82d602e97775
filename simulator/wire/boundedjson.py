"""Depth-limited JSON decoding: the one decoder for every JSON body and file we accept.

Python's decoder recurses once per nesting level, so a body of 100k ``[`` ends
in ``RecursionError`` (a traceback and a 500) instead of an answer. Here that
error, and any document nested deeper than PHP's ``json_decode`` allows (depth
512: at most 511 arrays or objects inside one another, as a real WooCommerce
10.0.2 store answers), becomes a :class:`JsonProblem`. The depth is measured
without recursion, and only when the document has enough brackets to be that
deep (a count in C), so ordinary bodies pay nothing for it.

Errors carry PHP's ``json_last_error()`` code and message (what the store puts
in ``json_error_code`` / ``json_error_message``) and a plain description with
the line and column (what the CLI and the relay say).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from itertools import accumulate
from typing import Any

#: PHP's ``json_decode`` default depth; containers may nest ``MAX_DEPTH - 1`` deep.
MAX_DEPTH = 512

# PHP's json_last_error() codes and messages (ext/json) for the errors we reproduce.
PHP_ERROR_DEPTH = (1, "Maximum stack depth exceeded")
PHP_ERROR_CTRL_CHAR = (3, "Control character error, possibly incorrectly encoded")
PHP_ERROR_SYNTAX = (4, "Syntax error")
PHP_ERROR_UTF8 = (5, "Malformed UTF-8 characters, possibly incorrectly encoded")
PHP_ERROR_UTF16 = (10, "Single unpaired UTF-16 surrogate in unicode escape")

# A JSON string literal (unrolled so the regex engine does not backtrack per character).
_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = _STEP[ord("(")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = _STEP[ord(")")] = -1
_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')
_BARE_STRING = re.compile(rb'"[^"]*"')
_AS_PARENS = bytes.maketrans(b"[]{}", b"()()")
#: Rounds of removing empty pairs before the linear count takes over.
_PAIR_ROUNDS = 16
# A ``\\uD8xx`` not followed by a low one, or a ``\\uDCxx`` not after a high one;
# the leading group makes sure the backslash itself is not escaped.
_UNPAIRED_SURROGATE = re.compile(
    rb"(?<!\\)(?:\\\\)*(?:"
    rb"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2})"
)
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


_TOO_DEEP = object()


class JsonProblem(ValueError):
    """Not acceptable JSON: PHP's error code and message, and where it went wrong."""

    def __init__(
        self,
        php_error: tuple[int, str],
        detail: str,
        line: int,
        col: int,
        syntax_error: json.JSONDecodeError | None = None,
    ) -> None:
        self.php_code, self.php_message = php_error
        #: The decoder's own error, for callers that explain syntax errors further.
        self.syntax_error = syntax_error
        self.detail = detail
        self.line = line
        self.col = col
        self.too_deep = php_error == PHP_ERROR_DEPTH
        super().__init__(f"{detail} (line {line}, col {col})")


def nesting_depth(raw: bytes) -> int:
    """The deepest nesting of arrays/objects in the JSON document ``raw`` (strings ignored).

    Every step is a C-level pass over bytes, never a recursion, never a Python loop
    per character: escapes are dropped (they never hold structure), then all but
    brackets and quotes, then strings (almost all are ``""`` by then); empty pairs
    ``[]``/``{}`` are removed a few rounds, and the running level of what is left
    gives the depth.
    """
    if b"\\" in raw:
        raw = _ESCAPE.sub(b"", raw)
    skeleton = raw.translate(None, _NOT_STRUCTURE).replace(b'""', b"")
    if b'"' in skeleton:
        skeleton = _BARE_STRING.sub(b"", skeleton)
    skeleton = skeleton.translate(_AS_PARENS)
    rounds = 0
    while b"()" in skeleton and rounds < _PAIR_ROUNDS:
        skeleton = skeleton.replace(b"()", b"")
        rounds += 1
    if not skeleton:
        return rounds
    # Each round took the innermost level away, so the remainder sits ``rounds`` deeper.
    return rounds + max(accumulate(map(_STEP.__getitem__, skeleton)), default=0)


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _deep_offset(raw: bytes, max_depth: int) -> int:
    """The byte offset of the first bracket that opens level ``max_depth`` (0 if none)."""
    level = 0
    for token in _TOKEN.finditer(raw):
        level += _STEP[raw[token.start()]]
        if level >= max_depth:
            return token.start()
    return 0


def _refuse_constant(name: str) -> Any:
    """``NaN`` and ``Infinity`` are Python's extensions, not JSON (PHP: a syntax error)."""
    raise JsonProblem(PHP_ERROR_SYNTAX, f"{name} is not a JSON value", 1, 1)


#: Built once: ``json.loads`` with options builds a decoder (and its scanner) per call.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


def loads(
    raw: bytes | str,
    *,
    max_depth: int = MAX_DEPTH,
    object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None,
) -> Any:
    """Decode ``raw`` (UTF-8 bytes or text); :class:`JsonProblem` when it is not acceptable.

    Containers nested ``max_depth`` or more deep are refused (PHP's rule for
    ``json_decode($body, true, max_depth)``).
    """
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    try:
        text = raw if isinstance(raw, str) else raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _position(data[: exc.start].decode("utf-8", "replace"), exc.start)
        raise JsonProblem(PHP_ERROR_UTF8, "not UTF-8 text", line, col) from None
    try:
        decoder = (
            _DECODER
            if object_pairs_hook is None
            else json.JSONDecoder(
                object_pairs_hook=object_pairs_hook, parse_constant=_refuse_constant
            )
        )
        value = decoder.decode(text)
    except json.JSONDecodeError as exc:
        php_error = (
            PHP_ERROR_CTRL_CHAR if exc.msg.startswith("Invalid control") else PHP_ERROR_SYNTAX
        )
        raise JsonProblem(php_error, exc.msg, exc.lineno, exc.colno, exc) from None
    except RecursionError:  # the decoder's own guard, far deeper than max_depth
        value = _TOO_DEEP
    # Fewer openers than the limit cannot nest that deep: most bodies stop at the count.
    if value is _TOO_DEEP or (
        data.count(b"[") + data.count(b"{") >= max_depth and nesting_depth(data) >= max_depth
    ):
        at = _deep_offset(data, max_depth)
        prefix = data[:at].decode("utf-8", "replace")
        line, col = _position(prefix, len(prefix))
        raise JsonProblem(
            PHP_ERROR_DEPTH,
            f"arrays and objects nested more than {max_depth - 1} levels deep",
            line,
            col,
        )
    # Every surrogate escape starts ``\ud``/``\uD``: bodies with other escapes only
    # (PHP escapes every non-ASCII character) skip the regex, which tries each offset.
    if b"\\ud" in data or b"\\uD" in data:
        unpaired = _UNPAIRED_SURROGATE.search(data)
        if unpaired is not None:
            line, col = _position(text, len(data[: unpaired.start()].decode("utf-8", "replace")))
            raise JsonProblem(PHP_ERROR_UTF16, "an unpaired UTF-16 surrogate escape", line, col)
    return value


__all__ = ["MAX_DEPTH", "JsonProblem", "loads", "nesting_depth"]
