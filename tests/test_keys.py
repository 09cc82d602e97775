"""API key derivation and the key ring."""

from __future__ import annotations

import hashlib
import hmac
import re

import pytest

from simulator.keys import ApiKey, KeyRing, derive_key, wc_api_hash

KEY_FORMAT = re.compile(r"ck_[0-9a-f]{40}\Z")
SECRET_FORMAT = re.compile(r"cs_[0-9a-f]{40}\Z")


def test_derivation_is_deterministic_and_well_formed() -> None:
    first = derive_key("seed-1")
    assert first == derive_key("seed-1")
    assert KEY_FORMAT.match(first.consumer_key)
    assert SECRET_FORMAT.match(first.consumer_secret)
    assert first.key_id == 1
    assert first.user_id == 1
    assert first.permissions == "read_write"


def test_derivation_varies_with_seed_and_index() -> None:
    keys = {derive_key(seed, index).consumer_key for seed in ("a", "b", 7) for index in range(3)}
    assert len(keys) == 9
    assert derive_key(7) == derive_key("7")
    second = derive_key("a", 1, "read")
    assert second.key_id == 2
    assert second.permissions == "read"
    assert second.consumer_key[3:] != second.consumer_secret[3:]


def test_bad_derivation_inputs() -> None:
    with pytest.raises(ValueError, match="index"):
        derive_key("s", -1)
    with pytest.raises(ValueError, match="permissions"):
        derive_key("s", 0, "admin")  # type: ignore[arg-type]


def test_wc_api_hash_matches_php_hash_hmac() -> None:
    expected = hmac.new(b"wc-api", b"ck_abc", hashlib.sha256).hexdigest()
    assert wc_api_hash("ck_abc") == expected
    assert len(expected) == 64


def test_masked_and_repr_never_show_secret() -> None:
    key = derive_key("s")
    masked = key.masked()
    assert masked == {
        "key_id": 1,
        "description": key.description,
        "permissions": "read_write",
        "truncated_key": key.consumer_key[-7:],
    }
    assert key.consumer_secret not in repr(key)
    assert key.consumer_key not in repr(key)


def test_keyring_lookup_default_and_duplicates() -> None:
    read = derive_key("s", 0, "read")
    read_write = derive_key("s", 1)
    ring = KeyRing([read, read_write])
    assert ring.find(read.consumer_key) is read
    assert ring.find(read.consumer_key + "x") is None
    assert ring.find(read.consumer_key.upper()) is None
    assert ring.default is read_write
    assert ring.all() == [read, read_write]
    assert len(ring) == 2
    with pytest.raises(ValueError, match="already registered"):
        ring.add(read)
    clash = ApiKey(2, 1, "ck_" + "0" * 40, "cs_" + "0" * 40, "write", "clash")
    with pytest.raises(ValueError, match="key_id 2"):
        ring.add(clash)


def test_keyring_without_read_write_key_has_no_default() -> None:
    with pytest.raises(LookupError):
        _ = KeyRing([derive_key("s", 0, "read")]).default
