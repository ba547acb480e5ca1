"""`cca live simulate`: the SimPy model in real time writes the queue_log an Asterisk would.

The run is real (SimPy's real-time environment) at a speed at which an hour of the
centre takes a fraction of a second; its log is then read by the batch queue_log reader
and by hand.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from collections import Counter

from support.cli import run_cca

from analytics.ingest import ingest_file
from simulation.live import run_live
from simulation.queue.scenario_file import load_scenario


def test_an_hour_in_real_time_takes_an_hour_divided_by_the_speed(tmp_path):
    log = tmp_path / "queue_log"
    started = time.monotonic()
    run_live("bahrain_lmra", log, speed=7200, seed=1, start="2026-09-06T09:00:00", hours=1)
    took = time.monotonic() - started
    assert took >= 0.5  # 3600 s / 7200: the clock is real, not as fast as it can go
    epochs = [int(line.split("|")[0]) for line in log.read_text().splitlines()]
    assert max(epochs) - min(epochs) <= 3600
    assert epochs == sorted(epochs)  # written as they happen


def test_the_log_has_agents_breaks_wrap_up_and_every_call_closed_or_waiting(store, tmp_path):
    log = tmp_path / "queue_log"
    run_live("bahrain_lmra", log, speed=1e7, seed=2, start="2026-09-06T07:00:00", hours=10)
    lines = [line.split("|") for line in log.read_text().splitlines()]
    events = Counter(f[4] for f in lines)
    assert events["ADDMEMBER"] > 5 and events["REMOVEMEMBER"] > 0
    reasons = Counter(f[5] for f in lines if f[4] == "PAUSE")
    assert reasons["break"] > 0 and reasons["wrap-up"] > 0
    assert events["PAUSE"] == events["UNPAUSE"] or events["PAUSE"] - events["UNPAUSE"] < 10
    closed = sum(events[e] for e in ("COMPLETECALLER", "COMPLETEAGENT", "ABANDON",
                                     "EXITWITHTIMEOUT"))  # fmt: skip
    # the centre closes at 17:00: everyone who entered is answered, hung up or let go
    assert closed == events["ENTERQUEUE"] > 300
    r = ingest_file(store, "calls", log, "bh", input_format="queue_log")
    assert r.loaded == events["ENTERQUEUE"] and r.rejected == 0


def test_a_closed_centre_is_simulated_from_its_next_opening(tmp_path):
    log = tmp_path / "queue_log"
    # Friday: bahrain_lmra's weekend; Sunday 07:00 is its next opening
    run_cca("live", "simulate", "--scenario", "bahrain_lmra", "--speed", "1e7", "--queue-log",
            str(log), "--start", "2026-09-04T12:00:00", "--hours", "0.5")  # fmt: skip
    lines = [line.split("|") for line in log.read_text().splitlines()]
    first = next(int(f[0]) for f in lines if f[4] == "ADDMEMBER")
    assert first == 1788667200  # 2026-09-06 07:00 in Asia/Bahrain (UTC+3)


def _stamps(log):
    text = log.read_text() if log.exists() else ""
    return [int(line.split("|")[0]) for line in text.splitlines() if line]


def test_the_day_so_far_at_once_then_real_time_and_never_an_event_after_now(tmp_path):
    """The wall clock is real, shifted so that "now" is 10:00 of an open Sunday; the day's
    volume is scaled up so that calls arrive within the few real seconds of the test."""
    base = load_scenario("bahrain_lmra")
    busy = base.with_changes(volume=dataclasses.replace(base.volume, scale=150.0))
    now_then = dt.datetime(2026, 9, 6, 10, 0, tzinfo=busy.tz).timestamp()
    shift = now_then - time.time()

    def clock():
        return time.time() + shift

    log = tmp_path / "queue_log"
    notes: list[str] = []
    run = threading.Thread(
        target=run_live,
        args=(busy, log),
        kwargs={"seed": 4, "start": "2026-09-06T09:55:00", "hours": (300 + 3) / 3600,
                "clock": clock, "notes": notes.append},
    )  # fmt: skip
    started = time.monotonic()
    run.start()
    seen_late = []
    while run.is_alive():
        before = clock()
        stamps = _stamps(log)
        # every line in the file was written when the clock had reached its stamp
        assert not stamps or max(stamps) <= before, (max(stamps), before)
        seen_late.append(max(stamps, default=0))
        time.sleep(0.05)
    took = time.monotonic() - started
    stamps = _stamps(log)
    assert stamps == sorted(stamps)
    # 09:55 to 10:00 caught up at once, then about 3 s of real time, not at once
    assert min(stamps) <= now_then - 300 + 60
    assert 2.5 <= took < 10
    in_real_time = [s for s in stamps if s >= now_then]
    assert len(in_real_time) >= 2 and max(stamps) <= now_then + took + 1
    assert max(seen_late) > now_then - 60  # the catch-up was there while it ran
    assert notes == []


def test_a_log_run_again_goes_on_after_its_last_event_closing_what_was_left_open(tmp_path):
    log = tmp_path / "queue_log"
    run_live("bahrain_lmra", log, speed=1e7, seed=5, start="2026-09-06T09:00:00", hours=1)
    first_run = log.read_text().splitlines()
    last = int(first_run[-1].split("|")[0])
    notes: list[str] = []
    run_live("bahrain_lmra", log, speed=1e7, seed=6, start="2026-09-06T09:00:00", hours=0.5,
             notes=notes.append)  # fmt: skip
    lines = [line.split("|") for line in log.read_text().splitlines()]
    stamps = [int(f[0]) for f in lines]
    assert stamps == sorted(stamps) and len(lines) > len(first_run)
    assert "goes on from its last event" in notes[0]
    # the batch reader sees every call of both runs closed, every member removed once
    members: Counter = Counter()
    for f in lines[: len(first_run)]:
        if f[4] in ("ADDMEMBER", "REMOVEMEMBER"):
            members[(f[3], f[2])] += 1 if f[4] == "ADDMEMBER" else -1
    on_shift = {k for k, n in members.items() if n > 0}
    second = lines[len(first_run) :]
    assert int(second[0][0]) == last and on_shift
    removed = {(f[3], f[2]) for f in second if f[4] == "REMOVEMEMBER" and int(f[0]) == last}
    assert removed == on_shift
    ids = [f[1] for f in lines if f[4] == "ENTERQUEUE"]
    assert len(ids) == len(set(ids))  # the second run numbers its callers on
    entered = {f[1] for f in lines[: len(first_run)] if f[4] == "ENTERQUEUE"}
    closers = ("COMPLETECALLER", "COMPLETEAGENT", "ABANDON", "EXITWITHTIMEOUT")
    closed = {f[1] for f in lines if f[4] in closers}
    assert entered <= closed
