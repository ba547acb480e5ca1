"""The DuckDB store: one file holding several contact centres.

Concurrency pattern (DuckDB allows one read-write process *or* several read-only
ones on a file, never both): writers never touch the live file. A writer takes an
exclusive lock (``<db>.lock``), copies the live file to a private temporary file,
does all its work there in one transaction, checkpoints, and atomically renames the
copy over the live file. Readers open the live file read-only at any time and see
either the old database or the new one, never a half-written state and never a lock
error. A ``kill -9`` in the middle of a write leaves only an orphaned temporary file,
which the next writer deletes; the live file is untouched.

Readers should open a connection per unit of work (``with store.reader() as con``):
a connection held open keeps reading the snapshot it opened.

Versioned migrations live in ``analytics/migrations/NNN_name.sql``; opening a file
made by an older version upgrades it (through a writer).
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import duckdb

DEFAULT_DB = Path("data/contact_centre.duckdb")


class StoreError(RuntimeError):
    """A problem with the database file that the user must act on."""


def default_db_path() -> Path:
    """The database named by ``CCA_DB``, else ``data/contact_centre.duckdb``."""
    return Path(os.environ.get("CCA_DB") or DEFAULT_DB)


def migrations() -> list[tuple[int, str, str]]:
    """All migrations as (version, name, sql), oldest first."""
    found = []
    for entry in resources.files("analytics.migrations").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:3].isdigit():
            found.append((int(name[:3]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def latest_version() -> int:
    return migrations()[-1][0]


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The schema version of an open database (0 for an empty file)."""
    has_meta = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
    ).fetchone()[0]
    if not has_meta:
        return 0
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply every migration newer than the file's version; return the new version."""
    current = schema_version(con)
    for version, _name, sql in migrations():
        if version <= current:
            continue
        con.execute(sql)
        if version == 1:
            # A salt per database for hashing caller identifiers.
            con.execute("INSERT INTO meta VALUES ('caller_salt', ?)", [secrets.token_hex(16)])
            con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
        else:
            con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(version)])
        if version == 3:
            # the call log's write path sits above this module (it reads centres)
            from analytics.call_log import rebuild_rollups

            rebuild_rollups(con)
        current = version
    return current


class Store:
    """A database file and the only sanctioned ways to read and write it."""

    def __init__(self, path: str | os.PathLike[str] | None = None):
        self.path = Path(path) if path is not None else default_db_path()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    def exists(self) -> bool:
        return self.path.exists()

    @contextmanager
    def _exclusive_lock(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _remove_stale_temporaries(self) -> None:
        # Only called with the lock held: any temporary left is from a dead writer.
        for stale in self.path.parent.glob(self.path.name + ".tmp-*"):
            stale.unlink(missing_ok=True)

    @contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection to a private copy, swapped in atomically on success.

        Everything done inside the ``with`` block is published together or not at all.
        """
        with self._exclusive_lock():
            self._remove_stale_temporaries()
            tmp = self.path.with_name(f"{self.path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
            if self.path.exists():
                shutil.copyfile(self.path, tmp)
            con = duckdb.connect(str(tmp))
            try:
                migrate(con)
                yield con
                con.execute("CHECKPOINT")
                con.close()
                with open(tmp, "rb") as f:
                    os.fsync(f.fileno())
                os.replace(tmp, self.path)
                dir_fd = os.open(self.path.parent, os.O_DIRECTORY)
                try:
                    os.fsync(dir_fd)
                finally:
                    os.close(dir_fd)
            except BaseException:
                try:
                    con.close()
                except duckdb.Error:
                    pass
                tmp.unlink(missing_ok=True)
                Path(str(tmp) + ".wal").unlink(missing_ok=True)
                raise

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection to the live file (a consistent snapshot)."""
        if not self.path.exists():
            raise StoreError(
                f"no database at {self.path}: load data first (cca ingest ...) or run cca demo"
            )
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            if schema_version(con) < latest_version():
                con.close()
                with self.writer():
                    pass  # the writer upgrades the file
                con = duckdb.connect(str(self.path), read_only=True)
            yield con
        finally:
            con.close()

    def initialise(self) -> None:
        """Create the file (or upgrade it) without changing any data."""
        with self.writer():
            pass
