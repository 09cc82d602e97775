"""What workers on one PostgreSQL database coordinate with: claims on outbox heads, and leases.

* **Claims** on the outbox: a worker claims the *heads* of groups (the oldest row
  of each group) with ``FOR UPDATE SKIP LOCKED`` and marks them ``claimed_by`` /
  ``claimed_until``. A group's next row is not a head while its head exists, so a
  group is never sent by two workers at once and never out of order. A claim that
  expires (its worker died) is taken by another worker: at-least-once.
* **Leases** (table ``leases``): a named row with a holder and an expiry on the
  clock. A poller takes ``poll:<instance>:<resource>`` before polling; another
  worker takes it over once the holder stops renewing it (dead or stalled). The
  watermark write of a window is fenced by the lease: it commits only while the
  lease is still the writer's (:class:`~.base.LeaseLostError` otherwise).

Each function runs inside a job of :class:`~.postgres_commits.PostgresCommitter`.
"""

from __future__ import annotations

import os
import secrets
import socket
from typing import Any

from pytest_woosim.outbox.state.base import Lease, LeaseLostError
from pytest_woosim.outbox.state.postgres_schema import Conn

_RETURNING = (
    "outbox.seq, outbox.instance, outbox.callback_url, outbox.notification_id, outbox.body, "
    "outbox.grp, outbox.created_at, outbox.attempts, outbox.first_failure_at, "
    "outbox.next_attempt_at, outbox.status, outbox.last_error"
)

# Heads (oldest row of their group) that are ready and not claimed, locked without
# waiting on rows another worker is claiming, then marked as ours. Candidates are read
# in seq order and each is checked for an older row of its group (an index probe), so
# with many groups the scan stops after ``limit`` heads.
_CLAIM = f"""
WITH heads AS (
    SELECT o.seq FROM outbox o
    WHERE o.instance = %(inst)s
      AND (o.claimed_until IS NULL OR o.claimed_until < %(now)s)
      AND ((o.status = 'pending' AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= %(now)s))
           OR (o.status = 'parked' AND o.next_attempt_at <= %(probe_by)s))
      AND NOT EXISTS (
          SELECT 1 FROM outbox e WHERE e.instance = o.instance AND e.grp = o.grp AND e.seq < o.seq
      )
    ORDER BY o.seq
    LIMIT %(limit)s
    FOR UPDATE OF o SKIP LOCKED
)
UPDATE outbox SET claimed_by = %(worker)s, claimed_until = %(until)s
FROM heads WHERE outbox.seq = heads.seq
RETURNING {_RETURNING}
"""


def default_worker_id() -> str:
    """Host, pid and a random part: unique among workers, readable in the leases table."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


# ------------------------------------------------------------------ claims
async def claim_heads(
    conn: Conn,
    instance: str,
    *,
    worker: str,
    now: float,
    until: float,
    parked_due_by: float | None,
    limit: int,
) -> list[tuple[Any, ...]]:
    """Claim up to ``limit`` ready heads for ``worker`` until ``until``; their outbox rows."""
    params = {
        "inst": instance,
        "now": now,
        # -inf: no parked head is due (probes not asked for).
        "probe_by": float("-inf") if parked_due_by is None else parked_due_by,
        "limit": limit,
        "worker": worker,
        "until": until,
    }
    cur = await conn.execute(_CLAIM, params)
    return await cur.fetchall()


async def release_claim(conn: Conn, seq: int, worker: str) -> None:
    await conn.execute(
        "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL "
        "WHERE seq = %s AND claimed_by = %s",
        (seq, worker),
    )


# ------------------------------------------------------------------ leases
async def take_lease(conn: Conn, name: str, holder: str, *, now: float, ttl: float) -> bool:
    """Take or renew ``name`` for ``holder`` unless another holder's lease is unexpired."""
    cur = await conn.execute(
        "INSERT INTO leases (name, holder, expires_at) VALUES (%s, %s, %s) "
        "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
        "expires_at = excluded.expires_at "
        "WHERE leases.holder = excluded.holder OR leases.expires_at < %s "
        "RETURNING holder",
        (name, holder, now + ttl, now),
    )
    return await cur.fetchone() is not None


async def drop_lease(conn: Conn, lease: Lease) -> None:
    await conn.execute(
        "DELETE FROM leases WHERE name = %s AND holder = %s", (lease.name, lease.holder)
    )


async def check_lease(conn: Conn, lease: Lease, now: float) -> None:
    """Raise :class:`LeaseLostError` unless ``lease`` is still its holder's at ``now``."""
    # FOR UPDATE: a worker taking the lease over waits for this commit, or we for its.
    cur = await conn.execute(
        "SELECT holder, expires_at FROM leases WHERE name = %s FOR UPDATE", (lease.name,)
    )
    row = await cur.fetchone()
    if row is None or row[0] != lease.holder or row[1] < now:
        raise LeaseLostError(f"lease {lease.name} is no longer held by {lease.holder}")


__all__ = [
    "check_lease",
    "claim_heads",
    "default_worker_id",
    "drop_lease",
    "release_claim",
    "take_lease",
]
