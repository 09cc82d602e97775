"""The self-contained areas of the parity scenario, one module each.

The core script (``scenario.py``) builds its records once and reads them across
its areas. An area here stands alone: it removes leftovers of an earlier run,
makes what it needs (names, codes and e-mails carry ``parity``), records its
checks under its own name only and removes what it made. So it runs after the
core script in a full recording, and can be recorded on its own:

    python -m tests.parity.record --area NAME

To add one: a module with ``async def run(s: Scenario) -> None``, listed in
:data:`AREAS` under the area name its checks use.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from . import coupons, create_ids, notes, refunds, taxonomies, variations

if TYPE_CHECKING:
    from ..scenario import Scenario

AreaScript = Callable[["Scenario"], Awaitable[None]]

#: Area name -> its script, in the order a full recording runs them.
AREAS: dict[str, AreaScript] = {
    "coupons": coupons.run,
    "taxonomies": taxonomies.run,
    "variations": variations.run,
    "refunds": refunds.run,
    "notes": notes.run,
    "create_ids": create_ids.run,
}
