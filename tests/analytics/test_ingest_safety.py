"""Ingest under failure and load: a killed load leaves nothing, readers never see half.

The nightly load runs while managers watch dashboards. These tests run the real
``cca ingest`` in a subprocess: one is killed with SIGKILL in the middle of its work,
the other is read from continuously while it runs.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

from support.cli import start_cca
from support.kpi import write_many_calls

from analytics.ingest import ingest_file


def write_calls(path, rows: int, first: int = 0) -> None:
    write_many_calls(
        path,
        rows,
        "'answered' AS outcome, i % 60 AS wait_s, 100 + i % 300 AS talk_s, "
        "'employer' AS category, '9665' || i AS caller_id",
        first,
    )


def start_ingest(db, csv):
    return start_cca(
        "ingest",
        "calls",
        str(csv),
        "--centre",
        "c",
        db=db,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_kill_9_in_the_middle_of_an_ingest_leaves_the_database_exactly_as_before(store, tmp_path):
    small, big = tmp_path / "small.csv", tmp_path / "big.csv"
    write_calls(small, 100)
    write_calls(big, 400_000, first=100)
    ingest_file(store, "calls", small, "c")
    before = store.version()  # the latest snapshot
    data = Path(store.data_path)
    files_before = set(data.rglob("*.parquet"))

    proc = start_ingest(store.path, big)
    deadline = time.monotonic() + 600
    while not set(data.rglob("*.parquet")) - files_before:  # the load writes its files
        assert proc.poll() is None, "the ingest finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL
    orphans = set(data.rglob("*.parquet")) - files_before
    assert orphans

    assert store.version() == before  # nothing was published
    with store.reader() as con:
        assert con.execute("SELECT count(*), max(batch_id) FROM calls").fetchall() == [(100, 1)]
        assert con.execute("SELECT count(*) FROM ingest_batches").fetchall()[0][0] == 1
    # The next load succeeds; compaction deletes the dead writer's files.
    assert ingest_file(store, "calls", small, "c").duplicate == 100
    store.compact()
    assert not any(f.exists() for f in orphans)
    with store.reader() as con:
        assert con.execute("SELECT count(*) FROM calls").fetchall() == [(100,)]


def test_readers_see_the_old_data_or_the_new_never_an_error_or_half(store, tmp_path):
    small, big = tmp_path / "small.csv", tmp_path / "big.csv"
    write_calls(small, 100)
    write_calls(big, 200_000, first=100)
    ingest_file(store, "calls", small, "c")

    proc = start_ingest(store.path, big)
    seen: list[tuple[int, int]] = []
    while proc.poll() is None:
        with store.reader() as con:
            seen.append(
                con.execute(
                    "SELECT count(*), count(*) FILTER (WHERE batch_id = 2) FROM calls"
                ).fetchall()[0]
            )
    assert proc.returncode == 0, proc.stderr.read().decode()
    with store.reader() as con:
        seen.append(
            con.execute(
                "SELECT count(*), count(*) FILTER (WHERE batch_id = 2) FROM calls"
            ).fetchall()[0]
        )
    assert len(seen) > 5  # the reader really read while the load ran
    assert set(seen) <= {(100, 0), (200_100, 200_000)}
    assert seen[0] == (100, 0) and seen[-1] == (200_100, 200_000)
