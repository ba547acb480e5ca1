"""The lake store's upkeep: what it holds, compaction, and moving a single-file store in.

* ``store_info``: centres, rows per table, data files, snapshots and bytes on disk
  (``cca store info``).
* ``compact``: fold the rollup's deltas, flush rows inlined in the catalogue to Parquet,
  merge small files, expire snapshots older than the retention and delete the files
  nothing reaches any more, orphans of killed writers included (``cca store compact``;
  also run by writers every ``AUTO_COMPACT_EVERY`` snapshots, so a feed committing every
  second does not pile up files).
* ``migrate_single_file``: copy a DuckDB file of the previous design (schema 1 to 6)
  into a lake store, table by table, in one transaction (``cca store migrate``); the
  calls go through the call log, which builds each centre's rollup from them.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from analytics import snapshot_cache
from analytics.call_log import changing_calls
from analytics.store import DEFAULT_RETENTION, Store, StoreError, file_kind

# Tables of the analytics store, in the order a migration copies them.
TABLES = (
    "centres",
    "labels",
    "ingest_batches",
    "quarantine",
    "staffing",
    "tickets",
    "calls",
    "forecast_runs",
    "forecasts",
)


def _literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _directory_bytes(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except FileNotFoundError:
                pass
    return total


def store_info(store: Store) -> dict[str, Any]:
    """What the store holds and what it costs on disk."""
    alias = store.alias
    with store.reader() as con:
        centres = [r[0] for r in con.execute("SELECT centre_id FROM centres ORDER BY 1").fetchall()]
        rows = {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in (*TABLES, "call_interval_deltas")
        }
        files = con.execute(
            "SELECT sum(file_count), COALESCE(sum(file_size_bytes), 0) "
            f"FROM ducklake_table_info({_literal(alias)})"
        ).fetchone()
        snapshots = con.execute(
            "SELECT count(*), CAST(min(snapshot_time) AS VARCHAR), "
            f"CAST(max(snapshot_time) AS VARCHAR) FROM ducklake_snapshots({_literal(alias)})"
        ).fetchone()
    info: dict[str, Any] = {
        "store": store.location,
        "centres": centres,
        "rows": rows,
        "data_files": int(files[0] or 0),
        "data_bytes": int(files[1] or 0),
        "snapshots": snapshots[0],
        "first_snapshot": snapshots[1],
        "last_snapshot": snapshots[2],
    }
    if store.url is None:
        catalogue = sum(
            Path(str(store.path) + s).stat().st_size
            for s in ("", "-wal")
            if Path(str(store.path) + s).exists()
        )
        info["catalogue_bytes"] = catalogue
        info["bytes_on_disk"] = catalogue + _directory_bytes(Path(store.data_path))
    return info


def compact(store: Store, retention: dt.timedelta = DEFAULT_RETENTION) -> dict[str, Any]:
    """``Store.compact`` with what the store held before and after. Snapshots older than
    ``retention`` can no longer be read with ``--known-at`` afterwards."""
    before = store_info(store)
    store.compact(retention)
    return {"before": before, "after": store_info(store)}


def migrate_single_file(
    old: str | os.PathLike[str],
    store: Store,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, int]:
    """Copy the single-file store ``old`` into the (new or empty) lake ``store`` in one
    transaction; returns the rows copied per table. ``progress(table, done, total)`` is
    called as rows are copied (``total``: every row of every table)."""
    old = Path(old)
    kind = file_kind(old)
    if kind != "single-file":
        raise StoreError(f"{old} is not a single-file store ({kind or 'no such file'})")
    if store.url is None and store.path.resolve() == old.resolve():
        raise StoreError(f"{old}: migrate to another path (--to NEW), then move it over")
    engine_con = duckdb.connect(str(old), read_only=True)
    try:
        version = int(
            engine_con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
        )
        salt = engine_con.execute("SELECT value FROM meta WHERE key = 'caller_salt'").fetchone()[0]
        present = {r[0] for r in engine_con.execute("SHOW TABLES").fetchall()}
    finally:
        engine_con.close()
    if version > 6:  # 6: the last single-file schema (centres' counters)
        raise StoreError(f"{old} is of schema {version}, newer than this program knows")
    copied: dict[str, int] = {}
    with store.writer() as con:
        snapshot_cache.forget_all(con)  # whole tables copied: nothing read before holds
        if con.execute("SELECT count(*) FROM centres").fetchone()[0]:
            raise StoreError(f"{store.location} already holds centres: migrate into a new store")
        con.execute(f"ATTACH {_literal(str(old.resolve()))} AS single_file (READ_ONLY)")
        try:  # the writer rolls back what a failure left; the attachment must go first
            tables = [t for t in TABLES if t in present]
            total = sum(
                con.execute(f"SELECT count(*) FROM single_file.main.{t}").fetchone()[0]
                for t in tables
            )
            done = 0
            con.execute("UPDATE meta SET value = ? WHERE key = 'caller_salt'", [salt])
            # the rest of the old store's settings (e.g. caller_pseudonym: its callers'
            # hashes are already keyed, and must not be keyed twice)
            con.execute(
                "INSERT INTO meta SELECT key, value FROM single_file.main.meta "
                "WHERE key NOT IN ('caller_salt', 'schema_version') "
                "AND key NOT IN (SELECT key FROM meta)"
            )
            for table in tables:
                columns = [
                    r[0] for r in con.execute(f"DESCRIBE single_file.main.{table}").fetchall()
                ]
                mine = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
                names = ", ".join(c for c in columns if c in mine)
                if table == "calls":
                    # through the call log, centre by centre and month by month (a bar
                    # that moves); leaving each centre's block builds its rollup
                    months = con.execute(
                        "SELECT DISTINCT centre_id, date_trunc('month', arrived_at AT TIME ZONE "
                        "'UTC') AS m FROM single_file.main.calls ORDER BY 1, 2"
                    ).fetchall()
                    n = 0
                    for centre_id in sorted({m[0] for m in months}):
                        with changing_calls(con, centre_id) as calls:
                            for _cid, month in (m for m in months if m[0] == centre_id):
                                k = calls.insert(
                                    names.split(", "),
                                    f"SELECT {names} FROM single_file.main.calls WHERE "
                                    "centre_id = ? AND date_trunc('month', arrived_at AT TIME "
                                    "ZONE 'UTC') = ?",
                                    [centre_id, month],
                                )
                                n += k
                                done += k
                                if progress:
                                    progress(table, done, total)
                else:
                    n = con.execute(
                        f"INSERT INTO {table} ({names}) SELECT {names} FROM single_file.main.{table}"
                    ).fetchone()[0]
                    done += n
                copied[table] = n
                if progress:
                    progress(table, done, total)
        except BaseException:
            con.execute("ROLLBACK")
            con.execute("DETACH single_file")
            raise
    with store.reader() as con:
        con.execute("DETACH single_file")
    return copied
