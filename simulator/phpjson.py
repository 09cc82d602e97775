"""JSON bytes as PHP's ``json_encode($value)`` (flags 0) writes them.

WordPress renders REST bodies and webhook payloads with ``wp_json_encode`` and
no flags: no spaces, ``/`` escaped as ``\\/``, every non-ASCII character as a
lowercase ``\\uXXXX`` escape (surrogate pairs above the BMP). Receivers that
verify signatures must hash exactly these bytes, so we reproduce them.
"""

from __future__ import annotations

import json
from typing import Any

_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def dumps(value: Any) -> bytes:
    """Encode ``value`` as PHP's ``json_encode`` with default flags."""
    # ensure_ascii already gives lowercase \uXXXX and surrogate pairs, like PHP.
    return _encoder.encode(value).replace("/", "\\/").encode("ascii")


def dumps_pretty(value: Any) -> bytes:
    """``JSON_PRETTY_PRINT`` as WordPress uses for ``?_pretty``: four-space indent."""
    text = json.dumps(value, indent=4, ensure_ascii=True, separators=(",", ": "))
    return text.replace("/", "\\/").encode("ascii")
