"""The ingest's merge step: a load's staged rows (the temp table ``staged``, made by
``analytics.ingest``) into the stored table. Rows are matched on (centre, id): a new id is
inserted, the same values again are a duplicate, other values replace the stored row (a
correction); within one file the last occurrence of an id wins. Calls change through the
call log, which keeps the quarter-hour rollup in step."""

from __future__ import annotations

import time
from contextlib import nullcontext
from typing import Any

import duckdb

from analytics import snapshot_cache
from analytics.call_log import changing_calls
from analytics.records import CALLS, Column, RecordKind
from analytics.row_checks import (
    absent_are_null_sql,
    ident,
    row_hash_sql,
    same_row_sql,
    stored_sql,
)

# Files of at most this many valid rows are first checked for repeated ids at all.
SMALL_STAGE = 10_000


def _has_stored_rows(con: duckdb.DuckDBPyConnection, spec: RecordKind, centre_id: str) -> bool:
    """Whether the store holds records of the centre (calls: read once per snapshot, the
    call log noting each insert, ``analytics.snapshot_cache``)."""

    def read() -> bool:
        return (
            con.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {spec.table} WHERE centre_id = ? LIMIT 1)",
                [centre_id],
            ).fetchall()[0][0]
            > 0
        )

    if spec is not CALLS:
        return read()
    found = snapshot_cache.value(con, ("has calls", centre_id), read)
    if not found:
        # a "no" is not carried to the next snapshot: an insert that bypasses the call
        # log (a test's raw SQL) would not tell the cache
        snapshot_cache.forget(con, ("has calls", centre_id))
    return found


def _repeats(
    con: duckdb.DuckDBPyConnection, spec: RecordKind, key: str, present: set[str]
) -> tuple[int, int]:
    """Make ``earlier``: each valid staged row whose id appears again later in the file,
    with that last row and whether the two are the same. Returns (the same, all)."""
    # Within one file the last occurrence of an id wins. Grouping on a 64-bit hash of
    # the id is several times faster than on the text; the few candidates it finds are
    # then grouped on the id itself, so a hash collision cannot merge two calls.
    con.execute(
        f"""
        CREATE TEMP TABLE earlier AS
        WITH candidates AS (
            SELECT hash({key}) AS h FROM staged WHERE keep AND problem IS NULL
            GROUP BY h HAVING count(*) > 1),
        repeats AS (
            SELECT s.{key} AS id, max(s.rowid) AS last_rec
            FROM staged s SEMI JOIN candidates c ON hash(s.{key}) = c.h
            WHERE s.keep AND s.problem IS NULL
            GROUP BY s.{key} HAVING count(*) > 1)
        SELECT s.rowid AS rec, r.last_rec, {same_row_sql(spec, present, "s", "l")} AS same
        FROM repeats r
        JOIN staged s ON s.{key} = r.id AND s.rowid <> r.last_rec AND s.keep
             AND s.problem IS NULL
        JOIN staged l ON l.rowid = r.last_rec
        """
    )
    return con.execute("SELECT count(*) FILTER (WHERE same), count(*) FROM earlier").fetchall()[0]


def _distinct_ids(con: duckdb.DuckDBPyConnection, key: str) -> int:
    """How many different ids the valid staged rows have (by their 64-bit hash: fewer
    only when two ids share one, and then the full search runs anyway)."""
    return con.execute(
        f"SELECT count(DISTINCT hash({key})) FROM staged WHERE keep AND problem IS NULL"
    ).fetchall()[0][0]


def merge_staged(
    con: duckdb.DuckDBPyConnection,
    spec: RecordKind,
    centre_id: str,
    batch_id: int,
    result: Any,  # the load's analytics.ingest.IngestResult
    caller: dict,
    present: set[str],
    staged_columns: list[Column],
) -> None:
    """Insert new rows, replace corrected ones, count duplicates (within file and stored).

    ``present`` names the canonical columns the file gives; ``staged_columns`` are the
    columns of the staged table (the key and the valued ones, see ``valued_columns``);
    the others are NULL in every row and left to the stored table's default."""
    key = ident(spec.key)
    lap = time.perf_counter()
    valid, lowest, highest = con.execute(
        f"SELECT count(*), min({key}), max({key}) FROM staged WHERE keep AND problem IS NULL"
    ).fetchall()[0]
    distinct = valid <= SMALL_STAGE and valid == _distinct_ids(con, key)
    if distinct:
        # a small file whose ids all differ: no repeats to look for (4 ms a 100-call load)
        con.execute("CREATE TEMP TABLE earlier (rec BIGINT, last_rec BIGINT, same BOOLEAN)")
        in_file_duplicates = earlier_count = 0
    else:
        in_file_duplicates, earlier_count = _repeats(con, spec, key, present)
    not_earlier = (
        "AND NOT EXISTS (SELECT 1 FROM earlier e WHERE e.rec = s.rowid)" if earlier_count else ""
    )
    lap = result.lap("repeats within the file", lap)

    has_existing = _has_stored_rows(con, spec, centre_id)
    updated = existing_duplicates = 0
    not_same = ""
    # Calls change through the call log, which rebuilds the quarter-hours they touch
    # (old and new instants) in this transaction; tickets have no rollup.
    with changing_calls(con, centre_id) if spec is CALLS else nullcontext() as calls:
        if has_existing:
            # Stored rows are compared by a 64-bit hash of their values, so that the join
            # carries two narrow columns instead of every column of both sides.
            match_sql = f"""
                CREATE TEMP TABLE matched AS
                SELECT s.rowid AS rec, s.{key} AS id, s.h = c.h AND c.absent_null AS same
                FROM (SELECT rowid, {key}, {row_hash_sql(spec, present)} AS h FROM staged
                      WHERE keep AND problem IS NULL) s
                JOIN (SELECT {key}, {row_hash_sql(spec, present, staged=False)} AS h,
                             {absent_are_null_sql(spec, present)} AS absent_null
                      FROM {spec.table}
                      WHERE centre_id = $centre AND {key} BETWEEN $lowest AND $highest) c
                     ON c.{key} = s.{key}
                {not_earlier.replace("AND", "WHERE", 1)}
                """
            # The staged ids' range as constants: DuckLake rules out the files whose
            # statistics lie outside it before opening any (the join's own filter is
            # applied only once they are open: a 100-call load's match 12 -> 2 ms).
            # The salt is bound only when a caller column is given (and so hashed).
            con.execute(
                match_sql,
                {"centre": centre_id, "lowest": lowest, "highest": highest}
                | (caller if "$salt" in match_sql else {}),
            )
            lap = result.lap("match stored rows", lap)
            updated, existing_duplicates = con.execute(
                "SELECT count(*) FILTER (WHERE NOT same), count(*) FILTER (WHERE same) FROM matched"
            ).fetchall()[0]
            if updated:
                corrected = f"{key} IN (SELECT id FROM matched WHERE NOT same)"
                if calls is not None:
                    calls.delete(corrected)
                else:
                    con.execute(
                        f"DELETE FROM {spec.table} WHERE centre_id = $centre AND {corrected}",
                        {"centre": centre_id},
                    )
            lap = result.lap("delete corrected rows", lap)
            if existing_duplicates:
                not_same = (
                    "AND NOT EXISTS (SELECT 1 FROM matched m WHERE m.rec = s.rowid AND m.same)"
                )
        columns = ["centre_id", *(ident(c.stored) for c in staged_columns), "batch_id"]
        select = f"""
            SELECT $centre, {", ".join(stored_sql(c, "s") for c in staged_columns)}, $batch
            FROM staged s
            WHERE s.keep AND s.problem IS NULL {not_earlier} {not_same}
            """
        params = {"centre": centre_id, "batch": batch_id} | (caller if "$salt" in select else {})
        if valid == earlier_count + existing_duplicates:
            # Every row is a duplicate or superseded (a file loaded again): nothing to
            # insert, and the anti-joins over all staged rows would find just that.
            inserted = 0
        elif calls is not None:
            inserted = calls.insert(columns, select, params, batch_id=batch_id)
        else:
            inserted = con.execute(
                f"INSERT INTO {spec.table} ({', '.join(columns)}) {select}", params
            ).fetchall()[0][0]
        lap = result.lap("insert", lap)
    if spec is CALLS and (inserted or updated):
        result.lap("quarter-hour rollup", lap)
    result.updated = updated
    result.loaded = inserted - updated
    result.duplicate = in_file_duplicates + existing_duplicates
