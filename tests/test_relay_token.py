"""The relay's token rule: as the store's control plane (by bind address)."""

from __future__ import annotations

import pytest

from pytest_woosim.relay.token import token_for


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_loopback_needs_no_token(host: str) -> None:
    assert token_for(host, None) == (None, False)


@pytest.mark.parametrize("host", ["0.0.0.0", "", "::", "relay.example"])
def test_beyond_loopback_a_random_token_is_made_and_printed(host: str) -> None:
    token, generated = token_for(host, None)
    assert generated and token is not None and len(token) >= 24
    assert token_for(host, None)[0] != token


def test_a_given_token_is_required_everywhere() -> None:
    assert token_for("127.0.0.1", "given") == ("given", False)
