"""Following a queue_log live: the same calls as a batch load, whatever the feed goes through.

A followed log is appended to in pieces (a line split in two), rotated by rename and by
truncation, and its follower is killed with SIGKILL and started again; after each, the
calls it committed are compared with a batch ``cca ingest`` of the same lines, row by row
and rollup by rollup, and the events counted with the lines written. Real DuckDB files,
a real SimPy run writing the log, the real ``cca`` in a subprocess for the kill.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from support.cli import ROOT, cca_command

from analytics.ingest import ingest_file
from analytics.live.follower import Follower
from analytics.store import Store
from simulation.live import run_live

SAMPLE = ROOT / "data" / "samples" / "asterisk_queue_log_2024-09-01.log"
CALL_COLUMNS = (
    "call_id, arrived_at, outcome, wait_s, answered_at, ended_at, talk_s, hold_s, acw_s, "
    "queue, channel, agent_id, caller_hash"
)


def calls_of(store: Store, centre: str) -> list[tuple]:
    with store.reader() as con:
        return con.execute(
            f"SELECT {CALL_COLUMNS} FROM calls WHERE centre_id = ? ORDER BY call_id", [centre]
        ).fetchall()


def rollup_of(store: Store, centre: str) -> list[tuple]:
    with store.reader() as con:
        return con.execute(
            "SELECT * EXCLUDE (centre_id) FROM call_intervals WHERE centre_id = ? ORDER BY ALL",
            [centre],
        ).fetchall()


def health_of(store: Store, centre: str) -> dict:
    with store.reader() as con:
        cur = con.execute("SELECT * FROM live_feed_health WHERE centre_id = ?", [centre])
        names = [d[0] for d in cur.description]
        return dict(zip(names, cur.fetchall()[0], strict=True))


def event_lines(text: str) -> int:
    """Lines of a queue_log that are events (not blank)."""
    return sum(1 for line in text.splitlines() if line.strip())


@pytest.fixture(scope="module")
def day_log(tmp_path_factory):
    """Three hours of bahrain_lmra's Sunday morning, written by the live SimPy model."""
    path = tmp_path_factory.mktemp("sim") / "queue_log"
    run_live("bahrain_lmra", path, speed=1e7, seed=3, start="2026-09-06T08:00:00", hours=3)
    return path.read_text()


def batch(store: Store, text: str, tmp_path, centre="batch") -> None:
    whole = tmp_path / "whole.queue_log"
    whole.write_text(text)
    ingest_file(store, "calls", whole, centre, input_format="queue_log")


def test_a_log_followed_in_pieces_gives_the_calls_and_rollup_of_a_batch_load(
    store, tmp_path, day_log
):
    log = tmp_path / "queue_log"
    log.write_text("")
    follower = Follower(store, "live", str(log))
    data = day_log.encode()
    cuts = [0, 1000, 1001, 7777, len(data) // 2, len(data) - 3, len(data)]
    for a, b in zip(cuts, cuts[1:], strict=False):
        with open(log, "ab") as f:
            f.write(data[a:b])  # pieces end mid-line: the partial line waits
        follower.step()
    follower.close()
    batch(store, day_log, tmp_path)
    live, whole = calls_of(store, "live"), calls_of(store, "batch")
    assert len(live) > 100
    assert live == whole
    assert rollup_of(store, "live") == rollup_of(store, "batch")
    h = health_of(store, "live")
    assert h["events"] == event_lines(day_log)
    assert h["malformed"] == 0 and h["unknown_call_events"] == 0


def test_the_hand_written_sample_reconciles_and_its_bad_lines_are_quarantined_where_they_are(
    store, tmp_path
):
    log = tmp_path / "queue_log"
    log.write_bytes(SAMPLE.read_bytes())
    follower = Follower(store, "live", str(log))
    follower.run(until_idle=True)
    ingest_file(store, "calls", SAMPLE, "batch", input_format="queue_log")
    assert calls_of(store, "live") == calls_of(store, "batch")
    data = SAMPLE.read_bytes()
    with store.reader() as con:
        bad = con.execute(
            "SELECT file, byte_offset, line_no, line, reason FROM live_quarantine ORDER BY line_no"
        ).fetchall()
        batch_rejects = con.execute(
            "SELECT q.line, q.reason FROM quarantine q JOIN ingest_batches b USING (batch_id) "
            "WHERE b.centre_id = 'live'"
        ).fetchall()
    assert [b[2] for b in bad] == [40, 41, 42, 43]
    for file, offset, line_no, line, _reason in bad:
        assert file == str(log)
        assert data.splitlines()[line_no - 1].decode() == line
        assert data[offset:].split(b"\n", 1)[0].decode() == line  # the byte offset is its start
    assert bad[1][4] == "the time yesterday is not a UNIX time in seconds"
    # a value the ingest refuses (talk "abc") is quarantined under the log's own line
    assert (39, "is not a number") in batch_rejects
    # the COMPLETEAGENT of a call that entered before the log began: kept, and counted
    h = health_of(store, "live")
    assert h["unknown_call_events"] == 1 and h["malformed"] == 4


def test_rotation_by_rename_and_by_truncation_loses_no_line(store, tmp_path, day_log):
    log = tmp_path / "queue_log"
    lines = day_log.splitlines(keepends=True)
    third = len(lines) // 3
    log.write_text("".join(lines[:third]))
    follower = Follower(store, "live", str(log))
    follower.step()
    # logrotate: rename, a new file; the old one still gets a last (unterminated) line
    os.rename(log, tmp_path / "queue_log.1")
    with open(tmp_path / "queue_log.1", "a") as f:
        f.write(lines[third].rstrip("\n"))
    log.write_text("".join(lines[third + 1 : 2 * third]))
    follower.step()
    follower.step()
    # copytruncate: the same file, emptied, then written again
    with open(log, "r+") as f:
        f.truncate(0)
    follower.step()
    log.write_text("".join(lines[2 * third :]))
    follower.run(until_idle=True)
    follower.close()
    batch(store, day_log, tmp_path)
    assert calls_of(store, "live") == calls_of(store, "batch")
    assert health_of(store, "live")["events"] == event_lines(day_log)


def test_a_follower_killed_mid_stream_resumes_after_its_last_commit(store, tmp_path, day_log):
    log = tmp_path / "queue_log"
    log.write_text("")
    cmd = cca_command(
        "live", "follow", str(log), "--centre", "live", "--poll", "0.05", db=store.path
    )
    lines = day_log.splitlines(keepends=True)
    step = len(lines) // 8
    proc = subprocess.Popen(cmd, cwd=ROOT, stderr=subprocess.PIPE)
    try:
        for k in range(0, 5 * step, step):
            with open(log, "a") as f:
                f.write("".join(lines[k : k + step]))
            time.sleep(0.3)
        os.kill(proc.pid, signal.SIGKILL)  # whatever it was doing
        proc.wait()
        with open(log, "a") as f:
            f.write("".join(lines[5 * step :]))
    finally:
        if proc.poll() is None:
            proc.kill()
    done = subprocess.run([*cmd, "--until-idle"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    batch(store, day_log, tmp_path)
    assert calls_of(store, "live") == calls_of(store, "batch")
    # every event counted once, over both runs
    assert health_of(store, "live")["events"] == event_lines(day_log)
    with store.reader() as con:
        history = con.execute(
            "SELECT count(*), count(DISTINCT (agent_id, started_at, state)) "
            "FROM live_agent_state_history"
        ).fetchall()[0]
    assert history[0] == history[1]


def test_callers_waiting_and_agents_by_state_follow_the_log(store, tmp_path):
    t = 1_800_000_000
    log = tmp_path / "queue_log"
    log.write_text(
        f"{t}|NONE|support|PJSIP/alice|ADDMEMBER|\n"
        f"{t}|NONE|support|PJSIP/bob|ADDMEMBER|\n"
        f"{t}|NONE|support|PJSIP/carol|ADDMEMBER|\n"
        f"{t + 1}|NONE|support|PJSIP/carol|PAUSE|lunch\n"
        f"{t + 5}|c1|support|NONE|ENTERQUEUE||+1|1\n"
        f"{t + 6}|c2|support|NONE|ENTERQUEUE||+2|2\n"
        f"{t + 8}|c1|support|PJSIP/alice|CONNECT|3|x|1\n"
        f"{t + 9}|c3|sales|NONE|ENTERQUEUE||+3|1\n"
        f"{t + 20}|c1|support|PJSIP/alice|COMPLETECALLER|3|12|1\n"
        f"{t + 20}|NONE|NONE|PJSIP/alice|PAUSE|wrap-up\n"
    )
    follower = Follower(store, "c", str(log))
    follower.run(until_idle=True)
    with store.reader() as con:
        con.execute("SET TimeZone = 'UTC'")
        waiting = con.execute(
            "SELECT call_key, queue, epoch(entered_at) FROM live_calls_waiting ORDER BY call_key"
        ).fetchall()
        states = dict(
            con.execute(
                "SELECT agent_id, state || coalesce(':' || reason, '') FROM live_agent_state"
            ).fetchall()
        )
    assert waiting == [("c2@support", "support", t + 6), ("c3@sales", "sales", t + 9)]
    assert states == {
        "PJSIP/alice": "wrap_up",
        "PJSIP/bob": "available",
        "PJSIP/carol": "paused:lunch",
    }
    with open(log, "a") as f:
        f.write(
            f"{t + 30}|c2|support|PJSIP/bob|CONNECT|24|y|1\n{t + 31}|NONE|NONE|PJSIP/alice|UNPAUSE|\n"
        )
    follower.step()
    with store.reader() as con:
        assert con.execute("SELECT call_key FROM live_calls_waiting").fetchall() == [("c3@sales",)]
        assert dict(con.execute("SELECT agent_id, state FROM live_agent_state").fetchall()) == {
            "PJSIP/alice": "available",
            "PJSIP/bob": "on_call",
            "PJSIP/carol": "paused",
        }


def test_ringing_is_read_from_ring_times_the_queue_log_gives_after_the_ring(store, tmp_path):
    """RINGNOANSWER carries the ring time in ms, a CONNECT the seconds it rang before the
    agent answered: the history holds the rings (never before the state they interrupt)."""
    t = 1_800_000_000
    log = tmp_path / "queue_log"
    log.write_text(
        f"{t}|NONE|support|A|ADDMEMBER|\n"
        f"{t + 100}|k1|support|NONE|ENTERQUEUE||+1|1\n"
        f"{t + 115}|k1|support|A|RINGNOANSWER|15000\n"  # rang 100-115, not picked up
        f"{t + 130}|k1|support|A|CONNECT|30|k1b|5\n"  # rang 125-130, then the call
        f"{t + 200}|k1|support|A|COMPLETEAGENT|30|70|1\n"
        f"{t + 203}|NONE|support|B|RINGNOANSWER|4000\n"  # B, never seen before: a member
        f"{t + 198}|k2|support|NONE|ENTERQUEUE||+2|1\n"
        f"{t + 205}|k2|support|A|RINGCANCELED|9000\n"  # the caller gone; A free since 200
        f"{t + 205}|k2|support|NONE|ABANDON|1|1|7\n"
    )
    Follower(store, "c", str(log)).run(until_idle=True)
    with store.reader() as con:
        con.execute("SET TimeZone = 'UTC'")
        history = con.execute(
            "SELECT agent_id, state, reason, epoch(started_at)::INT - ? "
            "FROM live_agent_state_history ORDER BY agent_id, started_at, rowid",
            [t],
        ).fetchall()
        now = dict(con.execute("SELECT agent_id, state FROM live_agent_state").fetchall())
    assert history == [
        ("A", "available", None, 0),
        ("A", "ringing", None, 100),
        ("A", "available", None, 115),
        ("A", "ringing", None, 125),
        ("A", "on_call", None, 130),
        ("A", "available", None, 200),
        ("A", "ringing", None, 200),  # not before the state it interrupted began
        ("A", "available", None, 205),
        ("B", "ringing", None, 199),
        ("B", "available", None, 203),
    ]
    assert now == {"A": "available", "B": "available"}


CDR_MAPPING = """kind = "calls"
timezone = "Asia/Riyadh"
timestamp_formats = ["%d/%m/%Y %H:%M:%S"]
[source]
delimiter = ";"
[columns]
call_id = "ref"
arrived_at = "started"
outcome = "CASE result WHEN 'OK' THEN 'answered' WHEN 'LOST' THEN 'abandoned' END"
wait_s = "waited"
talk_s = "CASE WHEN result = 'OK' THEN talked END"
queue = "line"
"""
CDR_ROWS = [
    "ref;started;result;waited;talked;line",
    "c1;06/09/2026 08:00:05;OK;12;180;sales",
    "c2;06/09/2026 08:01:00;LOST;40;;sales",
    "c3;06/09/2026 08:02:30;OK;3;95;support",
    "c4;06/09/2026 08:03:00;OK;soon;60;support",  # a wait that is not a number
    "c5;06/09/2026 08:04:10;LOST;7;;support",
]


def test_a_follower_on_a_new_store_gives_each_table_its_table_of_inlined_deletions(store, tmp_path):
    """Without one, each round's first delete from a live table (a new store's) fails to
    find it and lists the whole catalogue (some 55 catalogue queries of a round's 320)."""
    (tmp_path / "queue_log").write_text("")
    Follower(store, "live", str(tmp_path / "queue_log")).close()
    meta = f"__ducklake_metadata_{store.alias}"
    with store.reader() as con:
        tables = con.execute(
            f"SELECT table_id FROM {meta}.ducklake_table WHERE end_snapshot IS NULL"
        ).fetchall()
        held = {
            r[0]
            for r in con.execute(
                "SELECT name FROM sqlite_scan(?, 'sqlite_master') WHERE type = 'table' "
                "AND name LIKE 'ducklake_inlined_delete_%'",
                [str(store.path.resolve())],
            ).fetchall()
        }
    assert tables and {f"ducklake_inlined_delete_{t}" for (t,) in tables} <= held


def test_a_csv_of_calls_followed_with_a_mapping_loads_what_a_batch_ingest_loads(store, tmp_path):
    mapping = tmp_path / "cdr.toml"
    mapping.write_text(CDR_MAPPING)
    cdr = tmp_path / "cdr.csv"
    cdr.write_text("\n".join(CDR_ROWS[:3]) + "\n" + CDR_ROWS[3][:9])  # c3's row half written
    follower = Follower(store, "live", str(cdr), "csv", mapping=str(mapping))
    follower.run(until_idle=True)
    assert [c[0] for c in calls_of(store, "live")] == ["c1", "c2"]
    with cdr.open("a") as f:
        f.write(CDR_ROWS[3][9:] + "\n" + "\n".join(CDR_ROWS[4:]) + "\n")
    follower.run(until_idle=True)
    follower.close()
    # restarted: resumes past the header (read again from the file) and after row 6
    with cdr.open("a") as f:
        f.write("c6;06/09/2026 08:05:00;OK;0;30;sales\n")
    again = Follower(store, "live", str(cdr), "csv", mapping=str(mapping))
    again.run(until_idle=True)
    again.close()
    ingest_file(store, "calls", cdr, "batch", mapping=mapping)
    live = calls_of(store, "live")
    assert [c[0] for c in live] == ["c1", "c2", "c3", "c5", "c6"]
    assert live == calls_of(store, "batch")
    with store.reader() as con:
        tz, rejects = con.execute(
            "SELECT c.timezone, (SELECT list(q.line) FROM quarantine q JOIN ingest_batches b "
            "USING (batch_id) WHERE b.centre_id = 'live') FROM centres c "
            "WHERE c.centre_id = 'live'"
        ).fetchone()
    assert tz == "Asia/Riyadh"  # the mapping's time zone for a centre the feed creates
    assert rejects == [5]  # c4's wait, under the followed file's own line
    assert health_of(store, "live")["events"] == 6


def test_a_mapping_is_refused_where_the_format_has_its_own_fields(tmp_path):
    from support.cli import cca_refuses

    mapping = tmp_path / "cdr.toml"
    mapping.write_text(CDR_MAPPING)
    cca_refuses("live", "follow", str(tmp_path / "queue_log"), "--centre", "c1", "--mapping",
                str(mapping), "--until-idle", db=tmp_path / "s.duckdb",
                says="a mapping does not apply to --format queue_log")  # fmt: skip
