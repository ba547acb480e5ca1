"""Values kept per snapshot (``analytics.snapshot_cache``) never hide a write: another
process's commit, a writer's own change, a reader that holds an older snapshot."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time

from analytics import extensions, freshness, snapshot_cache
from analytics.call_log import changing_calls, save_centre
from analytics.centres import get_centre
from analytics.ingest import ingest_file
from analytics.kpi import rollup
from analytics.store import Store


def _one_call(store: Store, call_id: str) -> int:
    with store.writer() as con:
        batch = store.claim_batch_id(con)
        _insert(con, call_id, dt.datetime(2024, 3, 1, 9, tzinfo=dt.UTC), batch)
    return batch


def test_kept_values_follow_every_write_and_never_another_processs(tmp_path):
    store = Store(tmp_path / "lake.duckdb")
    first = tmp_path / "first.csv"
    first.write_text(
        "call_id,arrived_at,outcome,wait_s\na,2024-03-01T08:00:00+03:00,answered,1\n",
        encoding="utf-8",
    )
    loaded = ingest_file(store, "calls", first, "ruh", timezone="Asia/Riyadh")
    # the next ids come from the kept highest id, published snapshot after snapshot
    assert [_one_call(store, "b"), _one_call(store, "c")] == [
        loaded.batch_id + 1,
        loaded.batch_id + 2,
    ]
    with store.reader() as con:
        assert get_centre(con, "ruh").short_abandon_s == 5.0

    # a writer's own change: seen inside it at once, by readers once it commits, never by
    # a reader holding the snapshot before it
    with store.reader() as before:
        centre = get_centre(before, "ruh")
        with store.writer() as con:
            save_centre(con, dataclasses.replace(centre, short_abandon_s=7.0))
            assert get_centre(con, "ruh").short_abandon_s == 7.0
            assert rollup.can_add_deltas(con, get_centre(con, "ruh"))
        assert get_centre(before, "ruh").short_abandon_s == 5.0
    with store.reader() as con:
        assert get_centre(con, "ruh").short_abandon_s == 7.0
        assert rollup.stale_rows(con, get_centre(con, "ruh")) == 0

    # another process (here: a DuckDB of its own) commits: nothing kept here hides it
    other = extensions.connect("ducklake", "sqlite_scanner")
    try:
        other.execute(store._attach_sql("other"))
        other.execute("USE other")
        other.execute("UPDATE centres SET short_abandon_s = 9 WHERE centre_id = 'ruh'")
        other.execute(
            "INSERT INTO ingest_batches (batch_id, centre_id, kind, file, sha256, format, "
            "started_at) VALUES (100, 'ruh', 'calls', 'elsewhere', '-', 'csv', now())"
        )
    finally:
        other.close()
    with store.reader() as con:
        assert get_centre(con, "ruh").short_abandon_s == 9.0
    assert _one_call(store, "d") == 101
    with store.reader() as con:
        assert con.execute("SELECT count(*) FROM calls").fetchone()[0] == 4


def _seeded(tmp_path) -> Store:
    """A store with one call of centre ruh, loaded by ``cca ingest``'s path."""
    store = Store(tmp_path / "lake.duckdb")
    seed = tmp_path / "seed.csv"
    seed.write_text(
        "call_id,arrived_at,outcome,wait_s\na,2024-03-01T08:00:00+03:00,answered,1\n",
        encoding="utf-8",
    )
    ingest_file(store, "calls", seed, "ruh", timezone="Asia/Riyadh")
    return store


def test_a_readers_answers_are_kept_per_snapshot_and_never_for_a_writer(tmp_path):
    store = _seeded(tmp_path)
    asked = []

    def count_calls(con):
        asked.append(1)
        return con.execute("SELECT count(*) FROM calls").fetchone()[0]

    def read(con):
        return snapshot_cache.read(con, ("calls",), lambda: count_calls(con))

    with store.reader() as con:
        assert read(con) == 1
    with store.reader() as old:
        assert read(old) == 1
        assert len(asked) == 1  # kept for the snapshot
        with store.writer() as con:  # a writer's own changes are not in the snapshot
            _insert(con, "b")
            assert read(con) == 2
            assert read(con) == 2
        assert len(asked) == 3
        assert read(old) == 1  # the older snapshot keeps its answer
    with store.reader() as con:
        assert read(con) == 2
    assert len(asked) == 4


def _insert(con, call_id: str, at: dt.datetime | None = None, batch: int | None = None):
    """One answered call of centre ruh, in the writer ``con``."""
    at = at or dt.datetime(2024, 3, 2, 9, tzinfo=dt.UTC)
    with changing_calls(con, "ruh") as calls:
        calls.insert(
            ["centre_id", "call_id", "arrived_at", "outcome", "wait_s", "batch_id"],
            "SELECT 'ruh', ?, ?, 'answered', 3.0, ?",
            [call_id, at, batch],
            batch_id=batch,
        )


def test_the_latest_call_before_an_instant_from_the_rollup_is_the_calls_own(tmp_path):
    """``freshness.latest_call`` reads one quarter-hour of calls the rollup points to;
    it must agree with max(arrived_at) over every call, at cuts before, inside and after
    the data, on a quarter-hour's edge and inside a quarter-hour before its first call."""
    store = Store(tmp_path / "lake.duckdb")
    path = tmp_path / "calls.csv"
    arrivals = ["08:00:00", "08:14:59", "08:15:00", "08:40:10", "10:07:30", "10:07:31"]
    path.write_text(
        "call_id,arrived_at,outcome,wait_s\n"
        + "".join(f"c{i},2024-03-01T{t}+03:00,answered,1\n" for i, t in enumerate(arrivals)),
        encoding="utf-8",
    )
    ingest_file(store, "calls", path, "ruh", timezone="Asia/Riyadh")
    zone = dt.timezone(dt.timedelta(hours=3))
    cuts = [dt.datetime(2024, 3, 1, 7, 59, tzinfo=zone)]
    cuts += [dt.datetime.fromisoformat(f"2024-03-01T{t}+03:00") for t in arrivals]
    cuts += [
        dt.datetime(2024, 3, 1, 8, 15, 0, 1, tzinfo=zone),
        dt.datetime(2024, 3, 1, 10, 0, tzinfo=zone),  # a quarter-hour before its first call
        dt.datetime(2024, 3, 1, 10, 5, tzinfo=zone),
        dt.datetime(2024, 3, 2, tzinfo=zone),
    ]

    def check():
        with store.reader() as con:
            centre = get_centre(con, "ruh")
            span = freshness.call_span(con, centre)
            assert (
                span == con.execute("SELECT min(arrived_at), max(arrived_at) FROM calls").fetchone()
            )
            for cut in cuts:
                expected = con.execute(
                    "SELECT max(arrived_at) FROM calls WHERE arrived_at < ?", [cut]
                ).fetchone()[0]
                assert freshness.latest_call(con, centre, before=cut) == expected, cut

    check()
    # calls added before, inside and after those: the answers kept for the snapshot
    # before are grown by the calls inserted since (direct_reads.inserted)
    added = ["07:30:00", "09:00:00", "11:00:00"]
    path.write_text(
        "call_id,arrived_at,outcome,wait_s\n"
        + "".join(f"n{i},2024-03-01T{t}+03:00,answered,1\n" for i, t in enumerate(added)),
        encoding="utf-8",
    )
    ingest_file(store, "calls", path, "ruh")
    cuts += [dt.datetime.fromisoformat(f"2024-03-01T{t}+03:00") for t in added]
    cuts.append(dt.datetime(2024, 3, 1, 9, 30, tzinfo=zone))
    check()


def test_readers_asking_at_once_wait_for_one_answer(tmp_path):
    """Twenty wallboards after a feed's commit: one reads, the others wait for its answer."""
    store = Store(tmp_path / "lake.duckdb")
    store.initialise()
    asked = []
    started = threading.Barrier(4)

    def slow():
        asked.append(1)
        time.sleep(0.3)
        return "answer"

    def ask(results):
        with store.reader() as con:
            snapshot_cache.snapshot_of(con)
            started.wait()
            results.append(snapshot_cache.read(con, ("slow",), slow))

    results: list = []
    threads = [threading.Thread(target=ask, args=(results,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["answer"] * 4
    assert len(asked) == 1


def _other_process(store: Store, *statements: str) -> None:
    """``statements`` committed by a DuckDB of its own attached to ``store``, as another
    process's would be (this process's kept values know nothing of them)."""
    con = extensions.connect("ducklake", "sqlite_scanner")
    try:
        con.execute(store._attach_sql("other"))
        con.execute("USE other")
        for sql in statements:
            con.execute(sql)
    finally:
        con.close()


def test_an_answer_is_carried_only_past_snapshots_that_left_its_tables_alone(tmp_path):
    """Another process's commits, each checked against plain SQL: an answer over the labels
    is carried past a commit of calls, read again after one of labels; one that names no
    tables, and any answer past a snapshot that created a table, is read again."""
    store = _seeded(tmp_path)
    asked: list[str] = []
    plain = {"labels": "SELECT count(*) FROM labels", "calls": "SELECT count(*) FROM calls"}

    def answers():
        """Each answer through the cache, and what plain SQL says at the same snapshot."""
        with store.reader() as con:

            def count(name):
                asked.append(name)
                return con.execute(plain[name]).fetchone()[0]

            kept = {
                name: snapshot_cache.read(con, (name,), lambda n=name: count(n), tables=(name,))
                for name in plain
            }
            kept["untold"] = snapshot_cache.read(con, ("untold",), lambda: count("labels"))
            truth = {name: con.execute(sql).fetchone()[0] for name, sql in plain.items()}
            truth["untold"] = truth["labels"]
        assert kept == truth
        return kept

    assert answers() == {"labels": 0, "calls": 1, "untold": 0}
    asked.clear()
    _other_process(
        store,
        "INSERT INTO calls (centre_id, call_id, arrived_at, outcome, wait_s) "
        "VALUES ('ruh', 'b', TIMESTAMPTZ '2024-03-01 09:00:00+03', 'answered', 2)",
    )
    assert answers() == {"labels": 0, "calls": 2, "untold": 0}
    assert asked == ["calls", "labels"]  # the labels' answer carried; the untold read again
    asked.clear()
    _other_process(store, "INSERT INTO labels VALUES ('ruh', 'category', 'x', 'en', 'X')")
    assert answers() == {"labels": 1, "calls": 2, "untold": 1}
    assert asked == ["labels", "labels"]
    asked.clear()
    _other_process(store, "CREATE TABLE scratch (x INTEGER)")
    answers()
    assert sorted(asked) == ["calls", "labels", "labels"]  # a created table: nothing carried


def test_a_snapshots_record_of_changes_is_read_whole_or_as_every_table():
    assert snapshot_cache._changed_tables("inserted_into_table:14,inlined_delete:16") == (
        {14, 16},
        {16},
    )
    assert snapshot_cache._changed_tables("inlined_insert:14") == ({14}, frozenset())
    assert snapshot_cache._changed_tables("") == (frozenset(), frozenset())
    assert snapshot_cache._changed_tables('created_table:"main"."x",inserted_into_table:3') is None


def test_a_growing_answer_takes_in_only_the_rows_inserted_since(tmp_path):
    """The distinct topics of a centre's calls: grown by the calls another process inserts
    (only those read), read whole again after a deletion; always what plain SQL says."""
    store = _seeded(tmp_path)
    asked: list[str] = []
    sql = "SELECT DISTINCT topic FROM calls WHERE centre_id = 'ruh' AND topic IS NOT NULL"

    def topics():
        with store.reader() as con:
            alias = snapshot_cache.database_of(con)

            def whole():
                asked.append("whole")
                return tuple(sorted(con.execute(sql).fetchall()))

            def grow(old, first, last):
                asked.append(f"grown {last - first + 1}")
                added = con.execute(
                    "SELECT DISTINCT topic FROM ducklake_table_insertions(?, 'main', 'calls', "
                    "?, ?) WHERE centre_id = 'ruh' AND topic IS NOT NULL",
                    [alias, first, last],
                ).fetchall()
                return tuple(sorted(set(old) | set(added)))

            kept = snapshot_cache.read(
                con, ("topics",), whole, tables=("calls", "labels"), grows=("calls", grow)
            )
            assert kept == tuple(sorted(con.execute(sql).fetchall()))
            return {t for (t,) in kept}

    def call(call_id, topic):
        return (
            "INSERT INTO calls (centre_id, call_id, arrived_at, outcome, wait_s, topic) VALUES "
            f"('ruh', '{call_id}', TIMESTAMPTZ '2024-03-01 09:00:00+03', 'answered', 2, '{topic}')"
        )

    assert topics() == set() and asked == ["whole"]
    _other_process(store, call("t1", "fees"))
    _other_process(store, call("t2", "visas"), call("t3", "fees"))
    assert topics() == {"fees", "visas"}
    assert asked == ["whole", "grown 3"]  # two commits (three snapshots): only their calls
    _other_process(store, "DELETE FROM calls WHERE call_id = 't2'")
    assert topics() == {"fees"}
    assert asked[-1] == "whole"  # a deletion: read whole
    _other_process(
        store, "INSERT INTO labels VALUES ('ruh', 'topic', 'fees', 'en', 'Fees')", call("t4", "id")
    )
    assert topics() == {"fees", "id"}
    assert asked[-1] == "whole"  # another table the answer reads changed: read whole
