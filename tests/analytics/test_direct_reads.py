"""A reader's views of its snapshot's files (analytics.direct_reads) hold exactly the rows
DuckLake's own scans give, through every shape a table takes: inlined rows, files, rows
deleted inline and in deletion files, compaction, a column added later."""

from __future__ import annotations

import datetime as dt

from support.kpi import random_calls, write_calls_csv

from analytics import direct_reads
from analytics.call_log import save_centre
from analytics.centres import Centre
from analytics.ingest import ingest_file
from analytics.store import INLINE_ROWS, Store


def _deletion_files(store: Store) -> int:
    with store.reader() as con:
        return con.execute(
            "SELECT count(*) FROM sqlite_query(?, 'SELECT 1 FROM ducklake_delete_file')",
            [f"__ducklake_metadata_{store.alias}"],
        ).fetchall()[0][0]


def _both_ways(store: Store) -> tuple[list[str], dict[str, tuple[list, list]]]:
    """The tables given views, and each table's rows read through them and through
    DuckLake (``<alias>.main.<table>``), in one reader."""
    with store.reader() as con:
        path = con.execute("SELECT current_setting('search_path')").fetchall()[0][0]
        viewed = [
            row[0]
            for row in con.execute(
                "SELECT view_name FROM duckdb_views() WHERE database_name = 'memory' "
                "AND schema_name = ?",
                [path.split(",")[0].split(".")[-1]],
            ).fetchall()
        ] if path.startswith("memory.") else []  # fmt: skip
        rows = {}
        for table in direct_reads.TABLES:
            ours = con.execute(f"SELECT * FROM {table}").fetchall()
            lake = con.execute(f"SELECT * FROM {store.alias}.main.{table}").fetchall()
            rows[table] = (sorted(ours, key=repr), sorted(lake, key=repr))
    return viewed, rows


def _assert_same(store: Store, *, viewed: set[str]) -> None:
    got, rows = _both_ways(store)
    assert viewed <= set(got), f"no view for {viewed - set(got)}"
    for table, (ours, lake) in rows.items():
        assert ours == lake, f"{table}: {len(ours)} rows through the view, {len(lake)} in DuckLake"


def test_the_views_hold_what_ducklake_holds_through_a_store_s_life(tmp_path):
    store = Store(tmp_path / "lake.duckdb")
    with store.writer() as con:
        save_centre(con, Centre("c", timezone="Asia/Riyadh"))
    with store.writer() as con:  # the row rewritten: the first one's end is inlined
        save_centre(con, Centre("c", name="Centre C", timezone="Asia/Riyadh"))
    _assert_same(store, viewed={"centres", "meta"})

    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    rows = random_calls(1, "Asia/Riyadh", 1500)
    write_calls_csv(first, rows)
    ingest_file(store, "calls", first, "c")  # Parquet files
    _assert_same(store, viewed={"calls", "call_interval_deltas", "centres"})

    # corrections of 300 calls: rows of those files deleted (more than INLINE_ROWS: in a
    # deletion file)
    corrected = random_calls(2, "Asia/Riyadh", 300)
    for row, old in zip(corrected, rows[:300], strict=True):
        row["call_id"] = old["call_id"]
    write_calls_csv(second, corrected + random_calls(3, "Asia/Riyadh", 500, first_id=10_000))
    assert ingest_file(store, "calls", second, "c").updated == 300
    _assert_same(store, viewed={"calls", "call_interval_deltas"})

    # one call in a commit of its own: inlined beside the files
    with store.writer() as con:
        con.execute(
            "INSERT INTO calls (centre_id, call_id, arrived_at, outcome, wait_s) "
            "VALUES ('c', 'one', TIMESTAMPTZ '2024-03-05 09:00:00+00', 'abandoned', 40)"
        )
    _assert_same(store, viewed={"calls"})

    # compaction flushes the inlined rows and deletions into files (deletion files)
    store.compact(retention=dt.timedelta(days=1))
    _assert_same(store, viewed={"calls", "call_interval_deltas", "centres"})
    with store.writer() as con:
        con.execute("DELETE FROM calls WHERE call_id IN (SELECT call_id FROM calls LIMIT 7)")
    _assert_same(store, viewed={"calls"})
    store.compact(retention=dt.timedelta(days=1))
    _assert_same(store, viewed={"calls"})
    # more deletions than are kept inline in one commit: a deletion file
    with store.writer() as con:
        con.execute(
            "DELETE FROM calls WHERE call_id IN (SELECT call_id FROM calls ORDER BY call_id "
            f"LIMIT {INLINE_ROWS + 100})"
        )
    _assert_same(store, viewed={"calls"})
    assert _deletion_files(store) > 0

    # a column added after the files were written: DuckLake fills it in, so the table is
    # left to DuckLake
    with store.writer() as con:
        con.execute("ALTER TABLE tickets ADD COLUMN extra INTEGER DEFAULT 7")
        con.execute("ALTER TABLE calls ADD COLUMN extra INTEGER DEFAULT 7")
    got, rows = _both_ways(store)
    assert "calls" not in got
    for table, (ours, lake) in rows.items():
        assert ours == lake, table
    assert {row[-1] for row in rows["calls"][0]} == {7}


def test_a_reader_reads_the_snapshot_it_began_on_through_the_views(tmp_path):
    """The views are brought up to each new snapshot in place; a reader that began before
    keeps seeing its own snapshot's views (and rows), a reader after sees the new ones."""
    store = Store(tmp_path / "lake.duckdb")
    with store.writer() as con:
        save_centre(con, Centre("c", timezone="Asia/Riyadh"))
    csv = tmp_path / "calls.csv"
    write_calls_csv(csv, random_calls(4, "Asia/Riyadh", 200))
    ingest_file(store, "calls", csv, "c")

    def through_views(con) -> bool:
        path = con.execute("SELECT current_setting('search_path')").fetchall()[0][0]
        return path.startswith("memory.")

    count = "SELECT count(*) FROM calls"
    with store.reader() as before:
        assert before.execute(count).fetchall()[0][0] == 200 and through_views(before)
        with store.writer() as con:
            con.execute("DELETE FROM calls WHERE wait_s > 30")
            left = con.execute(count).fetchall()[0][0]
        assert left < 200
        with store.reader() as after:
            assert through_views(after)
            assert after.execute(count).fetchall()[0][0] == left
            lake = after.execute(f"SELECT count(*) FROM {store.alias}.main.calls").fetchall()
            assert lake[0][0] == left
        assert before.execute(count).fetchall()[0][0] == 200  # its own snapshot still
        assert (
            before.execute(f"SELECT count(*) FROM {store.alias}.main.calls").fetchall()[0][0] == 200
        )


def test_the_rows_a_snapshot_inserted_are_ducklake_s_own(tmp_path):
    """``direct_reads.inserted`` (read straight from the catalogue) gives the rows
    DuckLake's ``ducklake_table_insertions`` gives, for snapshots that inserted rows in a
    file of their own (a load) or inlined in the catalogue (a feed's few calls)."""
    store = Store(tmp_path / "lake.duckdb")
    with store.writer() as con:
        save_centre(con, Centre("c", timezone="Asia/Riyadh"))
    csv = tmp_path / "calls.csv"
    write_calls_csv(csv, random_calls(5, "Asia/Riyadh", 400))
    ingest_file(store, "calls", csv, "c")  # a file
    for i in range(3):  # inlined rows, one commit each
        with store.writer() as con:
            con.execute(
                "INSERT INTO calls (centre_id, call_id, arrived_at, outcome, wait_s, topic) "
                "VALUES ('c', ?, TIMESTAMPTZ '2024-03-05 09:00:00+00', 'answered', ?, ?)",
                [f"feed{i}", float(i), f"topic{i}"],
            )
    write_calls_csv(csv, random_calls(6, "Asia/Riyadh", 200, first_id=50_000))
    ingest_file(store, "calls", csv, "c")  # another file, after the inlined rows
    with store.reader() as con:
        last = con.execute(f"FROM ducklake_current_snapshot('{store.alias}')").fetchall()[0][0]
        compared = 0
        for first in range(1, last + 1):
            for end in range(first, last + 1):
                for table in ("calls", "call_interval_deltas"):
                    direct = direct_reads.insertions(con, store.alias, table, first, end)
                    assert direct is not None, (table, first, end)
                    lake = con.execute(
                        "SELECT * FROM ducklake_table_insertions(?, 'main', ?, ?, ?)",
                        [store.alias, table, first, end],
                    ).fetchall()
                    ours = con.execute(direct).fetchall()
                    assert sorted(ours, key=repr) == sorted(lake, key=repr), (table, first, end)
                    compared += len(lake)
        assert compared > 600
        rows, params = direct_reads.inserted(con, "calls", 1, last)
        assert not params  # read from the catalogue, not through DuckLake
        topics = {r[0] for r in con.execute(f"SELECT topic FROM {rows}", params).fetchall()}
        assert {"topic0", "topic1", "topic2"} <= topics
