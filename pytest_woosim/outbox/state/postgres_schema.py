"""The PostgreSQL engine's tables: how they are created and migrated, and how a group is stored.

The relay creates and migrates the schema itself: ``schema_version`` holds the
version; :data:`MIGRATIONS` are the ordered steps, applied under an advisory lock
so workers starting together migrate once.
"""

from __future__ import annotations

from typing import Any

import psycopg

Conn = psycopg.AsyncConnection[tuple[Any, ...]]

#: Ordered schema steps: version N is reached by running MIGRATIONS[N - 1].
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE outbox (
            seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            instance TEXT NOT NULL,
            callback_url TEXT NOT NULL,
            notification_id TEXT NOT NULL UNIQUE,
            body BYTEA NOT NULL,
            grp TEXT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            first_failure_at DOUBLE PRECISION,
            next_attempt_at DOUBLE PRECISION,
            status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'parked')),
            last_error TEXT,
            claimed_by TEXT,
            claimed_until DOUBLE PRECISION
        )""",
        "CREATE INDEX outbox_by_group ON outbox (instance, grp, seq)",
        "CREATE INDEX outbox_by_status ON outbox (instance, status, seq)",
        """CREATE TABLE watermarks (
            instance TEXT NOT NULL,
            resource TEXT NOT NULL,
            timestamp TEXT NOT NULL,
            cursor TEXT,
            PRIMARY KEY (instance, resource)
        )""",
        """CREATE TABLE seen (
            instance TEXT NOT NULL,
            key TEXT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (instance, key)
        )""",
        "CREATE INDEX seen_by_age ON seen (created_at)",
        """CREATE TABLE kv (
            instance TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (instance, key)
        )""",
        """CREATE TABLE leases (
            name TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            expires_at DOUBLE PRECISION NOT NULL
        )""",
    ),
    (
        # The instance registry: a stable numeric id per instance key (never reused),
        # and the configuration of instances created through the instance API.
        """CREATE TABLE instances (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            body TEXT,
            created_at DOUBLE PRECISION NOT NULL
        )""",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
# Any fixed number: the advisory lock that serialises migrations between workers.
_MIGRATION_LOCK = 0x776F6F73


def encode_group(key: str | None) -> str:
    # A NOT NULL column can be compared with "=" and indexed; None gets its own value.
    return "-" if key is None else "k:" + key


def decode_group(grp: str) -> str | None:
    return None if grp == "-" else grp[2:]


async def migrate(conn: Conn) -> None:
    """Bring the schema to :data:`SCHEMA_VERSION` (one transaction, under the lock)."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        await conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER)")
        cur = await conn.execute("SELECT version FROM schema_version")
        row = await cur.fetchone()
        version = 0 if row is None else int(row[0])
        if version > SCHEMA_VERSION:
            raise RuntimeError(
                f"the state database was written by a newer version (schema {version})"
            )
        for step in MIGRATIONS[version:]:
            for statement in step:
                await conn.execute(statement)
        if row is None:
            await conn.execute(
                "INSERT INTO schema_version (version) VALUES (%s)", (SCHEMA_VERSION,)
            )
        elif version < SCHEMA_VERSION:
            await conn.execute("UPDATE schema_version SET version = %s", (SCHEMA_VERSION,))


__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Conn", "decode_group", "encode_group", "migrate"]
