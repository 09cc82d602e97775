"""REST API keys: deterministic derivation and lookup the way WooCommerce stores them.

WooCommerce keeps ``wc_api_hash(consumer_key)`` (hex HMAC-SHA256 with the key
``"wc-api"``) and the secret in clear, and finds a key by that hash. The ring does the
same, so a lookup never compares the consumer key itself.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

__all__ = ["ApiKey", "KeyRing", "Permission", "derive_key", "wc_api_hash"]

Permission = Literal["read", "write", "read_write"]
PERMISSIONS: tuple[Permission, ...] = get_args(Permission)


def wc_api_hash(consumer_key: str) -> str:
    """WooCommerce ``wc_api_hash``: ``hash_hmac('sha256', $data, 'wc-api')``."""
    return hmac.new(
        b"wc-api", consumer_key.encode("utf-8", "surrogateescape"), "sha256"
    ).hexdigest()


@dataclass(frozen=True)
class ApiKey:
    key_id: int
    user_id: int
    consumer_key: str
    consumer_secret: str
    permissions: Permission
    description: str
    #: Whether the key's user may manage WooCommerce (manage_woocommerce and the
    #: post-type capabilities). A key of a customer's account authenticates, then every
    #: endpoint's permission check refuses it with 403.
    manager: bool = True

    def __post_init__(self) -> None:
        if self.permissions not in PERMISSIONS:
            raise ValueError(
                f"permissions must be one of {', '.join(PERMISSIONS)}, not {self.permissions!r}"
            )

    def masked(self) -> dict[str, object]:
        """What may be shown: WooCommerce lists only the last 7 characters of the key."""
        return {
            "key_id": self.key_id,
            "description": self.description,
            "permissions": self.permissions,
            "truncated_key": self.consumer_key[-7:],
        }

    def __repr__(self) -> str:
        # Never let a secret reach a log line through repr().
        return (
            f"ApiKey(key_id={self.key_id}, user_id={self.user_id}, "
            f"truncated_key={self.consumer_key[-7:]!r}, permissions={self.permissions!r})"
        )


def _hex40(seed: str | int, label: str, index: int) -> str:
    message = f"{label}:{index}".encode()
    return hmac.new(str(seed).encode(), message, hashlib.sha256).hexdigest()[:40]


def derive_key(
    seed: str | int,
    index: int = 0,
    permissions: Permission = "read_write",
    *,
    user_id: int = 1,
    manager: bool = True,
) -> ApiKey:
    """The ``index``-th key of a store seeded with ``seed``: same inputs, same key.

    Format as WooCommerce generates them: ``ck_`` / ``cs_`` + 40 lower-case hex digits.
    ``key_id`` is ``index + 1`` and the key belongs to ``user_id`` (by default user 1,
    the shop administrator).
    """
    if index < 0:
        raise ValueError(f"index must be >= 0, not {index}")
    return ApiKey(
        key_id=index + 1,
        user_id=user_id,
        consumer_key="ck_" + _hex40(seed, "consumer_key", index),
        consumer_secret="cs_" + _hex40(seed, "consumer_secret", index),
        permissions=permissions,
        description=f"woosim key {index + 1} ({permissions})"
        + ("" if manager else ", a customer's account"),
        manager=manager,
    )


class KeyRing:
    """The store's API keys, found by ``wc_api_hash`` of the consumer key."""

    def __init__(self, keys: Iterable[ApiKey] = ()) -> None:
        self._lock = threading.Lock()
        self._by_hash: dict[str, ApiKey] = {}
        #: Keys added so far: kept REST answers are served only while it stays the same.
        self.changes = 0
        for key in keys:
            self.add(key)

    def add(self, key: ApiKey) -> None:
        digest = wc_api_hash(key.consumer_key)
        with self._lock:
            if digest in self._by_hash:
                raise ValueError(f"a key ending in {key.consumer_key[-7:]!r} is already registered")
            if any(existing.key_id == key.key_id for existing in self._by_hash.values()):
                raise ValueError(f"key_id {key.key_id} is already registered")
            self._by_hash[digest] = key
            self.changes += 1

    def find(self, consumer_key: str) -> ApiKey | None:
        with self._lock:
            return self._by_hash.get(wc_api_hash(consumer_key))

    @property
    def default(self) -> ApiKey:
        """The first ``read_write`` key (the credentials printed by ``woosim serve``)."""
        with self._lock:
            for key in self._by_hash.values():
                if key.permissions == "read_write":
                    return key
        raise LookupError("the key ring holds no read_write key")

    def all(self) -> list[ApiKey]:
        with self._lock:
            return list(self._by_hash.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._by_hash)
