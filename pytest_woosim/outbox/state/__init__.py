"""Durable integrator state: one interface (:mod:`.base`), two engines.

``State`` is the SQLite engine (one process, the default); :func:`open_state`
picks the engine from a ``--state`` value: a ``postgresql://`` URL selects
:class:`~.postgres.PostgresState`, anything else is a SQLite file path.
"""

from typing import TypeGuard

from pytest_woosim.outbox.state.base import (
    ALL_GROUPS,
    ANY_INSTANCE,
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
from pytest_woosim.outbox.state.sqlite import State
from simulator.clock import Clock


def is_postgres_url(spec: str | None) -> TypeGuard[str]:
    """Whether a ``--state`` value names a PostgreSQL database (checked before the driver loads)."""
    return spec is not None and spec.startswith(("postgresql://", "postgres://"))


def open_state(spec: str | None, *, clock: Clock | None = None) -> StateStore:
    """The state a ``--state`` value names: a PostgreSQL URL, a SQLite file, or memory (None)."""
    if is_postgres_url(spec):
        try:
            from pytest_woosim.outbox.state.postgres import PostgresState
        except ImportError as exc:
            raise ValueError(
                f"--state {spec.split('://')[0]}://... needs the PostgreSQL driver: "
                f"pip install 'pytest-woosim[postgres]' ({exc})"
            ) from None
        return PostgresState(spec, clock=clock)
    return State(spec, clock=clock)


__all__ = [
    "ALL_GROUPS",
    "ANY_INSTANCE",
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
    "is_postgres_url",
    "open_state",
]
