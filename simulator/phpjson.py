"""JSON bytes as PHP's ``json_encode($value)`` (flags 0) writes them.

WordPress renders REST bodies and webhook payloads with ``wp_json_encode`` and
no flags: no spaces, ``/`` escaped as ``\\/``, every non-ASCII character as a
lowercase ``\\uXXXX`` escape (surrogate pairs above the BMP). Receivers that
verify signatures must hash exactly these bytes, so we reproduce them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json import encoder as _json_encoder
from typing import Any

_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def _not_serializable(value: Any) -> Any:
    return _encoder.default(value)  # raises TypeError naming the type, as json does


def _chunks_encoder() -> Callable[[Any, int], Any]:
    """The C encoder ``_encoder.encode`` makes on every call, made once (webhook bodies
    and REST records are encoded thousands of times a second); the same bytes. Payloads
    are trees, so no circular-reference bookkeeping. Without the C accelerator (never in
    CPython) the encoder's own iterator."""
    make = getattr(_json_encoder, "c_make_encoder", None)
    if make is None:
        return lambda value, _level: _encoder.iterencode(value)
    escape = _json_encoder.encode_basestring_ascii
    # (markers, default, encoder, indent, key and item separators, sort_keys, skipkeys,
    # allow_nan): what JSONEncoder.iterencode passes for ``_encoder``'s settings.
    chunks: Callable[[Any, int], Any] = make(
        None, _not_serializable, escape, None, ":", ",", False, False, False
    )
    return chunks


_chunks = _chunks_encoder()


def dumps(value: Any) -> bytes:
    """Encode ``value`` as PHP's ``json_encode`` with default flags."""
    # ensure_ascii already gives lowercase \uXXXX and surrogate pairs, like PHP.
    return "".join(_chunks(value, 0)).replace("/", "\\/").encode("ascii")


def dumps_pretty(value: Any) -> bytes:
    """``JSON_PRETTY_PRINT`` as WordPress uses for ``?_pretty``: four-space indent."""
    text = json.dumps(value, indent=4, ensure_ascii=True, separators=(",", ": "))
    return text.replace("/", "\\/").encode("ascii")
