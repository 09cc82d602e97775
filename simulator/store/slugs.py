"""WordPress slugs: how ``sanitize_title`` makes them, and which posts get none."""

from __future__ import annotations

import re
import unicodedata

#: Statuses wp_insert_post() leaves without a generated slug.
UNSLUGGED_STATUSES = frozenset({"draft", "pending", "auto-draft"})


def sanitize_title(text: str) -> str:
    """A slug as WordPress ``sanitize_title`` makes it (accents removed, dashes)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug
