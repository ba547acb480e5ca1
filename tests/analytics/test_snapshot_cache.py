"""Values kept per snapshot (``analytics.snapshot_cache``) never hide a write: another
process's commit, a writer's own change, a reader that holds an older snapshot."""

from __future__ import annotations

import dataclasses
import datetime as dt

from analytics import extensions
from analytics.call_log import changing_calls, save_centre
from analytics.centres import get_centre
from analytics.ingest import ingest_file
from analytics.kpi import rollup
from analytics.store import Store


def _one_call(store: Store, call_id: str) -> int:
    with store.writer() as con:
        batch = store.claim_batch_id(con)
        with changing_calls(con, "ruh") as calls:
            calls.insert(
                ["centre_id", "call_id", "arrived_at", "outcome", "wait_s", "batch_id"],
                "SELECT 'ruh', ?, ?, 'answered', 3.0, ?",
                [call_id, dt.datetime(2024, 3, 1, 9, tzinfo=dt.UTC), batch],
                batch_id=batch,
            )
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
