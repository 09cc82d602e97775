"""The SQL both state engines speak, written once.

SQLite and PostgreSQL hold the same tables and run the same statements; they
differ in three spellings, which :class:`Statements` fills in for each:

* parameters: ``?`` (sqlite3) or ``%s`` (psycopg);
* an outbox row's group: SQLite keeps a nullable ``group_key`` and matches it with
  ``IS`` (so ``NULL`` matches ``NULL``); PostgreSQL keeps a NOT NULL ``grp`` (the
  key encoded, see :func:`~pytest_woosim.outbox.state.postgres_schema.encode_group`) and
  matches it with ``=``, which its indexes serve;
* a failed attempt also gives up the row's claim on PostgreSQL, where workers
  claim rows.

The statements are written below with ``?``, ``{group}`` (the column),
``{same_group}`` (the match) and ``{release_claim}``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_woosim.outbox.notifications import Notification
from pytest_woosim.outbox.state.base import GroupKeys, group_keys
from simulator.clock import Clock

_COLUMNS = (
    "seq, instance, callback_url, notification_id, body, {group}, created_at, attempts, "
    "first_failure_at, next_attempt_at, status, last_error"
)
_FAILED_ATTEMPT = (
    "UPDATE outbox SET attempts = ?, first_failure_at = ?, next_attempt_at = ?, "
    "last_error = ?{release_claim} WHERE seq = ?"
)
_UNPARK = (
    "UPDATE outbox SET status = 'pending', attempts = 0, first_failure_at = NULL, "
    "next_attempt_at = NULL WHERE instance = ? AND status = 'parked'"
)
_UPSERT_INSTANCE = (
    "INSERT INTO instances (key, body, created_at) VALUES (?, ?, ?) "
    # DO UPDATE (not DO NOTHING) so RETURNING gives the row either way; writers racing
    # on a new key agree on one id through the unique constraint.
    "ON CONFLICT (key) DO UPDATE SET {column} = excluded.{column} RETURNING id"
)


@dataclass(frozen=True, slots=True)
class Statements:
    """Every shared statement, spelled for one engine."""

    #: The outbox columns an :class:`~.base.OutboxItem` is read from, in its order.
    columns: str
    #: Behind a parked group, new items of that group are queued as parked too (that
    #: group is held until a redelivery or a probe succeeds).
    insert_outbox: str
    outbox_after: str
    outbox_group_page: str
    outbox_batch: str
    outbox_counts: str
    outbox_instances: str
    record_failure: str
    #: A failed head's retry state, returning its group (None: the row is gone).
    park_head: str
    park_group: str
    unpark: str
    unpark_group: str
    get_watermark: str
    watermarks: str
    write_watermark: str
    insert_seen: str
    prune_seen: str
    kv_get: str
    kv_set: str
    kv_delete: str
    kv_items: str
    #: The instance's id, assigned at first sight; its kept body untouched.
    instance_number: str
    #: Record (or replace) the kept body; the instance's id.
    save_instance: str
    saved_instances: str
    forget_instance_body: str

    @classmethod
    def spelled(
        cls, *, parameter: str, group: str, same_group: str, release_claim: str
    ) -> Statements:
        def sql(text: str) -> str:
            return (
                text.replace("{same_group}", same_group)
                .replace("{group}", group)
                .replace("{release_claim}", release_claim)
                .replace("?", parameter)
            )

        columns = sql(_COLUMNS)
        return cls(
            columns=columns,
            insert_outbox=sql(
                "INSERT INTO outbox (instance, callback_url, notification_id, body, {group}, "
                "created_at, status) SELECT ?, ?, ?, ?, ?, ?, CASE WHEN EXISTS (SELECT 1 FROM "
                "outbox WHERE instance = ? AND {same_group} AND status = 'parked') THEN 'parked' "
                "ELSE 'pending' END RETURNING seq"
            ),
            outbox_after=sql(
                f"SELECT {_COLUMNS} FROM outbox WHERE instance = ? AND status = 'pending' "
                "AND seq > ? ORDER BY seq LIMIT ?"
            ),
            outbox_group_page=sql(
                f"SELECT {_COLUMNS} FROM outbox WHERE instance = ? AND {{same_group}} "
                "AND status = 'pending' AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?"
            ),
            outbox_batch=sql(
                f"SELECT {_COLUMNS} FROM outbox WHERE instance = ? ORDER BY seq LIMIT ?"
            ),
            outbox_counts=sql(
                "SELECT status, COUNT(*) FROM outbox WHERE instance = ? GROUP BY status"
            ),
            outbox_instances=sql("SELECT DISTINCT instance FROM outbox ORDER BY instance"),
            record_failure=sql(_FAILED_ATTEMPT),
            park_head=sql(_FAILED_ATTEMPT + " RETURNING {group}"),
            park_group=sql(
                "UPDATE outbox SET status = 'parked' WHERE instance = ? AND {same_group} "
                "AND status = 'pending'"
            ),
            unpark=sql(_UNPARK),
            unpark_group=sql(_UNPARK + " AND {same_group}"),
            get_watermark=sql(
                "SELECT timestamp, cursor FROM watermarks WHERE instance = ? AND resource = ?"
            ),
            watermarks=sql("SELECT resource, timestamp, cursor FROM watermarks WHERE instance = ?"),
            write_watermark=sql(
                "INSERT INTO watermarks (instance, resource, timestamp, cursor) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (instance, resource) DO UPDATE SET "
                "timestamp = excluded.timestamp, cursor = excluded.cursor"
            ),
            insert_seen=sql(
                "INSERT INTO seen (instance, key, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT DO NOTHING"
            ),
            prune_seen=sql("DELETE FROM seen WHERE created_at < ?"),
            kv_get=sql("SELECT value FROM kv WHERE instance = ? AND key = ?"),
            kv_set=sql(
                "INSERT INTO kv (instance, key, value) VALUES (?, ?, ?) "
                "ON CONFLICT (instance, key) DO UPDATE SET value = excluded.value"
            ),
            kv_delete=sql("DELETE FROM kv WHERE instance = ? AND key = ?"),
            kv_items=sql("SELECT key, value FROM kv WHERE instance = ? ORDER BY key"),
            instance_number=sql(_UPSERT_INSTANCE.replace("{column}", "key")),
            save_instance=sql(_UPSERT_INSTANCE.replace("{column}", "body")),
            saved_instances=sql(
                "SELECT id, key, body FROM instances WHERE body IS NOT NULL ORDER BY id"
            ),
            forget_instance_body=sql("UPDATE instances SET body = NULL WHERE key = ?"),
        )


class OutboxRows:
    """Builds the parameters of :attr:`Statements.insert_outbox`, one tuple a notification,
    stamped with the clock's time; ``group`` turns a group key into the engine's column."""

    def __init__(self, clock: Clock, group: Callable[[str | None], Any]) -> None:
        self._clock = clock
        self._group = group

    def __call__(
        self,
        instance: str,
        callback_url: str,
        notifications: Sequence[Notification],
        group_key: GroupKeys,
    ) -> list[tuple[Any, ...]]:
        now = self._clock.timestamp()
        keys = [self._group(key) for key in group_keys(notifications, group_key)]
        return [
            (instance, callback_url, n.id, n.body, key, now, instance, key)
            for n, key in zip(notifications, keys, strict=True)
        ]

    def candidates(
        self,
        instance: str,
        callback_url: str,
        candidates: Sequence[tuple[Sequence[str], Sequence[Notification], str | None]],
    ) -> list[tuple[list[str], list[tuple[Any, ...]]]]:
        """``enqueue_unseen``'s candidates prepared: each one's keys (no repeats) and rows."""
        return [
            (list(dict.fromkeys(keys)), self(instance, callback_url, notes, group))
            for keys, notes, group in candidates
        ]
