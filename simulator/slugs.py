"""WordPress' ``sanitize_title``: the slug of a post or term."""

from __future__ import annotations

import re
import unicodedata


def sanitize_title(text: str) -> str:
    """A slug as WordPress ``sanitize_title`` makes it (accents removed, dashes)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
