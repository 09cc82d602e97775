"""PHP-style JSON bytes: the encoder kept across calls writes what json_encode writes."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from simulator import phpjson


def reference(value: Any) -> bytes:
    """json_encode($value) with flags 0, spelled out with the standard library."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    return text.replace("/", "\\/").encode("ascii")


VALUES: list[Any] = [
    {"id": 727, "note": "Zoë ✓ 𝄞", "url": "https://example.com/a", "tab": 'a\tb\n"q"\\'},
    [1, 2.5, -0.0, 1e16, 1e-7, 3.14159, True, False, None, "", [], {}],
    {"nested": {"lines": [{"id": n, "total": f"{n}.00", "taxes": []} for n in range(3)]}},
    "a/b",
    12,
    None,
    {"1": "keys stay in insertion order", "0": [{"z": 1, "a": 2}]},
]


@pytest.mark.parametrize("value", VALUES)
def test_bytes_match_json_encode(value: Any) -> None:
    assert phpjson.dumps(value) == reference(value)


def test_exact_bytes_of_a_payload() -> None:
    body = phpjson.dumps({"name": "Große/Straße", "price": 3, "emoji": "𝄞", "ok": True})
    assert body == (
        b'{"name":"Gro\\u00dfe\\/Stra\\u00dfe","price":3,"emoji":"\\ud834\\udd1e","ok":true}'
    )


def test_repeated_calls_give_the_same_bytes() -> None:
    value = VALUES[0]
    assert phpjson.dumps(value) == phpjson.dumps(value) == reference(value)


def test_nan_and_unknown_types_are_refused_as_json_does() -> None:
    with pytest.raises(ValueError):
        phpjson.dumps({"total": math.nan})
    with pytest.raises(TypeError, match="set is not JSON serializable"):
        phpjson.dumps({"tags": {1, 2}})
