"""How long our servers wait on a client (real seconds), one setting for all of them.

The store, ``woosim listen`` and the relay close a connection that sits idle or with
incomplete headers, and answer 408 to a body that stalls: a client that stalls cannot
hold a connection, and what it holds is released. Real clients send a whole request at
once, so 15 s only ever ends a stalled or hostile one.
"""

from __future__ import annotations

from typing import Final

IDLE_TIMEOUT: Final = 15.0
BODY_TIMEOUT: Final = 15.0
