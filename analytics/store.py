"""The analytics store: a DuckLake (catalogue + Parquet files) holding several centres.

``Store(path)`` names a lake. With a file path (``data/contact_centre.duckdb``, ``--db``,
``CCA_DB``) the catalogue is a SQLite database *at* that path and the data are Parquet
files in ``<path>.data/`` beside it, both readable by their owner only; several local
processes read and write it at once. With a ``postgresql://`` URL the catalogue lives in
PostgreSQL and the data in a shared directory (``data_path``, or ``CCA_DATA_PATH``), so
several hosts can use one store. docs/stores.md has the layout and the rules.

Every process opens one in-memory DuckDB (``analytics.extensions``: the signed extension
binaries of the installed wheels, never a download) and attaches each store it uses once.
``with store.writer() as con`` is one DuckLake transaction: everything in the block is
published as one snapshot when it ends, or nothing (an exception, a ``kill -9``). Two
writers run at once; DuckLake retries a commit that lost the race when the changes do
not conflict (inserts never do; the call rollup is kept as appended deltas for that
reason, see ``analytics.kpi.rollup``). ``with store.reader() as con`` reads one snapshot
(the latest when it opens, or the one current at ``known_at``), never blocks and is never
blocked. Open one per unit of work: a reader held open keeps its snapshot. Every statement
reading a lake table reads the catalogue again (10-35 ms): small answers are read once per
snapshot (``analytics.snapshot_cache``), and docs/stores.md, "What a statement costs", has
the rest.

Versioned migrations live in ``analytics/migrations/NNN_name.sql`` (DuckLake SQL: no
primary keys, unique constraints, sequences or list defaults); the first open of a store
in a process applies the pending ones. A single-file store of the previous design is
never read as a lake: opening one raises :class:`OldStoreError`, which names
``cca store migrate``.
"""
# long: the one home of the lake's life cycle (attach, migrate, read, write, compact, back up,
# time travel), which share the process's engine, its locks and the snapshot cache

from __future__ import annotations

import atexit
import datetime as dt
import fcntl
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import duckdb

from analytics import catalogue_hold, direct_reads, extensions, snapshot_cache

DEFAULT_DB = Path("data/contact_centre.duckdb")
POSTGRES_PREFIXES = ("postgresql://", "postgres://")
SQLITE_MAGIC = b"SQLite format 3\x00"
# DuckDB numbers the rows a transaction adds to a table from here (MAX_ROW_ID) until it
# commits: a temporary table made inside a writer counts its rows as LOCAL_ROW_ID + n, so
# a row's index there is ``rowid % LOCAL_ROW_ID`` (which is the rowid itself elsewhere).
LOCAL_ROW_ID = 36028797018960000
# DuckLake's commit retries: a commit that lost the race to another writer is tried again
# against the new snapshot when the two do not conflict. A feed committing every second
# beside a long load needs more patience than the default (10 tries, 100 ms, x1.5).
RETRY_COUNT = 60
RETRY_WAIT_MS = 20
RETRY_BACKOFF = 1.25
# How long a commit waits for another to finish writing the SQLite catalogue.
BUSY_TIMEOUT_MS = 30_000
# Snapshots older than this are expired by compaction (no longer readable by --known-at).
DEFAULT_RETENTION = dt.timedelta(days=30)
# Writers compact the store each time its snapshot count crosses a multiple of this.
AUTO_COMPACT_EVERY = 500
# A live feed's rounds are committed with this message; compaction keeps every such
# snapshot for THIN_AFTER, then only the last of each THIN_EVERY. A transaction's first
# statement reads the catalogue's whole list of snapshots (about 0.9 ms per 1,000 of them
# here), and a feed committing every second makes 86,400 a day: after 30 days every read
# and commit would wait 2.4 s more (docs/stores.md, "Retention and maintenance").
FEED_COMMIT = "live feed"
# Hold each attached SQLite catalogue open with one idle connection in a small process of
# its own (analytics.catalogue_hold): no transaction's close is then the last, which
# would checkpoint the log under locks that stall every other transaction for a second.
# Long-running processes that commit or poll often turn it on (`cca live follow`,
# `cca serve`: hold_catalogues()); a short command has no use for it.
HOLD_CATALOGUE = False
THIN_AFTER = dt.timedelta(hours=1)
THIN_EVERY = dt.timedelta(minutes=15)
# Rows an insert or delete may hold to be written into the catalogue instead of a
# Parquet file of its own ("data inlining"): a feed's commits, a centre's settings. More
# go to a file: a 100-call load wrote its calls into SQLite row by row at commit, and
# every later scan of the calls read them back through it (1000 before: 100-call loads
# median 110-156 -> 91-108 ms; docs/measurements.md, "Small loads"). DuckLake's own
# option for this (``set_option('data_inlining_row_limit', ...)``) crashed DuckDB 1.5.5
# when set in the transaction that creates a store.
INLINE_ROWS = 50


def store_location(text: str) -> Path | str:
    """A store named on the command line: a path, or a PostgreSQL URL kept as text (a
    Path would fold its //)."""
    return text if text.startswith(("postgresql://", "postgres://")) else Path(text)


class StoreError(RuntimeError):
    """A problem with the store that the user must act on."""


class OldStoreError(StoreError):
    """The path holds a single-file store of the previous design."""


def default_db_path() -> Path | str:
    """The store named by ``CCA_DB`` (a path or a ``postgresql://`` URL), else
    ``data/contact_centre.duckdb``."""
    value = os.environ.get("CCA_DB")
    if not value:
        return DEFAULT_DB
    return value if value.startswith(POSTGRES_PREFIXES) else Path(value)


def migrations(package: str = "analytics.migrations") -> list[tuple[int, str, str]]:
    """All migrations of a package of ``NNN_name.sql`` files (the store's by default) as
    (version, name, sql), oldest first."""
    found = []
    for entry in resources.files(package).iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:3].isdigit():
            found.append((int(name[:3]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def latest_version() -> int:
    return migrations()[-1][0]


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The schema version of an open store (0 for an empty one)."""
    has_meta = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'meta' AND database_name = ?",
        [snapshot_cache.database_of(con)],
    ).fetchone()[0]
    if not has_meta:
        return 0
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply every migration newer than the store's version (inside the caller's
    transaction); return the new version."""
    current = schema_version(con)
    for version, _name, sql in migrations():
        if version <= current:
            continue
        con.execute(sql)
        if version == 1:
            # A salt per store for hashing caller identifiers.
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


def _literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def file_kind(path: Path) -> str | None:
    """What a file holds: ``lake`` (a SQLite catalogue), ``single-file`` (a DuckDB
    database of the previous design), ``other``, or None when there is no file."""
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        return "other"
    if head.startswith(SQLITE_MAGIC):
        return "lake"
    if head[8:12] == b"DUCK":
        return "single-file"
    return "lake" if not head else "other"


def feed_snapshots_to_thin(snapshots: list[tuple], now: dt.datetime) -> list[int]:
    """Of ``snapshots`` ((id, time, commit message), by id), the live feed's rounds older
    than ``THIN_AFTER`` that are not the last of their ``THIN_EVERY`` (UTC windows): a
    snapshot holds the whole store as it stood, so the last of a window holds every
    earlier round's calls. Loads, corrections and settings are never thinned, nor the
    newest snapshot."""
    if not snapshots:
        return []
    newest = snapshots[-1][0]
    every = THIN_EVERY.total_seconds()
    last_of_window: dict[int, int] = {}
    thinned = []
    for snapshot_id, at, message in snapshots:
        if message != FEED_COMMIT or snapshot_id == newest or at >= now - THIN_AFTER:
            continue
        window = int(at.timestamp() // every)
        earlier = last_of_window.get(window)
        if earlier is not None:
            thinned.append(earlier)
        last_of_window[window] = snapshot_id
    return thinned


# --------------------------------------------------------------------------- the process's DuckDB


class _Engine:
    """The process's one in-memory DuckDB and the stores attached to it."""

    def __init__(self) -> None:
        root = Path(os.environ.get("CCA_SPILL_DIR") or tempfile.gettempdir())
        for stale in root.glob("cca-spill-*-*"):
            try:  # the directory of a process that died (kill -9) can go
                os.kill(int(stale.name.split("-")[2]), 0)
            except (ValueError, ProcessLookupError):
                shutil.rmtree(stale, ignore_errors=True)
            except PermissionError:
                pass
        self.spill = tempfile.mkdtemp(prefix=f"cca-spill-{os.getpid()}-", dir=root)
        atexit.register(shutil.rmtree, self.spill, True)
        self.con = extensions.connect("ducklake", "sqlite_scanner", temp_directory=self.spill)
        self.postgres = False  # postgres_scanner is loaded on a PostgreSQL store's first use
        for name, value in (
            ("ducklake_max_retry_count", RETRY_COUNT),
            ("ducklake_retry_wait_ms", RETRY_WAIT_MS),
            ("ducklake_retry_backoff", RETRY_BACKOFF),
            ("ducklake_default_data_inlining_row_limit", INLINE_ROWS),
            # a lake's Parquet files are written once: their footers (schema, row groups,
            # statistics) are read once, not at every scan (a month's first and last
            # call on 10M calls: 6.5-8.7 ms -> 4.1-5.2 ms)
            ("parquet_metadata_cache", "true"),
        ):
            self.con.execute(f"SET {name} = {value}")
        self.lock = threading.RLock()
        self.attached: dict[str, str] = {}  # store key -> alias
        # store key -> the process holding a SQLite catalogue open (analytics.catalogue_hold)
        self.holds: dict[str, subprocess.Popen] = {}
        self.compacted: dict[str, int] = {}  # store key -> snapshot count // AUTO_COMPACT_EVERY
        self.compacting: dict[str, threading.Thread] = {}  # store key -> its compaction
        self.counter = 0

    def cursor(self) -> duckdb.DuckDBPyConnection:
        with self.lock:
            return self.con.cursor()


_ENGINE: tuple[int, _Engine] | None = None
_ENGINE_LOCK = threading.Lock()


_FORKED_FROM: list[_Engine] = []  # a parent's engine, never closed in the child


def _engine() -> _Engine:
    """The process's engine (a forked child makes its own: the parent's DuckDB, whose
    threads did not survive the fork, is kept but never touched or closed there)."""
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None or _ENGINE[0] != os.getpid():
            if _ENGINE is not None:
                _FORKED_FROM.append(_ENGINE[1])
            _ENGINE = (os.getpid(), _Engine())
        return _ENGINE[1]


def attached_stores() -> frozenset[str]:
    """The keys of the stores attached to this process's DuckDB."""
    return frozenset(_engine().attached)


def use_threads(threads: int | None) -> None:
    """Give this process's DuckDB ``threads`` worker threads (a process-wide setting;
    None: DuckDB's default, one per core). A process that only runs small statements, a
    live feed's, does best with one: on a busy machine its rounds waited for a second
    thread to be scheduled (benchmarks/live.py at load 12-16 on 2 cores: rounds of
    0.37-0.47 s against 0.61-0.66 s)."""
    con = _engine().con
    con.execute("RESET threads" if threads is None else f"SET threads = {int(threads)}")


def hold_catalogues(on: bool = True) -> None:
    """Hold every SQLite catalogue this process attaches from now on open in a process of
    its own (see HOLD_CATALOGUE); for processes that run for long and commit or read often."""
    global HOLD_CATALOGUE
    HOLD_CATALOGUE = on


def detach_stores(keep: frozenset[str] = frozenset()) -> None:
    """Detach every store of this process but those in ``keep`` (a later use attaches
    it again). A process that opens many stores one after another (a test session, a
    migration of several files) should: each attached DuckLake makes the DDL and
    commits of every other store slower (measured: a new store's migration took 1 s
    with one other attached, 15 s with twenty)."""
    engine = _engine()
    for key in [k for k in engine.attached if k not in keep]:
        _finish_compaction(engine, key)
    with engine.lock:
        for key in [k for k in engine.attached if k not in keep]:
            alias = engine.attached.pop(key)
            snapshot_cache.drop(alias)
            direct_reads.drop(engine.con, alias)
            _release_hold(engine, key)
            try:
                engine.con.execute(f"DETACH {alias}")
            except duckdb.Error:
                pass


def _finish_compaction(engine: _Engine, key: str) -> None:
    """Wait for a store's compaction in this process (outside the engine's lock, which
    its statements take) before the store is detached under it."""
    running = engine.compacting.pop(key, None)
    if running is not None:
        running.join()


def _release_hold(engine: _Engine, key: str) -> None:
    held = engine.holds.pop(key, None)
    if held is not None:
        catalogue_hold.release(held)


def _is_conflict(exc: BaseException) -> bool:
    text = str(exc).lower()
    return any(
        word in text
        for word in ("conflict", "database is locked", "already exists", "unique constraint")
    )


_SQLITE_BACKUP = """
import sqlite3, sys
source = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
copy = sqlite3.connect(sys.argv[2])
source.backup(copy)
copy.close()
source.close()
"""


class Store:
    """A lake store and the only sanctioned ways to read and write it."""

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        data_path: str | os.PathLike[str] | None = None,
        known_at: dt.datetime | None = None,
    ):
        # a store read as it stood at an instant (``--known-at``): its readers read the
        # snapshot current then, and it cannot be written
        self.known_at = known_at
        location = str(path) if path is not None else str(default_db_path())
        if location.startswith(POSTGRES_PREFIXES):
            self.url: str | None = location
            # the local anchor of this host's app-state store and job directories
            self.path = Path(os.environ.get("CCA_STATE_DB") or DEFAULT_DB)
            given = data_path or os.environ.get("CCA_DATA_PATH")
            self.data_path: str | None = str(given) if given else None
        else:
            self.url = None
            self.path = Path(location)
            self.data_path = str(
                Path(data_path) if data_path else self.path.with_name(self.path.name + ".data")
            )

    def __repr__(self) -> str:
        return f"Store({self.location!r})"

    @property
    def location(self) -> str:
        """The catalogue: the path, or the PostgreSQL URL without its password."""
        if self.url is None:
            return str(self.path)
        import re

        return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", self.url)

    @property
    def key(self) -> str:
        if self.url is not None:
            return f"{self.url} {self.data_path}"
        return str(self.path.resolve())

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    def exists(self) -> bool:
        """Whether the store has been created (a PostgreSQL catalogue: assumed)."""
        if self.url is not None:
            return True
        if self.key in _engine().attached:
            # a lake; and its catalogue must not be opened here: closing the file would
            # drop every lock this process holds on it (POSIX), SQLite's too
            return True
        kind = file_kind(self.path)
        if kind == "single-file":
            raise self._old_store_error()
        return kind == "lake" and self.path.stat().st_size > 0

    def _old_store_error(self) -> OldStoreError:
        target = self.path.with_name(self.path.stem + "-lake" + self.path.suffix)
        return OldStoreError(
            f"{self.path} is a single-file store of the previous design; convert it with "
            f"`cca store migrate {self.path} --to {target}` and use --db {target}"
        )

    # ----------------------------------------------------------------- attaching

    @property
    def _data_dir(self) -> str:
        """A file store's data directory as DuckLake is given it (absolute, ending in /)."""
        return str(Path(self.data_path).resolve()) + os.sep

    def _attach_sql(self, alias: str, snapshot_time: dt.datetime | None = None) -> str:
        options = []
        if self.url is None:
            catalogue = f"ducklake:sqlite:{self.path.resolve()}"
            options += [f"DATA_PATH {_literal(self._data_dir)}"]
            options += ["OVERRIDE_DATA_PATH true"]
            # readers never block the writer (WAL); a commit waits for another's
            options += ["META_JOURNAL_MODE 'WAL'", f"META_BUSY_TIMEOUT {BUSY_TIMEOUT_MS}"]
        else:
            catalogue = f"ducklake:postgres:{self.url}"
            if self.data_path:
                path = self.data_path
                if "://" not in path:
                    path = str(Path(path).resolve()) + os.sep
                options += [f"DATA_PATH {_literal(path)}", "OVERRIDE_DATA_PATH true"]
        if snapshot_time is not None:
            options += [f"SNAPSHOT_TIME {_literal(snapshot_time.isoformat())}", "READ_ONLY"]
        return f"ATTACH {_literal(catalogue)} AS {alias} ({', '.join(options)})"

    def _prepare_files(self) -> None:
        """The catalogue and data directory of a file store, owner-only."""
        if self.url is not None:
            return
        kind = file_kind(self.path)
        if kind == "single-file":
            raise self._old_store_error()
        if kind == "other":
            raise StoreError(f"{self.path} is neither a lake store's catalogue nor empty")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = Path(self.data_path)
        data.mkdir(mode=0o700, exist_ok=True)
        os.chmod(data, 0o700)
        if kind is None:
            fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
        os.chmod(self.path, 0o600)

    def _alias(self) -> str:
        """The store's alias in the process's DuckDB, attached (and migrated) on first use."""
        engine = _engine()
        with engine.lock:
            alias = engine.attached.get(self.key)
            if alias is not None:
                return alias
            self._prepare_files()
            if self.url is not None and not engine.postgres:
                path = str(extensions.extension_path("postgres_scanner")).replace("'", "''")
                engine.con.execute(f"LOAD '{path}'")
                engine.postgres = True
            engine.counter += 1
            alias = f"lake{engine.counter}"
            for attempt in range(20):
                try:
                    engine.con.execute(self._attach_sql(alias))
                    break
                except duckdb.Error as exc:
                    # two processes creating one new catalogue: the second retries
                    if not _is_conflict(exc) or attempt == 19:
                        raise StoreError(f"cannot open the store {self.location}: {exc}") from exc
                    time.sleep(0.05 * (attempt + 1))
            if self.url is None:
                for suffix in ("", "-wal", "-shm", "-journal"):
                    extra = Path(str(self.path) + suffix)
                    if extra.exists():
                        os.chmod(extra, 0o600)
                if HOLD_CATALOGUE:
                    held = catalogue_hold.hold(self.path.resolve())
                    if held is not None:
                        engine.holds[self.key] = held
            engine.attached[self.key] = alias
        try:
            self._ensure_schema(engine, alias)
            self._ensure_deletion_tables(engine, alias)
        except BaseException:
            self.close()
            raise
        return alias

    def _ensure_deletion_tables(self, engine: _Engine, alias: str) -> None:
        """Give every table of a SQLite catalogue its (empty) table of inlined deletions.

        DuckLake looks for ``ducklake_inlined_delete_<table id>`` before it reads a table
        of a snapshot it has not seen; while the table does not exist, each look fails and
        the failure lists every table of the catalogue (measured: some 50 catalogue queries
        a time, four times in each round of a live feed and again in each reader after each
        commit). An existing table is remembered for good. DuckLake creates it itself, with
        this very statement, the first time it inlines a deletion; empty, it holds none.
        Without it, a reader that began before a deletion was committed failed when it next
        scanned the table through DuckLake ("Table with name ducklake_inlined_delete_14
        does not exist": tests/analytics/test_direct_reads.py, once deletions of more than
        ``INLINE_ROWS`` rows went to files). Run whenever a process attaches a store, a
        new one included (some 30 ms once)."""
        if self.url is not None:
            return
        con = engine.cursor()
        try:
            catalogue = str(self.path.resolve())
            have = {
                r[0]
                for r in con.execute(
                    "SELECT name FROM sqlite_scan(?, 'sqlite_master') WHERE type = 'table' "
                    "AND name LIKE 'ducklake_inlined_delete_%'",
                    [catalogue],
                ).fetchall()
            }
            meta = f"__ducklake_metadata_{alias}"
            missing = [
                int(r[0])
                for r in con.execute(
                    f"SELECT table_id FROM {meta}.ducklake_table WHERE end_snapshot IS NULL"
                ).fetchall()
                if f"ducklake_inlined_delete_{int(r[0])}" not in have
            ]
            if not missing:
                return
            with self._write_lock():
                con.execute("BEGIN")
                for table_id in missing:
                    con.execute(
                        f"CREATE TABLE IF NOT EXISTS {meta}.ducklake_inlined_delete_{table_id}"
                        "(file_id BIGINT, row_id BIGINT, begin_snapshot BIGINT)"
                    )
                con.execute("COMMIT")
        except duckdb.Error:
            try:
                con.execute("ROLLBACK")
            except duckdb.Error:
                pass  # an optimisation only: the store works without these tables
        finally:
            con.close()

    def _ensure_schema(self, engine: _Engine, alias: str) -> bool:
        """Create or upgrade the store's schema; whether it existed before (any version)."""
        for attempt in range(20):
            con = engine.cursor()
            try:
                con.execute(f"USE {alias}")
                found = schema_version(con)
                if found >= latest_version():
                    return True
                with self._write_lock():
                    con.execute("BEGIN")
                    migrate(con)
                    con.execute("COMMIT")
                return found > 0
            except duckdb.Error as exc:
                try:
                    con.execute("ROLLBACK")
                except duckdb.Error:
                    pass
                if not _is_conflict(exc) or attempt == 19:
                    raise
                time.sleep(0.05 * (attempt + 1))  # another process is creating it
            finally:
                con.close()

    def close(self) -> None:
        """Detach the store from this process (a later use attaches it again)."""
        engine = _engine()
        _finish_compaction(engine, self.key)
        with engine.lock:
            alias = engine.attached.pop(self.key, None)
            if alias is not None:
                snapshot_cache.drop(alias)
                direct_reads.drop(engine.con, alias)
                _release_hold(engine, self.key)
                try:
                    engine.con.execute(f"DETACH {alias}")
                except duckdb.Error:
                    pass

    def connection(self) -> duckdb.DuckDBPyConnection:
        """A connection of this process's DuckDB outside any transaction (the caller closes
        it), for work that reads no table of the store before a write: the ingest reads and
        checks a file into temp tables on it, then writes with ``writer(on=...)``. A table
        made inside a transaction is scanned by one thread only until that transaction
        ends; made before it, by all of them."""
        self._alias()
        return _engine().cursor()

    def _cursor(
        self, on: duckdb.DuckDBPyConnection | None = None
    ) -> tuple[duckdb.DuckDBPyConnection, str]:
        """A new connection (or ``on``) in a transaction on the store (BEGIN first: a USE
        outside a transaction would read the catalogue's latest snapshot in one of its own)."""
        alias = self._alias()
        con = on if on is not None else _engine().cursor()
        con.execute("BEGIN")
        con.execute(f"USE {alias}")
        return con, alias

    # ----------------------------------------------------------------- reading and writing

    @contextmanager
    def _write_lock(self) -> Iterator[None]:
        """Writers of a SQLite catalogue take turns (``<path>.lock``); PostgreSQL's run at
        once. SQLite cannot publish a transaction whose catalogue snapshot is older than
        another's commit (``database is locked``, SQLITE_BUSY_SNAPSHOT, which DuckLake
        does not retry), so two overlapping writes there would lose one; readers never
        take the lock and never wait (WAL)."""
        if self.url is not None:
            yield
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    @contextmanager
    def writer(
        self, message: str | None = None, on: duckdb.DuckDBPyConnection | None = None
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection in one transaction, published whole when the block ends (one
        snapshot), or not at all when it raises. ``message``: the snapshot's commit
        message (``FEED_COMMIT``: a live feed's round, which compaction thins out).
        ``on``: a connection from ``connection()`` to write on (left open after)."""
        if self.known_at is not None:
            raise StoreError(
                f"{self.location} is opened as it stood at {self.known_at.isoformat()} "
                "(--known-at): it cannot be written"
            )
        self._alias()
        published: list[snapshot_cache.Open] = []
        with self._write_lock():
            with self._transaction(published, on) as con:
                if message is not None:
                    con.execute(
                        "CALL ducklake_set_commit_message(?, 'cca', ?)", [self._alias(), message]
                    )
                yield con
            # the snapshot this process published last: DuckLake keeps it (no catalogue read)
            cursor = _engine().cursor()
            try:
                version = cursor.execute(
                    f"FROM ducklake_last_committed_snapshot({_literal(self._alias())})"
                ).fetchall()[0][0]
            finally:
                cursor.close()
            if version is not None and published:
                snapshot_cache.committed(published[0], int(version))
        if version is not None:
            self._compact_now_and_then(int(version))

    def _compact_now_and_then(self, version: int) -> None:
        """Compact when the snapshot count has crossed a multiple of AUTO_COMPACT_EVERY
        since this process last looked (a feed committing every second would otherwise
        pile up files and snapshots). In a thread of its own, so that the writer goes on
        (a feed's round waits for one step of it at most, not for all: 2.6 s); not a
        daemon, so a short command finishes it before it exits."""
        engine = _engine()
        bucket = version // AUTO_COMPACT_EVERY
        last = engine.compacted.setdefault(self.key, bucket)
        if bucket > last:
            engine.compacted[self.key] = bucket
            with engine.lock:
                running = engine.compacting.get(self.key)
                if running is not None and running.is_alive():
                    return
                thread = threading.Thread(
                    target=self._compact_quietly, name=f"compact {self.key}", daemon=False
                )
                engine.compacting[self.key] = thread
                thread.start()

    def _compact_quietly(self) -> None:
        try:
            self.compact()
        except (duckdb.Error, StoreError) as exc:  # the next crossing tries again
            print(f"{self.location}: compaction stopped: {exc}", file=sys.stderr)

    def compact(self, retention: dt.timedelta = DEFAULT_RETENTION) -> None:
        """Fold the rollup's deltas, flush inlined rows, merge small files, expire
        snapshots older than ``retention`` and delete the files nothing reaches (a killed
        writer's too): docs/stores.md, "Retention and maintenance". Each step is a
        transaction of its own, and takes the writers' turn for itself alone: a live
        feed commits between them."""
        from analytics.kpi import rollup

        alias = _literal(self._alias())
        with self.reader() as con:
            tables = [
                row[0]
                for row in con.execute(
                    "SELECT table_name FROM duckdb_tables() WHERE database_name = ? "
                    "ORDER BY table_name",
                    [self._alias()],
                ).fetchall()
            ]
        # one table at a time: a feed's calls and agent states flushed at once held the
        # writers' turn for seconds
        steps = [
            (f"CALL ducklake_flush_inlined_data({alias}, table_name => ?)", [table])
            for table in tables
        ]
        steps += [
            (f"CALL ducklake_merge_adjacent_files({alias})", []),
            (
                f"CALL ducklake_expire_snapshots({alias}, older_than => ?)",
                [dt.datetime.now(dt.UTC) - retention],
            ),
            (f"CALL ducklake_cleanup_old_files({alias}, cleanup_all => true)", []),
        ]
        # files no snapshot names: a killed writer's. A writer of a PostgreSQL store may
        # be writing some right now (writers do not take turns there): only older ones.
        orphan_age = dt.timedelta(0) if self.url is None else dt.timedelta(hours=1)
        steps.append(
            (
                f"CALL ducklake_delete_orphaned_files({alias}, older_than => ?)",
                [dt.datetime.now(dt.UTC) - orphan_age],
            )
        )
        with self._write_lock(), self._transaction() as con:
            rollup.fold(con)
        with self.reader() as con:
            thinned = feed_snapshots_to_thin(
                con.execute(
                    "SELECT snapshot_id, snapshot_time, commit_message "
                    f"FROM ducklake_snapshots({alias}) ORDER BY snapshot_id"
                ).fetchall(),
                dt.datetime.now(dt.UTC),
            )
        for start in range(0, len(thinned), 10_000):
            with self._write_lock(), self._transaction() as con:
                con.execute(
                    f"CALL ducklake_expire_snapshots({alias}, versions => ?)",
                    [thinned[start : start + 10_000]],
                ).fetchall()
        for sql, params in steps:
            with self._write_lock(), self._transaction() as con:
                con.execute(sql, params).fetchall()

    @contextmanager
    def _transaction(
        self,
        published: list[snapshot_cache.Open] | None = None,
        on: duckdb.DuckDBPyConnection | None = None,
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A write transaction. ``published``: a writer of a SQLite store (under the write
        lock), whose transaction is appended to it once committed, so that the values it
        read at its snapshot, with its changes, are kept for the snapshot it published
        (``analytics.snapshot_cache``)."""
        keep_values = published is not None and self.url is None
        con, alias = self._cursor(on)
        snapshot_cache.opened(con, alias, writer=True)
        try:
            try:
                yield con
                if keep_values:
                    snapshot_cache.snapshot_of(con)
            except BaseException:
                try:
                    con.execute("ROLLBACK")
                except duckdb.Error:
                    pass
                raise
            try:
                con.execute("COMMIT")
            except duckdb.Error as exc:
                raise StoreError(
                    f"{self.location}: the write was not published (nothing of it is "
                    f"visible): {str(exc).strip().splitlines()[0]}"
                ) from exc
            if keep_values:
                entry = snapshot_cache.closed(con)
                if entry is not None:
                    published.append(entry)
        finally:
            snapshot_cache.closed(con)
            if on is None:
                con.close()

    @contextmanager
    def reader(self, known_at: dt.datetime | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection reading one snapshot: the latest, or the one current at
        ``known_at`` (an aware instant: the store as it stood then)."""
        if not self.exists():
            raise StoreError(
                f"no database at {self.path}: load data first (cca ingest ...) or run cca demo"
            )
        known_at = known_at or self.known_at
        if known_at is not None:
            with self._reader_at(known_at) as con:
                yield con
            return
        views = None
        if self.url is None:
            views = direct_reads.latest_views(_engine().cursor, self._alias(), self._data_dir)
        con, alias = self._cursor()
        snapshot_cache.opened(con, alias, writer=False)
        try:
            if views is not None:
                direct_reads.use_views(con, alias, views, snapshot_cache.snapshot_of(con))
            yield con
        finally:
            snapshot_cache.closed(con)
            try:
                con.execute("ROLLBACK")
            except duckdb.Error:
                pass
            con.close()

    @contextmanager
    def _reader_at(self, known_at: dt.datetime) -> Iterator[duckdb.DuckDBPyConnection]:
        if known_at.tzinfo is None:
            raise StoreError(f"--known-at {known_at.isoformat()} needs a UTC offset")
        self._alias()  # created and migrated
        first = self.first_snapshot_time()
        if first is not None and known_at < first:
            raise StoreError(
                f"the store did not exist yet at {known_at.isoformat()} "
                f"(its first snapshot is of {first.isoformat()})"
            )
        engine = _engine()
        with engine.lock:
            engine.counter += 1
            alias = f"lake_at{engine.counter}"
            try:
                engine.con.execute(self._attach_sql(alias, known_at.astimezone(dt.UTC)))
            except duckdb.Error as exc:
                raise StoreError(
                    f"cannot read {self.location} as it stood at {known_at.isoformat()}: "
                    f"{str(exc).strip().splitlines()[0]}"
                ) from exc
        con = engine.cursor()
        try:
            con.execute("BEGIN")
            con.execute(f"USE {alias}")
            snapshot_cache.opened(con, alias, writer=False)
            yield con
        finally:
            snapshot_cache.closed(con)
            con.close()
            snapshot_cache.drop(alias)
            with engine.lock:
                try:
                    engine.con.execute(f"DETACH {alias}")
                except duckdb.Error:
                    pass

    def initialise(self) -> None:
        """Create the store (or upgrade it) without changing any data."""
        self._alias()

    def backup(self, dest: str | os.PathLike[str]) -> Store:
        """Copy this file store to ``dest`` (a new file store): the catalogue through
        SQLite's online backup (a consistent copy while writers run), then the data
        files, which are only ever added until maintenance deletes what no snapshot
        kept reaches. Returns the copy."""
        if self.url is not None:
            raise StoreError("back up a PostgreSQL catalogue with pg_dump (docs/stores.md)")
        target = Store(dest)
        if file_kind(target.path) is not None:
            raise StoreError(f"{target.path} exists: back up to a new path")
        target.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target.path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
        # In a process of its own: this process's DuckDB may hold the catalogue open
        # through its own SQLite library, and a second SQLite closing the same file here
        # would drop the first one's locks on it (SQLite's "How To Corrupt", 2.2.1).
        done = subprocess.run(
            [sys.executable, "-c", _SQLITE_BACKUP, str(self.path), str(target.path)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            target.path.unlink(missing_ok=True)
            raise StoreError(f"cannot back up {self.path}: {done.stderr.strip()}")
        shutil.copytree(self.data_path, target.data_path, dirs_exist_ok=True)
        os.chmod(target.data_path, 0o700)
        return target

    # ----------------------------------------------------------------- snapshots

    def version(self) -> int:
        """The latest snapshot's id: changes with every published write."""
        alias = self._alias()
        con = _engine().cursor()
        try:
            return con.execute(f"FROM ducklake_current_snapshot({_literal(alias)})").fetchone()[0]
        finally:
            con.close()

    def first_snapshot_time(self) -> dt.datetime | None:
        alias = self._alias()
        con = _engine().cursor()
        try:
            row = con.execute(
                "SELECT CAST(epoch_us(min(snapshot_time)) AS BIGINT) "
                f"FROM ducklake_snapshots({_literal(alias)})"
            ).fetchone()
        finally:
            con.close()
        if row[0] is None:
            return None
        return dt.datetime.fromtimestamp(row[0] / 1e6, dt.UTC)

    @property
    def alias(self) -> str:
        """The store's catalogue name in this process's DuckDB (for maintenance calls)."""
        return self._alias()

    def claim_batch_id(self, con: duckdb.DuckDBPyConnection) -> int:
        """A batch id for a load in the writer ``con``, which no other load has or will
        get, even one running at this moment.

        A SQLite catalogue's writers take turns, so max + 1 is unique; the highest id
        claimed at a snapshot is kept (``analytics.snapshot_cache``), so a writer that
        published the snapshot it now reads claims the next id without reading two
        tables. PostgreSQL's writers run at once and DuckLake has no sequences or unique
        keys: each claim there is its own small commit of (candidate, token) to
        ``batch_claims``; the earliest committed claim of a candidate (the lowest row id:
        rows are numbered in commit order) wins it and the others try the next one."""
        if self.url is None:
            highest = snapshot_cache.value(
                con,
                "highest batch id",
                lambda: con.execute(
                    "SELECT greatest((SELECT COALESCE(max(batch_id), 0) FROM ingest_batches),"
                    " (SELECT COALESCE(max(batch_id), 0) FROM batch_claims))"
                ).fetchone()[0],
            )
            snapshot_cache.put(con, "highest batch id", highest + 1)
            return highest + 1
        token = secrets.token_hex(8)
        for _ in range(100):
            with self._transaction() as claim:
                candidate = claim.execute(
                    "SELECT greatest((SELECT COALESCE(max(batch_id), 0) FROM ingest_batches),"
                    " (SELECT COALESCE(max(batch_id), 0) FROM batch_claims)) + 1"
                ).fetchone()[0]
                claim.execute("INSERT INTO batch_claims VALUES (?, ?, now())", [candidate, token])
            with self._transaction() as check:
                winner = check.execute(
                    "SELECT token FROM batch_claims WHERE batch_id = ? ORDER BY rowid LIMIT 1",
                    [candidate],
                ).fetchone()[0]
            if winner == token:
                return int(candidate)
        raise StoreError(f"{self.location}: could not claim a batch id (too many writers?)")
