"""The one signing module: WooCommerce webhook signatures and Cloud Elements
notification signatures, over exact raw bytes, verified in constant time.

* WooCommerce: ``X-WC-Webhook-Signature: base64(HMAC-SHA256(secret, body))``.
* Cloud Elements: ``Elements-Webhook-Signature: sha256=base64(HMAC-SHA256(key, body))``.

Both sign the bytes on the wire. Verify before parsing: re-serialising parsed
JSON gives other bytes and a signature that "randomly" fails.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

WC_SIGNATURE_HEADER = "X-WC-Webhook-Signature"
CE_SIGNATURE_HEADER = "Elements-Webhook-Signature"
CE_ID_HEADER = "Elements-Webhook-Id"
CE_PREFIX = "sha256="


def _key_bytes(key: str | bytes) -> bytes:
    return key.encode("utf-8") if isinstance(key, str) else key


def hmac_sha256_b64(key: str | bytes, body: bytes) -> str:
    """Standard base64 (with padding) of the binary HMAC-SHA256 of ``body``."""
    digest = hmac.new(_key_bytes(key), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def sign_woocommerce(secret: str | bytes, body: bytes) -> str:
    """The value of ``X-WC-Webhook-Signature`` for ``body``."""
    return hmac_sha256_b64(secret, body)


def sign_elements(key: str | bytes, body: bytes) -> str:
    """The value of ``Elements-Webhook-Signature`` for ``body`` (with ``sha256=``)."""
    return CE_PREFIX + hmac_sha256_b64(key, body)


@dataclass(frozen=True)
class Verification:
    """Outcome of a signature check; falsy when it failed, with the reason."""

    ok: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.ok


OK = Verification(True)


def _compare(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode("ascii"), given.encode("utf-8", "replace"))


def verify_woocommerce(secret: str | bytes, body: bytes, header: str | None) -> Verification:
    """Check an ``X-WC-Webhook-Signature`` value against the raw body."""
    if header is None or header == "":
        return Verification(False, f"missing {WC_SIGNATURE_HEADER} header")
    if not _compare(sign_woocommerce(secret, body), header.strip()):
        return Verification(False, "signature mismatch (wrong secret or body changed)")
    return OK


def verify_elements(key: str | bytes, body: bytes, header: str | None) -> Verification:
    """Check an ``Elements-Webhook-Signature`` value against the raw body."""
    if header is None or header == "":
        return Verification(False, f"missing {CE_SIGNATURE_HEADER} header")
    value = header.strip()
    if not value.startswith(CE_PREFIX):
        return Verification(False, f"signature does not start with {CE_PREFIX!r}")
    if not _compare(sign_elements(key, body), value):
        return Verification(False, "signature mismatch (wrong key or body changed)")
    return OK


__all__ = [
    "CE_ID_HEADER",
    "CE_PREFIX",
    "CE_SIGNATURE_HEADER",
    "WC_SIGNATURE_HEADER",
    "Verification",
    "hmac_sha256_b64",
    "sign_elements",
    "sign_woocommerce",
    "verify_elements",
    "verify_woocommerce",
]
