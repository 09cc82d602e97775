"""Durable integrator state: one interface (:mod:`.base`), two engines.

``State`` is the SQLite engine (one process, the default); :func:`open_state`
picks the engine from a ``--state`` value: a ``postgresql://`` URL selects
:class:`~.postgres.PostgresState`, anything else is a SQLite file path.
"""

from .base import (
    ALL_GROUPS,
    DEFAULT_SEEN_MAX_AGE,
    PARKED,
    PENDING,
    AllGroups,
    Lease,
    LeaseLostError,
    OutboxCounts,
    OutboxItem,
    ParkedHeads,
    SharedState,
    StateClosedError,
    StateStore,
    Watermark,
)
from .sqlite import State

__all__ = [
    "ALL_GROUPS",
    "DEFAULT_SEEN_MAX_AGE",
    "PARKED",
    "PENDING",
    "AllGroups",
    "Lease",
    "LeaseLostError",
    "OutboxCounts",
    "OutboxItem",
    "ParkedHeads",
    "SharedState",
    "State",
    "StateClosedError",
    "StateStore",
    "Watermark",
]
