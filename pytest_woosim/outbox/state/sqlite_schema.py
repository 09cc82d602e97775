"""The SQLite engine's file: its tables, their migration, and how a connection is opened.

Durability: WAL with ``synchronous=FULL``. NORMAL would survive a SIGKILL of this
process (the WAL write reaches the OS before COMMIT returns) but not a power loss
or kernel crash; FULL fsyncs the WAL at every commit and, with group commit, costs
one fsync per batch rather than per notification. A relay that answered 2xx has
its notification on disk.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
from pathlib import Path
from typing import Literal

# 2: outbox.seq never reused (AUTOINCREMENT), so readers can move forward by seq.
SCHEMA_VERSION = 2
_OUTBOX_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    instance TEXT NOT NULL,
    callback_url TEXT NOT NULL,
    notification_id TEXT NOT NULL UNIQUE,
    body BLOB NOT NULL,
    group_key TEXT,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    first_failure_at REAL,
    next_attempt_at REAL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'parked')),
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS outbox_by_instance ON outbox (instance, status, seq);
CREATE INDEX IF NOT EXISTS outbox_by_group ON outbox (instance, group_key, status, seq);
"""
_SCHEMA = (
    _OUTBOX_SCHEMA
    + """
CREATE TABLE IF NOT EXISTS watermarks (
    instance TEXT NOT NULL,
    resource TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    cursor TEXT,
    PRIMARY KEY (instance, resource)
);
CREATE TABLE IF NOT EXISTS seen (
    instance TEXT NOT NULL,
    key TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (instance, key)
);
CREATE INDEX IF NOT EXISTS seen_by_age ON seen (created_at);
CREATE TABLE IF NOT EXISTS kv (
    instance TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (instance, key)
);
"""
    + """
-- The instance registry: a stable numeric id per instance key (never reused), and the
-- configuration of instances created through the relay's instance API.
CREATE TABLE IF NOT EXISTS instances (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    body TEXT,
    created_at REAL NOT NULL
);
"""
)

#: The state file holds the webhook secret, the outbox bodies (customer data) and the
#: callback URLs: only its owner may read it. SQLite gives -wal and -shm the same mode.
STATE_FILE_MODE = 0o600


def _restrict_to_owner(path: Path) -> None:
    """Create the database file owner-only, and tighten files an older version left open."""
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, STATE_FILE_MODE))
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        with contextlib.suppress(FileNotFoundError):
            if stat.S_IMODE(name.stat().st_mode) != STATE_FILE_MODE:
                name.chmod(STATE_FILE_MODE)


def connect(path: Path | None, synchronous: Literal["FULL", "NORMAL"]) -> sqlite3.Connection:
    """Open the state file (``None``: memory), creating or migrating its tables."""
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        _restrict_to_owner(path)
    target = ":memory:" if path is None else str(path)
    # Multi-row statements come in one text per row count (see the state's inserts):
    # room for them all besides the other statements, so none is prepared twice.
    conn = sqlite3.connect(
        target, isolation_level=None, check_same_thread=False, cached_statements=512
    )
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=5000")
    # Each job of a group commit runs in a savepoint, whose statement journal (the
    # pages as they were, to roll one job back) went to a temporary file: a file
    # created per transaction and a write per journalled page, most of the state's
    # writes. In memory it needs neither; durability is the WAL's, not its.
    conn.execute("PRAGMA temp_store=MEMORY")
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        conn.close()
        raise RuntimeError(f"state file {path} was written by a newer version (schema {version})")
    conn.executescript(_SCHEMA)
    if version < 2:
        _migrate_outbox_seq(conn)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    return conn


def _migrate_outbox_seq(conn: sqlite3.Connection) -> None:
    """Rebuild a version-1 outbox with AUTOINCREMENT, keeping every row and seq.

    Without it SQLite hands out the seq of deleted newest rows again, and a
    sender reading forward from the last seq it saw would miss new items.
    """
    (sql,) = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'outbox'"
    ).fetchone()
    if "AUTOINCREMENT" in sql.upper():
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("ALTER TABLE outbox RENAME TO outbox_v1")
        # Indexes follow a renamed table; free their names for the new one.
        conn.execute("DROP INDEX IF EXISTS outbox_by_instance")
        conn.execute("DROP INDEX IF EXISTS outbox_by_group")
        for statement in _OUTBOX_SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute("INSERT INTO outbox SELECT * FROM outbox_v1")
        conn.execute("DROP TABLE outbox_v1")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


__all__ = ["SCHEMA_VERSION", "STATE_FILE_MODE", "connect"]
