"""The app-state store: users, sessions, lock-outs, the audit log, alert rules and jobs.

These are small, frequent writes (a log-in, a failed log-in, a download), so they stay out
of the analytics file, whose writer copies the whole file (see ``analytics.store``). They
live in a SQLite file beside it — ``data/contact_centre.duckdb`` has
``data/contact_centre.app.sqlite`` — in WAL mode, so readers never wait for a writer and a
write is one short transaction.

Versioned migrations live in ``analytics/appstate_migrations/NNN_name.sql`` and are applied
in order on first connection (SQLite's ``user_version`` holds the version). Each issue that
needs tables adds its own migration file: users and audit (001), alerts (002), jobs (003),
backtest jobs (004), the intraday model errors (005, a cache).

    state = AppState.beside(store.path)
    with state.connect() as con:          # commits on success, rolls back on error
        con.execute("INSERT INTO audit (at, username, action, detail) VALUES (?, ?, ?, ?)", ...)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from analytics import store

_migrated: set[Path] = set()
_CREATED = re.compile(r"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", re.IGNORECASE)
_migrate_lock = threading.Lock()


def utc_now() -> str:
    """Now as an ISO 8601 UTC instant, the form every timestamp column here stores."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def migrations() -> list[tuple[int, str, str]]:
    """All app-state migrations as (version, name, sql), oldest first."""
    return store.migrations("analytics.appstate_migrations")


class AppState:
    """A SQLite file of the dashboards' and alerts' transactional state."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"AppState({str(self.path)!r})"

    @classmethod
    def beside(cls, db_path: str | os.PathLike[str]) -> AppState:
        """The app-state file that belongs to an analytics file (same folder and stem)."""
        db_path = Path(db_path)
        return cls(db_path.with_name(db_path.stem + ".app.sqlite"))

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():  # users, sessions, audit: the owner's alone (0600)
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        con = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        con.row_factory = sqlite3.Row
        con.execute("PRAGMA journal_mode = WAL")
        con.execute("PRAGMA foreign_keys = ON")
        con.execute("PRAGMA busy_timeout = 10000")
        return con

    def migrate(self) -> int:
        """Apply the migrations this file lacks; return the newest version applied.

        Applied versions are recorded one by one (``applied_migrations``), so a migration
        numbered below one already applied — two branches of work landing in either
        order — is still applied. A file from before that table counts a migration as
        applied when it was at or below the file's ``user_version`` and the tables it
        creates exist."""
        with self._transaction() as con:  # one migrating process at a time
            tables = {
                r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            if "applied_migrations" not in tables:
                con.execute(
                    "CREATE TABLE applied_migrations (version INTEGER PRIMARY KEY, name TEXT,"
                    " applied_at TEXT NOT NULL)"
                )
                before = con.execute("PRAGMA user_version").fetchone()[0]
                for version, name, sql in migrations():
                    created = set(_CREATED.findall(sql))
                    if version <= before and created <= tables:
                        con.execute(
                            "INSERT INTO applied_migrations VALUES (?, ?, ?)",
                            [version, name, utc_now()],
                        )
            done = {r[0] for r in con.execute("SELECT version FROM applied_migrations")}
            for version, name, sql in migrations():
                if version in done:
                    continue
                for statement in _statements(sql):
                    con.execute(statement)
                con.execute(
                    "INSERT INTO applied_migrations VALUES (?, ?, ?)", [version, name, utc_now()]
                )
                done.add(version)
            newest = max(done, default=0)
            con.execute(f"PRAGMA user_version = {int(newest)}")
        return newest

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """One transaction on the file: committed when the block ends, rolled back on error."""
        key = self.path.resolve()
        if key not in _migrated or not self.path.exists():
            with _migrate_lock:
                self.migrate()
                _migrated.add(key)
        with self._transaction() as con:
            yield con

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """A writing transaction (BEGIN IMMEDIATE) on a new connection: committed when the
        block ends, rolled back on error."""
        con = self._open()
        try:
            con.execute("BEGIN IMMEDIATE")
            yield con
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        finally:
            con.close()

    def audit(self, username: str | None, action: str, detail: dict | None = None) -> None:
        """Write one row of the audit log (log-ins, failed log-ins, downloads, changes)."""
        with self.connect() as con:
            con.execute(
                "INSERT INTO audit (at, username, action, detail) VALUES (?, ?, ?, ?)",
                [utc_now(), username, action, json.dumps(detail or {}, ensure_ascii=False)],
            )

    def audit_log(self, limit: int = 200) -> list[dict]:
        """The newest audit rows first."""
        with self.connect() as con:
            rows = con.execute(
                "SELECT id, at, username, action, detail FROM audit ORDER BY id DESC LIMIT ?",
                [int(limit)],
            ).fetchall()
        return [dict(r) for r in rows]


def _statements(sql: str) -> list[str]:
    # sqlite3's execute runs one statement; executescript would commit our transaction.
    return [s.strip() for s in sqlite3_split(sql) if s.strip()]


def sqlite3_split(sql: str) -> list[str]:
    """Split a migration into statements at the semicolons that end one."""
    statements, current = [], []
    for line in sql.splitlines():
        if line.strip().startswith("--"):
            continue
        current.append(line)
        candidate = "\n".join(current)
        if candidate.rstrip().endswith(";") and sqlite3.complete_statement(candidate):
            statements.append(candidate)
            current = []
    if "\n".join(current).strip():
        statements.append("\n".join(current))
    return statements
