"""`cca live simulate`: the SimPy model in real time writes the queue_log an Asterisk would.

The run is real (SimPy's real-time environment) at a speed at which an hour of the
centre takes a fraction of a second; its log is then read by the batch queue_log reader
and by hand.
"""

from __future__ import annotations

import time
from collections import Counter

from support.cli import run_cca

from analytics.ingest import ingest_file
from simulation.live import run_live


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
    first = int(log.read_text().splitlines()[0].split("|")[0])
    assert first == 1788667200  # 2026-09-06 07:00 in Asia/Bahrain (UTC+3)
