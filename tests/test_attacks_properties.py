"""Property tests with hostile input (hypothesis): signatures, date patterns, instance
configurations. What tests/test_javadate_properties.py covers (round trips, parse errors
for a fixed set of patterns) is not repeated here.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_woosim.instance.config import ConfigError
from pytest_woosim.instance.javadate import DateParseError, DatePatternError, SimpleDateFormat
from pytest_woosim.instance.load import load_instance, load_instance_text
from simulator.wire.signing import (
    sign_elements,
    sign_woocommerce,
    verify_elements,
    verify_woocommerce,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "instances"
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: Loading a configuration costs milliseconds: fewer examples keep CI quick.
CONFIGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

bodies = st.binary(max_size=512)
keys = st.one_of(st.text(min_size=1, max_size=64), st.binary(min_size=1, max_size=64))


@st.composite
def altered(draw: st.DrawFn, body: bytes) -> bytes:
    """``body`` with at least one byte changed, inserted or removed."""
    how = draw(st.sampled_from(["flip", "insert", "remove"] if body else ["insert"]))
    if how == "flip":
        at = draw(st.integers(0, len(body) - 1))
        delta = draw(st.integers(1, 255))
        return body[:at] + bytes([(body[at] + delta) % 256]) + body[at + 1 :]
    if how == "insert":
        at = draw(st.integers(0, len(body)))
        return body[:at] + draw(st.binary(min_size=1, max_size=8)) + body[at:]
    at = draw(st.integers(0, len(body) - 1))
    return body[:at] + body[at + 1 :]


# ---------------------------------------------------------------------- signatures
def _key_bytes(key: str | bytes) -> bytes:
    return key.encode("utf-8") if isinstance(key, str) else key


@FAST
@given(keys, bodies, st.data())
def test_any_change_to_the_body_fails_both_signatures(
    key: str | bytes, body: bytes, data: st.DataObject
) -> None:
    changed = data.draw(altered(body))
    assert verify_woocommerce(key, body, sign_woocommerce(key, body))
    assert verify_elements(key, body, sign_elements(key, body))
    assert not verify_woocommerce(key, changed, sign_woocommerce(key, body))
    assert not verify_elements(key, changed, sign_elements(key, body))


@FAST
@given(keys, keys, bodies)
def test_any_other_key_fails_both_signatures(
    key: str | bytes, other: str | bytes, body: bytes
) -> None:
    if _key_bytes(key) == _key_bytes(other):
        return
    assert not verify_woocommerce(other, body, sign_woocommerce(key, body))
    assert not verify_elements(other, body, sign_elements(key, body))


@FAST
@given(keys, bodies, st.integers(1, 60))
def test_truncated_signatures_fail(key: str, body: bytes, cut: int) -> None:
    wc, ce = sign_woocommerce(key, body), sign_elements(key, body)
    assert not verify_woocommerce(key, body, wc[: max(0, len(wc) - cut)])
    assert not verify_elements(key, body, ce[: max(0, len(ce) - cut)])


@FAST
@given(keys, bodies, st.text(max_size=200))
def test_arbitrary_headers_never_raise_and_never_pass(key: str, body: bytes, header: str) -> None:
    wc = verify_woocommerce(key, body, header)
    ce = verify_elements(key, body, header)
    # A random string equal to the real signature is not a realistic draw.
    assert not wc or header.strip() == sign_woocommerce(key, body)
    assert not ce or header.strip() == sign_elements(key, body)
    # A refusal always says why.
    assert wc.ok or wc.reason
    assert ce.ok or ce.reason


# ---------------------------------------------------------------------- date patterns
@FAST
@given(st.text(max_size=30), st.text(max_size=30))
def test_arbitrary_patterns_raise_only_their_own_errors(pattern: str, text: str) -> None:
    try:
        codec = SimpleDateFormat(pattern, "Europe/Paris")
    except DatePatternError:
        return
    try:
        codec.parse(text)
    except DateParseError:
        pass


@FAST
@given(
    st.text(alphabet="yMdHhmsSaEzZXGwWuDkKF'-:., T", max_size=24),
    st.datetimes(
        min_value=datetime(1971, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.just(UTC),
    ),
)
def test_formatting_with_any_valid_pattern_never_raises(pattern: str, instant: datetime) -> None:
    try:
        codec = SimpleDateFormat(pattern, "America/New_York")
    except DatePatternError:
        return
    assert isinstance(codec.format(instant), str)


# ---------------------------------------------------------------------- configurations
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)


def _load_only_config_errors(value: Any) -> None:
    try:
        load_instance(value)
    except ConfigError:
        pass


@CONFIGS
@given(json_values)
def test_arbitrary_json_values_raise_only_config_error(value: Any) -> None:
    if isinstance(value, dict):
        _load_only_config_errors(value)
    try:
        load_instance_text(json.dumps(value))
    except ConfigError:
        pass


@CONFIGS
@given(st.text(max_size=200))
def test_arbitrary_text_raises_only_config_error(text: str) -> None:
    try:
        load_instance_text(text)
    except ConfigError:
        pass


@CONFIGS
@given(st.sampled_from(["recommended-polling.json", "recommended-webhook.json"]), st.data())
def test_any_field_of_a_valid_config_set_to_anything_raises_only_config_error(
    fixture: str, data: st.DataObject
) -> None:
    document = json.loads((FIXTURES / fixture).read_text(encoding="utf-8"))
    configuration = document["configuration"]
    name = data.draw(st.sampled_from(sorted(configuration)))
    configuration[name] = data.draw(json_values)
    if isinstance(configuration.get("event.poller.configuration"), dict):
        for resource in configuration["event.poller.configuration"].values():
            if isinstance(resource, dict) and data.draw(st.booleans()):
                field = data.draw(st.sampled_from(sorted(resource) or ["url"]))
                resource[field] = data.draw(json_values)
    _load_only_config_errors(document)
