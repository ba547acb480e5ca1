"""The Asterisk queue log: one offered call per queue visit, agent sessions as staffing.

The sample ``data/samples/asterisk_queue_log_2024-09-01.log`` was written by hand; every
expected value below was worked out from its lines (times in UTC; T0 = 08:00:00 =
epoch 1725177600). Each test loads into a real DuckDB file.
"""

from __future__ import annotations

import datetime as dt
import shutil

from support.cli import ROOT, run_cca, run_cca_json
from support.kpi import stored_calls

from analytics.centres import get_centre
from analytics.ingest import ingest_file
from analytics.kpi import call_kpis, occupancy

SAMPLE = ROOT / "data" / "samples" / "asterisk_queue_log_2024-09-01.log"
T0 = 1725177600


def at(seconds_after_t0: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(T0 + seconds_after_t0, dt.UTC)


def stored(store, centre="bh"):
    return stored_calls(
        store,
        centre,
        "arrived_at, outcome, wait_s, answered_at, ended_at, talk_s, queue, agent_id, channel",
    )


# call id: (arrived, outcome, wait, answered, ended, talk, queue, agent)
EXPECTED = {
    # ENTERQUEUE 08:00:10, CONNECT after 12 s, COMPLETECALLER 12|180
    "1725177610.1@support": (10, "answered", 12, 22, 202, 180, "support", "PJSIP/alice"),
    # ABANDON 1|2|7
    "1725177630.2@support": (30, "abandoned", 7, None, 37, None, "support", None),
    # EXITWITHTIMEOUT out of sales, then a second, answered call offered to overflow
    "1725177640.3@sales": (40, "timeout", 60, None, 100, None, "sales", None),
    "1725177640.3@overflow": (100, "answered", 5, 105, 305, 200, "overflow", "PJSIP/bob"),
    # EXITWITHKEY 5|1|2|30: the caller took the queue's exit after 30 s
    "1725177650.4@support": (50, "timeout", 30, None, 80, None, "support", None),
    # EXITEMPTY 2|3|3: no agents left
    "1725177660.5@support": (60, "timeout", 3, None, 63, None, "support", None),
    # RINGNOANSWER on alice, then bob; BLINDTRANSFER ext|context|25|60|1
    "1725177670.6@support": (70, "answered", 25, 95, 155, 60, "support", "PJSIP/bob"),
    # ATTENDEDTRANSFER BRIDGE|id|4|300|1: wait and talk read from the end
    "1725177720.7@support": (120, "answered", 4, 124, 424, 300, "support", "PJSIP/alice"),
    # its COMPLETECALLER line comes before its CONNECT line in the file
    "1725177730.8@support": (130, "answered", 20, 150, 250, 100, "support", "PJSIP/carol"),
    # entered the queue before the file began: only COMPLETEAGENT 40|20 at 08:01:00,
    # so it arrived at 08:01:00 - 20 - 40 = 08:00:00 and was answered at 08:00:40
    "1725177540.9@support": (0, "answered", 40, 40, 60, 20, "support", "PJSIP/carol"),
    # old-style TRANSFER ext|context|10|90|1
    "1725178200.12@support": (600, "answered", 10, 610, 700, 90, "support", "PJSIP/alice"),
}


def test_every_queue_visit_of_the_sample_is_one_call_with_hand_computed_values(store):
    r = ingest_file(store, "calls", SAMPLE, "bh")
    assert r.format == "queue_log"
    got = stored(store)
    assert set(got) == set(EXPECTED)
    for call_id, (arr, outcome, wait, ans, end, talk, queue, agent) in EXPECTED.items():
        assert got[call_id] == (
            at(arr),
            outcome,
            float(wait),
            at(ans) if ans is not None else None,
            at(end),
            float(talk) if talk is not None else None,
            queue,
            agent,
            "phone",
        ), call_id


def test_open_calls_are_read_not_loaded_and_garbage_lines_are_quarantined_by_line(store):
    r = ingest_file(store, "calls", SAMPLE, "bh")
    # 13 queue visits (11 loaded, 1 with talk time 'abc', 1 still open) + 4 garbage lines
    assert (r.read, r.loaded, r.updated, r.duplicate, r.rejected, r.filtered) == (
        17,
        11,
        0,
        0,
        5,
        1,
    )
    with store.reader() as con:
        q = con.execute(
            "SELECT line, column_name, value, reason FROM quarantine WHERE batch_id = ? "
            "ORDER BY line",
            [r.batch_id],
        ).fetchall()
    assert [(line, column) for line, column, _v, _r in q] == [
        (39, "talk_s"),
        (40, None),
        (41, None),
        (42, None),
        (43, None),
    ]
    assert q[0][2] == "abc" and "not a number" in q[0][3]
    assert "1 field" in q[1][3]
    assert "yesterday is not a UNIX time" in q[2][3]
    assert "without a call id" in q[3][3]
    assert "not an event name" in q[4][3]
    assert any("1 queue visit(s) still open" in n for n in r.notes)
    assert any("out of time order" in n for n in r.notes)
    assert any("turned away" in n for n in r.notes)


def test_loading_the_same_queue_log_twice_adds_nothing(store):
    first = ingest_file(store, "calls", SAMPLE, "bh")
    again = ingest_file(store, "calls", SAMPLE, "bh")
    assert (again.loaded, again.updated, again.duplicate) == (0, 0, first.loaded)
    assert len(stored(store)) == 11
    with store.reader() as con:
        assert con.execute("SELECT count(*) FROM staffing").fetchall()[0][0] == 2


def test_a_call_open_at_rotation_loads_with_the_next_file(store, tmp_path):
    """The log rotates while call .10 talks: the second file brings its COMPLETECALLER."""
    nxt = tmp_path / "queue_log.1"
    nxt.write_text(
        f"{T0 + 1900}|1725179300.10|support|PJSIP/alice|COMPLETECALLER|10|190|1\n"
        f"{T0 + 1900}|NONE|support|PJSIP/alice|ADDMEMBER|\n"
    )
    ingest_file(store, "calls", SAMPLE, "bh")
    r = ingest_file(store, "calls", nxt, "bh", input_format="queue_log")
    assert (r.loaded, r.rejected, r.filtered) == (1, 0, 0)
    got = stored(store)["1725179300.10@support"]
    # arrived 1900 - 190 - 10 = 1700 s after T0, as its ENTERQUEUE in the first file said
    assert got[:6] == (at(1700), "answered", 10.0, at(1710), at(1900), 190.0)


def test_agent_sessions_become_staffing_and_occupancy_reports(store):
    """Hand-computed availability in the sample (file spans 08:00:00-08:30:00):

    alice member 08:00-08:30; bob member all along, paused 08:10-08:15; carol's first
    event removes her at 08:20, so she was in since 08:00; dan only pauses (08:05-08:06:40),
    so he is a static member, in all along.
      08:00-08:15: 900 + 600 + 900 + 800 = 3200 agent-seconds = 3.5556 agents
      08:15-08:30: 900 + 900 + 300 + 900 = 3000 agent-seconds = 3.3333 agents
    """
    ingest_file(store, "calls", SAMPLE, "bh")
    with store.reader() as con:
        con.execute("SET TimeZone = 'UTC'")
        rows = con.execute(
            "SELECT interval_start, interval_s, queue, site, agents_scheduled, agents_available "
            "FROM staffing WHERE centre_id = 'bh' ORDER BY 1"
        ).fetchall()
        assert [r[:5] for r in rows] == [
            (at(0), 900, "", "", None),
            (at(900), 900, "", "", None),
        ]
        assert abs(rows[0][5] - 3200 / 900) < 1e-9
        assert abs(rows[1][5] - 3000 / 900) < 1e-9
        occ = occupancy(con, get_centre(con, "bh"))[0]
    # talk of the answered calls: 180 + 200 + 60 + 300 + 100 + 20 + 90 = 950 s
    assert occ["handled_s"] == 950
    assert occ["staffed_s"] == 6200
    assert abs(occ["occupancy"] - 950 / 6200) < 1e-12


def test_call_kpis_of_the_sample(store):
    ingest_file(store, "calls", SAMPLE, "bh")
    with store.reader() as con:
        k = call_kpis(con, get_centre(con, "bh"), period=None, by=(), thresholds_s=(12, 30))[0]
    assert (k["offered"], k["answered"], k["abandoned"], k["timed_out"]) == (11, 7, 1, 3)
    # answered waits 12, 5, 25, 4, 20, 40, 10: within 12 s are 12, 5, 4, 10
    assert k["sl_answered_12"] == 4 / 7
    assert k["asa_s"] == round((12 + 5 + 25 + 4 + 20 + 40 + 10) / 7, 9)  # to the nanosecond


def test_cca_ingest_detects_a_queue_log_and_prints_its_notes(tmp_path):
    db = tmp_path / "cli.duckdb"
    copy = tmp_path / "queue_log"
    shutil.copy(SAMPLE, copy)
    out = run_cca_json("ingest", "calls", str(copy), "--centre", "bh", db=db)
    assert out[0]["format"] == "queue_log" and out[0]["loaded"] == 11
    proc = run_cca("ingest", "calls", str(copy), "--centre", "bh", db=db)
    assert "still open at the end of the file" in proc.stderr
    assert "staffing: 2 interval(s)" in proc.stderr


def test_a_queue_log_is_not_a_ticket_export(tmp_path):
    db = tmp_path / "cli.duckdb"
    proc = run_cca(
        "ingest",
        "tickets",
        str(SAMPLE),
        "--centre",
        "bh",
        "--format",
        "queue_log",
        db=db,
        check=False,
    )
    assert proc.returncode == 2
    assert "queue_log holds calls, not tickets" in proc.stderr


def test_invalid_utf8_lines_are_quarantined_and_later_lines_keep_their_numbers(store, tmp_path):
    log = tmp_path / "queue_log"
    log.write_bytes(
        f"{T0}|1.1|support|NONE|ENTERQUEUE||+1|1\n".encode()
        + f"{T0}|1.9|support|\xff\xfe|ENTERQUEUE||+1|1\n".encode("latin-1")
        + f"{T0 + 9}|1.1|support|Agent/Zoë|CONNECT|9|x|1\n".encode()
        + f"{T0 + 99}|1.1|support|Agent/Zoë|COMPLETEAGENT|9|oops|1\n".encode()
    )
    r = ingest_file(store, "calls", log, "bh", input_format="queue_log")
    assert (r.loaded, r.rejected) == (0, 2)
    with store.reader() as con:
        q = con.execute("SELECT line, column_name, reason FROM quarantine ORDER BY line").fetchall()
    assert q[0][0] == 2 and "not valid UTF-8" in q[0][2]
    assert q[1][:2] == (4, "talk_s")


def test_line_numbers_hold_in_a_large_log_read_in_parallel(store, tmp_path):
    """200,000 lines, read by DuckDB in parallel chunks: a blank line at 100,000 and a
    broken line near the end are still reported at their own line numbers."""
    log = tmp_path / "queue_log"
    lines = []
    for i in range(50_000):
        t = T0 + i
        lines += [
            f"{t}|{t}.{i}|support|NONE|ENTERQUEUE||+1|1",
            f"{t + 3}|{t}.{i}|support|agent|CONNECT|3|x|1",
            f"{t + 60}|{t}.{i}|support|agent|COMPLETECALLER|3|57|1",
            f"{t}|NONE|support|agent|RINGNOANSWER|1000",
        ]
    lines[99_999] = ""  # a RINGNOANSWER line left empty
    lines[199_998] = f"{T0 + 49_999 + 60}|{T0 + 49_999}.49999|support|agent|COMPLETECALLER|3|x|1"
    log.write_text("\n".join(lines) + "\n")
    r = ingest_file(store, "calls", log, "bh", input_format="queue_log")
    assert (r.loaded, r.rejected) == (49_999, 1)
    with store.reader() as con:
        assert con.execute("SELECT line, column_name, value FROM quarantine").fetchall() == [
            (199_999, "talk_s", "x")
        ]


def test_a_caller_back_in_the_same_queue_is_a_second_call(store, tmp_path):
    """Call .20 times out of support and queues there again (the same uniqueid): two
    offered calls, numbered by their closing events. Call .21 has two ENTERQUEUEs before
    its one closing event: one visit, whose arrival is the later entry."""
    log = tmp_path / "queue_log"
    log.write_text(
        f"{T0}|1725177600.20|support|NONE|ENTERQUEUE||+97317000020|1\n"
        f"{T0 + 5}|1725177605.21|support|NONE|ENTERQUEUE||+97317000021|1\n"
        f"{T0 + 30}|1725177600.20|support|NONE|EXITWITHTIMEOUT|1|1|30\n"
        f"{T0 + 35}|1725177600.20|support|NONE|ENTERQUEUE||+97317000020|1\n"
        f"{T0 + 40}|1725177600.20|support|PJSIP/alice|CONNECT|5|x|1\n"
        f"{T0 + 45}|1725177605.21|support|NONE|ENTERQUEUE||+97317000021|1\n"
        f"{T0 + 50}|1725177605.21|support|NONE|ABANDON|1|1|5\n"
        f"{T0 + 140}|1725177600.20|support|PJSIP/alice|COMPLETECALLER|5|100|1\n"
    )
    r = ingest_file(store, "calls", log, "bh", input_format="queue_log")
    assert (r.read, r.loaded, r.rejected, r.filtered) == (3, 3, 0, 0)
    assert any("1 ENTERQUEUE event(s) never closed" in n for n in r.notes)
    got = stored(store)
    assert got["1725177600.20@support"][:6] == (at(0), "timeout", 30.0, None, at(30), None)
    assert got["1725177600.20@support#2"][:6] == (
        at(35),
        "answered",
        5.0,
        at(40),
        at(140),
        100.0,
    )
    assert got["1725177605.21@support"][:6] == (at(45), "abandoned", 5.0, None, at(50), None)


def test_the_connect_line_supplies_a_missing_entry_and_agent(store, tmp_path):
    """Call .30 queued before the file began and its closing line names no agent: the
    arrival is CONNECT's time minus CONNECT's wait (100 - 15), the agent CONNECT's."""
    log = tmp_path / "queue_log"
    log.write_text(
        f"{T0 + 100}|1725177685.30|support|PJSIP/dave|CONNECT|15|x|2\n"
        f"{T0 + 200}|1725177685.30|support|NONE|COMPLETECALLER|15|100|1\n"
    )
    r = ingest_file(store, "calls", log, "bh", input_format="queue_log")
    assert (r.loaded, r.rejected, r.filtered) == (1, 0, 0)
    got = stored(store)["1725177685.30@support"]
    assert got == (
        at(85),
        "answered",
        15.0,
        at(100),
        at(200),
        100.0,
        "support",
        "PJSIP/dave",
        "phone",
    )
