"""A reader's lake tables read straight from its snapshot's files.

Every statement that scans a lake table makes DuckLake (the build for DuckDB 1.5.5) read
that table's file lists, deletions, statistics and inlined rows from the catalogue again:
through ``sqlite_scanner``, some 40 SQLite statements and 7-20 ms a scan, where the same
query on a plain DuckDB file takes 1-2 ms (docs/stores.md, "What a statement costs").
A snapshot never changes, so what it holds can be read once: which Parquet files, which
inlined rows. The process keeps, per SQLite store, a schema of its in-memory database
holding a view of the same name for each table in ``TABLES`` over exactly those files
(``read_parquet``, less deleted rows) and those inlined rows (one ``sqlite_query`` on the
catalogue DuckLake has attached, so it is the same SQLite library and the same file's
locks), and ``cca_snapshot``, the snapshot they are of. A reader whose snapshot is the
views' puts them first on its search path; a statement on ``<alias>.main.<table>`` still
goes through DuckLake.

A table is left to DuckLake (no view) whenever its snapshot holds what this module does
not reproduce: a file with rows of snapshots after the one read (``partial_max``), a
name mapping or encryption, a column added after its oldest file, or inlined rows under
more than one schema version. Each view's rows are DuckLake's own, in
the table's column order and types (``tests/analytics/test_direct_reads.py`` compares
every table both ways, through loads, a live feed, deletions and compaction).

Tables whose readers use DuckLake's ``rowid`` (the agents' state history) stay with
DuckLake: a view has none.
"""

from __future__ import annotations

import itertools
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb

from analytics import snapshot_cache

# The tables readers scan often (the KPI layer, the dashboards, the wallboard).
TABLES = (
    "calls",
    "call_interval_deltas",
    "call_interval_state",
    "centres",
    "tickets",
    "labels",
    "meta",
    "ingest_batches",
    "forecasts",
    "forecast_runs",
    "staffing",
    "live_agent_state",
    "live_calls_waiting",
    "live_feed_health",
)

ON = True  # off: every reader scans through DuckLake (to time or compare the two ways)

_INLINED_NAME = re.compile(r"^ducklake_inlined_data_[0-9]+_[0-9]+$")
_LOCK = threading.Lock()
_TYPES: dict[tuple[str, int], dict[str, list[tuple[str, str]]]] = {}  # (alias, schema version)
_COUNTER = itertools.count(1)


@dataclass
class _Views:
    """The views of one attached store: a schema of the in-memory database holding one
    view per table and ``cca_snapshot``, the snapshot they are of (replaced in one
    transaction: a reader sees the views and the snapshot of when it began)."""

    schema: str
    data_path: str = ""
    snapshot: int = -1
    tables: frozenset[str] = frozenset()
    making: threading.Lock = field(default_factory=threading.Lock)


_VIEWS: dict[str, _Views] = {}  # alias -> its views
# (alias, table, first, last) -> insertions' SELECT: what snapshots inserted never changes
_INSERTED: dict[tuple[str, str, int, int], str | None] = {}
_UNKNOWN = object()


@dataclass(frozen=True)
class _Table:
    table_id: int
    name: str
    directory: str


def latest_views(cursor: Callable[[], duckdb.DuckDBPyConnection], alias: str,
                 data_path: str) -> str | None:  # fmt: skip
    """The schema of the views of the SQLite store attached as ``alias``, brought up to
    its latest snapshot first if they are older (on a connection of its own from
    ``cursor``: a transaction sees only what was committed before it began, so this runs
    before the reader's ``BEGIN``). Only the views of tables changed since are replaced."""
    if not ON:
        return None
    con = cursor()
    try:
        latest = int(_catalogue(con, alias, "SELECT max(snapshot_id) FROM ducklake_snapshot")[0][0])
        with _LOCK:
            views = _VIEWS.get(alias)
            if views is None:
                views = _VIEWS[alias] = _Views(f"memory.cca_direct_{next(_COUNTER)}", data_path)
        if views.snapshot < latest:
            with views.making:
                if views.snapshot < latest:
                    _bring_up(con, alias, data_path, latest, views)
        return views.schema
    finally:
        con.close()


def use_views(con: duckdb.DuckDBPyConnection, alias: str, schema: str | None,
              snapshot: int) -> bool:  # fmt: skip
    """Make ``con`` (a reader's transaction on ``alias``, reading ``snapshot``) find the
    views first, if those it sees are that snapshot's (a commit between ``latest_views``
    and the reader's first read leaves it with DuckLake's own scans)."""
    if schema is None:
        return False
    try:
        seen = con.execute(f"SELECT snapshot FROM {schema}.cca_snapshot").fetchall()
    except duckdb.CatalogException:
        return False  # not made yet when the reader began
    if not seen or seen[0][0] != snapshot:
        return False
    con.execute(f"SET search_path = '{schema},{alias}.main'")
    return True


def insertions(con: duckdb.DuckDBPyConnection, alias: str, table: str, first: int,
               last: int) -> str | None:  # fmt: skip
    """A SELECT of the rows inserted into ``table`` by snapshots ``first`` to ``last``
    (both included), in the table's columns, read straight from the catalogue's inlined
    rows and the files those snapshots added: what DuckLake's ``ducklake_table_insertions``
    gives, for a caller that knows the snapshots between only inserted rows into the
    table (``snapshot_cache.read``'s ``grows``). DuckLake's function reads the table's
    file lists and statistics again, 5-11 ms a call; this takes two catalogue queries.
    None for a store without views, or when the rows are not simply those (a file of
    rows of several snapshots, a name mapping or encryption, inlined rows under more
    than one schema version): the caller then asks DuckLake."""
    with _LOCK:
        views = _VIEWS.get(alias)
        known = _INSERTED.get((alias, table, int(first), int(last)), _UNKNOWN)
    if not ON or views is None:
        return None
    if known is not _UNKNOWN:  # a page asks for the same rows several times
        return known
    sql = _insertions(con, alias, views.data_path, table, int(first), int(last))
    with _LOCK:
        if len(_INSERTED) >= 64:
            _INSERTED.pop(next(iter(_INSERTED)))
        _INSERTED[(alias, table, int(first), int(last))] = sql
    return sql


def _insertions(con, alias: str, data_path: str, table: str, first: int,
                last: int) -> str | None:  # fmt: skip
    found = _catalogue(
        con,
        alias,
        "SELECT t.table_id, t.path, t.path_is_relative, s.path AS s_path, "
        "s.path_is_relative AS s_rel, "
        f"(SELECT schema_version FROM ducklake_snapshot WHERE snapshot_id = {last}), "
        "(SELECT group_concat(i.table_name, ' ') FROM ducklake_inlined_data_tables i "
        "WHERE i.table_id = t.table_id) "
        "FROM ducklake_table t JOIN ducklake_schema s ON s.schema_id = t.schema_id "
        f"WHERE s.schema_name = 'main' AND t.table_name = {_literal(table)} "
        f"AND {_visible(last, 't.')} AND {_visible(last, 's.')}",
    )
    if len(found) != 1 or found[0][5] is None:
        return None
    table_id, t_path, t_rel, s_path, s_rel, version, inlined_names = found[0]
    inlined = (inlined_names or "").split()
    if len(inlined) > 1 or (inlined and not _INLINED_NAME.match(inlined[0])):
        return None
    directory = _join(_join(data_path, s_path, int(s_rel)), t_path, int(t_rel))
    paths = []
    for path, rel, partial, mapping, key, fmt in _catalogue(
        con,
        alias,
        "SELECT path, path_is_relative, partial_max, mapping_id, encryption_key, file_format "
        f"FROM ducklake_data_file WHERE table_id = {int(table_id)} "
        f"AND begin_snapshot >= {first} AND begin_snapshot <= {last} "
        "ORDER BY file_order, data_file_id",
    ):
        if partial is not None or mapping is not None or key is not None or fmt != "parquet":
            return None
        paths.append(_join(directory, path, int(rel)))
    columns = _column_types(con, alias, int(version)).get(table)
    if not columns:
        return None
    cast = ", ".join(f"CAST({_ident(c)} AS {t}) AS {_ident(c)}" for c, t in columns)
    parts = []
    if paths:
        listed = ", ".join(_literal(f) for f in paths)
        parts.append(f"SELECT {cast} FROM read_parquet([{listed}], hive_partitioning = false)")
    if inlined:
        wanted = ", ".join(_ident(c) for c, _t in columns)
        inner = (
            f"SELECT {wanted} FROM {inlined[0]} "
            f"WHERE begin_snapshot >= {first} AND begin_snapshot <= {last}"
        )
        meta = _literal(f"__ducklake_metadata_{alias}")
        parts.append(f"SELECT {cast} FROM sqlite_query({meta}, {_literal(inner)})")
    if not parts:
        nothing = ", ".join(f"CAST(NULL AS {t}) AS {_ident(c)}" for c, t in columns)
        parts.append(f"SELECT {nothing} WHERE false")
    return " UNION ALL ".join(parts)


def inserted(con: duckdb.DuckDBPyConnection, table: str, first: int,
             last: int) -> tuple[str, list]:  # fmt: skip
    """(a FROM-clause relation, its parameters) of the rows inserted into ``table`` by
    snapshots ``first`` to ``last`` of the store ``con`` reads: ``insertions`` where it
    can, else DuckLake's ``ducklake_table_insertions``."""
    alias = snapshot_cache.database_of(con)
    direct = insertions(con, alias, table, first, last)
    if direct is not None:
        return f"({direct})", []
    return f"ducklake_table_insertions(?, 'main', {_literal(table)}, ?, ?)", [alias, first, last]


def drop(con: duckdb.DuckDBPyConnection, alias: str) -> None:
    """Drop the views of the store attached as ``alias`` (it is being detached)."""
    with _LOCK:
        views = _VIEWS.pop(alias, None)
        for k in [k for k in _TYPES if k[0] == alias]:
            del _TYPES[k]
        for k in [k for k in _INSERTED if k[0] == alias]:
            del _INSERTED[k]
    if views is not None:
        con.execute(f"DROP SCHEMA IF EXISTS {views.schema} CASCADE")


def _forget_in_child() -> None:
    # a forked child makes a DuckDB of its own (analytics.store._engine), whose aliases
    # name other attachments and whose memory holds none of these views
    global _LOCK
    _LOCK = threading.Lock()
    _VIEWS.clear()
    _TYPES.clear()
    _INSERTED.clear()


os.register_at_fork(after_in_child=_forget_in_child)


def _bring_up(con, alias: str, data_path: str, snapshot: int, views: _Views) -> None:
    """Replace the views of tables changed since ``views.snapshot`` with ``snapshot``'s
    (a table left alone keeps its view: the same files, the same inlined rows)."""
    con.execute("BEGIN")
    try:
        con.execute(f"USE {alias}")
        current = con.execute("FROM ducklake_current_snapshot(?)", [alias]).fetchall()[0][0]
        if current != snapshot:
            return  # a commit since the look at the latest: its readers bring them up
        plan = _read_plan(con, alias, data_path, snapshot)
        changed = [
            table
            for table in plan
            if table not in views.tables
            or views.snapshot < 0
            or not snapshot_cache.unchanged(con, alias, views.snapshot, snapshot, [table])
        ]
    finally:
        con.execute("ROLLBACK")
    statements = []
    if views.snapshot < 0:
        statements += [
            f"CREATE SCHEMA IF NOT EXISTS {views.schema}",
            f"CREATE OR REPLACE TABLE {views.schema}.cca_snapshot (snapshot BIGINT)",
            f"INSERT INTO {views.schema}.cca_snapshot VALUES (-1)",
        ]
    statements += [
        f"CREATE OR REPLACE VIEW {views.schema}.{_ident(t)} AS {plan[t]}" for t in changed
    ]
    statements += [
        f"DROP VIEW IF EXISTS {views.schema}.{_ident(t)}" for t in views.tables - set(plan)
    ]
    statements.append(f"UPDATE {views.schema}.cca_snapshot SET snapshot = {int(snapshot)}")
    con.execute("BEGIN")
    try:
        for sql in statements:
            con.execute(sql)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    views.snapshot, views.tables = snapshot, frozenset(plan)


def _catalogue(con, alias: str, sql: str) -> list[tuple]:
    """Rows of ``sql`` run by SQLite itself on the store's catalogue (one statement).
    A column that is not a table's own (an expression, a constant) comes back as text."""
    meta = f"__ducklake_metadata_{alias}"
    return con.execute("SELECT * FROM sqlite_query(?, ?)", [meta, sql]).fetchall()


def _visible(snapshot: int, prefix: str = "") -> str:
    s = int(snapshot)
    return (
        f"{prefix}begin_snapshot <= {s} AND ({prefix}end_snapshot IS NULL "
        f"OR {prefix}end_snapshot > {s})"
    )


def _join(base: str, path: str, relative: int | None) -> str:
    return os.path.join(base, path) if relative else path


def _read_plan(con, alias: str, data_path: str, snapshot: int) -> dict[str, str]:
    """{table: the SELECT of its rows at ``snapshot``} for each table of ``TABLES`` the
    views can reproduce, read from the catalogue in ``con``'s transaction."""
    s = int(snapshot)
    names = ", ".join(f"'{t}'" for t in TABLES)
    tables: dict[int, _Table] = {}
    schema_version = None
    for table_id, name, t_path, t_rel, s_path, s_rel, version in _catalogue(
        con,
        alias,
        f"SELECT t.table_id, t.table_name, t.path, t.path_is_relative, s.path AS s_path, "
        f"s.path_is_relative AS s_rel, (SELECT schema_version FROM ducklake_snapshot "
        f"WHERE snapshot_id = {s}) "
        f"FROM ducklake_table t JOIN ducklake_schema s ON s.schema_id = t.schema_id "
        f"WHERE s.schema_name = 'main' AND t.table_name IN ({names}) "
        f"AND {_visible(s, 't.')} AND {_visible(s, 's.')}",
    ):
        schema_dir = _join(data_path, s_path, int(s_rel))
        table_id = int(table_id)
        tables[table_id] = _Table(table_id, name, _join(schema_dir, t_path, int(t_rel)))
        schema_version = None if version is None else int(version)
    if not tables or schema_version is None:
        return {}
    ids = ", ".join(str(i) for i in tables)

    files: dict[int, dict[int, str]] = {i: {} for i in tables}  # data file id -> path
    oldest: dict[int, int] = {}
    refused: set[int] = set()
    for table_id, file_id, path, rel, begin, partial, mapping, key, fmt in _catalogue(
        con,
        alias,
        "SELECT table_id, data_file_id, path, path_is_relative, begin_snapshot, partial_max, "
        "mapping_id, encryption_key, file_format FROM ducklake_data_file "
        f"WHERE table_id IN ({ids}) AND {_visible(s)} ORDER BY table_id, file_order, data_file_id",
    ):
        table_id, file_id, begin = int(table_id), int(file_id), int(begin)
        # a file of rows from several snapshots (flushed or merged) up to partial_max
        if partial is not None and int(partial) > s:
            refused.add(table_id)
        if mapping is not None or key is not None or fmt != "parquet":
            refused.add(table_id)
        files[table_id][file_id] = _join(tables[table_id].directory, path, int(rel))
        oldest[table_id] = min(oldest.get(table_id, begin), begin)
    deletions, inlined_deletes = _deletions(con, alias, s, tables, files, refused)
    _refuse_late_columns(con, alias, s, ids, oldest, refused)
    inlined = _inlined(con, alias, s, ids, refused)

    types = _column_types(con, alias, schema_version)
    plan = {}
    by_name = {t.name: t for t in tables.values() if t.table_id not in refused}
    for name in TABLES:
        table = by_name.get(name)
        columns = types.get(name)
        if table is None or not columns:
            continue
        plan[name] = _view_sql(
            alias,
            columns,
            files[table.table_id],
            deletions.get(table.table_id, []),
            inlined_deletes.get(table.table_id),
            inlined.get(table.table_id),
            s,
        )
    return plan


def _column_types(con, alias: str, schema_version: int) -> dict[str, list[tuple[str, str]]]:
    """Each table's columns and their DuckDB types, as DuckLake binds them (kept per
    schema version: only DDL changes them)."""
    key = (alias, int(schema_version))
    with _LOCK:
        kept = _TYPES.get(key)
    if kept is not None:
        return kept
    columns: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in con.execute(
        "SELECT table_name, column_name, data_type FROM duckdb_columns() "
        "WHERE database_name = ? AND schema_name = 'main' ORDER BY table_name, column_index",
        [alias],
    ).fetchall():
        columns.setdefault(table, []).append((column, data_type))
    with _LOCK:
        _TYPES[key] = columns
    return columns


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _view_sql(
    alias: str,
    columns: list[tuple[str, str]],
    files: dict[int, str],
    deletions: list[tuple[int, str | None]],
    inlined_deletes: str | None,
    inlined: list[str] | None,
    snapshot: int,
) -> str:
    """The rows of a table at ``snapshot``: its data files' rows less those deleted, and
    its inlined rows, in its columns' order and types."""
    meta = _literal(f"__ducklake_metadata_{alias}")
    cast = ", ".join(f"CAST({_ident(c)} AS {t}) AS {_ident(c)}" for c, t in columns)
    parts = []
    touched = {file_id for file_id, _path in deletions}
    clean = [path for file_id, path in files.items() if file_id not in touched]
    if clean:
        listed = ", ".join(_literal(f) for f in clean)
        parts.append(f"SELECT {cast} FROM read_parquet([{listed}], hive_partitioning = false)")
    if touched:
        listed = ", ".join(_literal(files[f]) for f in sorted(touched))
        deleted = [
            f"SELECT {_literal(files[file_id])} AS cca_path, pos AS cca_pos "
            f"FROM read_parquet({_literal(path)})"
            for file_id, path in deletions
            if path is not None
        ]
        if inlined_deletes is not None:
            ids = ", ".join(str(f) for f in sorted(touched))
            inner = (
                f"SELECT file_id, row_id FROM {inlined_deletes} "
                f"WHERE begin_snapshot <= {int(snapshot)} AND file_id IN ({ids})"
            )
            paths = ", ".join(f"({f}, {_literal(files[f])})" for f in sorted(touched))
            deleted.append(
                f"SELECT f.cca_path, i.row_id AS cca_pos FROM sqlite_query({meta}, "
                f"{_literal(inner)}) i JOIN (VALUES {paths}) f(file_id, cca_path) "
                "ON f.file_id = i.file_id"
            )
        parts.append(
            f"SELECT {cast} FROM read_parquet([{listed}], hive_partitioning = false, "
            "filename = true, file_row_number = true) p "
            f"ANTI JOIN ({' UNION ALL '.join(deleted)}) d "
            "ON p.filename = d.cca_path AND p.file_row_number = d.cca_pos"
        )
    if inlined:
        wanted = ", ".join(_ident(c) for c, _t in columns)
        inner = f"SELECT {wanted} FROM {inlined[0]} WHERE {_visible(snapshot)}"
        parts.append(f"SELECT {cast} FROM sqlite_query({meta}, {_literal(inner)})")
    if not parts:
        nothing = ", ".join(f"CAST(NULL AS {t}) AS {_ident(c)}" for c, t in columns)
        parts.append(f"SELECT {nothing} WHERE false")
    return " UNION ALL ".join(parts)


def _deletions(con, alias: str, s: int, tables: dict[int, _Table],
               files: dict[int, dict[int, str]], refused: set[int]):  # fmt: skip
    """Each table's data files with rows deleted at snapshot ``s``: (file id, its
    deletion file, or None for deletions inlined in the catalogue); and the table of
    inlined deletions of each table that has one."""
    ids = ", ".join(str(i) for i in tables)
    # deletions of rows of those files: deletion files, and deletions still inlined in
    # the catalogue (``ducklake_inlined_delete_<table id>``, made at a table's first)
    deletions: dict[int, list[tuple[int, str | None]]] = {}  # table -> (file, deletion file)
    for table_id, file_id, path, rel, fmt, partial, key in _catalogue(
        con,
        alias,
        "SELECT table_id, data_file_id, path, path_is_relative, format, partial_max, "
        f"encryption_key FROM ducklake_delete_file WHERE table_id IN ({ids}) AND {_visible(s)}",
    ):
        table_id, file_id = int(table_id), int(file_id)
        if (partial is not None and int(partial) > s) or key is not None or fmt != "parquet":
            refused.add(table_id)
        elif file_id in files[table_id]:
            path = _join(tables[table_id].directory, path, int(rel))
            deletions.setdefault(table_id, []).append((file_id, path))
    inlined_deletes = {
        int(name.rsplit("_", 1)[1]): name
        for (name,) in _catalogue(
            con,
            alias,
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name GLOB 'ducklake_inlined_delete_[0-9]*'",
        )
        if int(name.rsplit("_", 1)[1]) in tables
    }
    if inlined_deletes:
        for table_id, file_id in _catalogue(
            con,
            alias,
            " UNION ALL ".join(
                f"SELECT DISTINCT {i}, file_id FROM {n} WHERE begin_snapshot <= {s}"
                for i, n in inlined_deletes.items()
            ),
        ):
            table_id, file_id = int(table_id), int(file_id)
            if file_id in files[table_id]:
                deletions.setdefault(table_id, []).append((file_id, None))
    return deletions, inlined_deletes


def _refuse_late_columns(con, alias: str, s: int, ids: str, oldest: dict[int, int],
                         refused: set[int]) -> None:  # fmt: skip
    for table_id, newest_column in _catalogue(
        con,
        alias,
        f"SELECT table_id, max(begin_snapshot) FROM ducklake_column WHERE table_id IN ({ids}) "
        f"AND {_visible(s)} GROUP BY table_id",
    ):
        # a column added after a file was written: the file lacks it (DuckLake fills in
        # its initial default)
        table_id = int(table_id)
        if table_id in oldest and int(newest_column) > oldest[table_id]:
            refused.add(table_id)


def _inlined(con, alias: str, s: int, ids: str, refused: set[int]) -> dict[int, list[str]]:
    """Each table's inlined-data table, if it holds rows at snapshot ``s``."""
    inlined: dict[int, list[str]] = {}
    for table_id, name in _catalogue(
        con,
        alias,
        f"SELECT table_id, table_name FROM ducklake_inlined_data_tables "
        f"WHERE table_id IN ({ids}) ORDER BY schema_version",
    ):
        table_id = int(table_id)
        if not _INLINED_NAME.match(name):
            refused.add(table_id)
            continue
        inlined.setdefault(table_id, []).append(name)
    for table_id, names_ in inlined.items():
        if len(names_) > 1:
            refused.add(table_id)
    counted = [(i, n[0]) for i, n in inlined.items() if i not in refused]
    if counted:
        # which inlined tables hold rows of the snapshot (the others need no reading)
        held = {
            name
            for name, rows in _catalogue(
                con,
                alias,
                " UNION ALL ".join(
                    f"SELECT '{n}', count(*) FROM {n} WHERE {_visible(s)}" for _i, n in counted
                ),
            )
            if int(rows)
        }
        inlined = {i: n for i, n in inlined.items() if n[0] in held}
    return inlined
