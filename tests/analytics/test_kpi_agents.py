"""Agents against a hand-built roster and state log: adherence, shrinkage, occupancy.

Monday 2026-09-07, a centre in UTC, grace 5 minutes. Agent A is rostered 08:00-12:00
with a break 10:00-10:15 (team t1); the queue_log has A logging in at 08:03, answering
one call 09:00:10-09:05:10, breaking 10:10-10:25 and logging off at 12:00. Agent B is
rostered 08:00-09:00 (team t2) and never logs in. Every expected figure is worked out
in the comments.
"""

from __future__ import annotations

import datetime as dt

import pytest

from analytics.centres import get_centre
from analytics.kpi.agents import adherence_intervals, agent_kpis, measured_shrinkage, read_roster
from analytics.live.follower import Follower
from analytics.periods import parse_period

DAY = dt.datetime(2026, 9, 7, tzinfo=dt.UTC)
NOW = DAY + dt.timedelta(days=1)


def at(hh: int, mm: int, ss: int = 0) -> int:
    return int((DAY + dt.timedelta(hours=hh, minutes=mm, seconds=ss)).timestamp())


@pytest.fixture
def day(store, tmp_path):
    log = tmp_path / "queue_log"
    log.write_text(
        f"{at(8, 3)}|NONE|support|A|ADDMEMBER|\n"
        f"{at(9, 0)}|k1|support|NONE|ENTERQUEUE||+1|1\n"
        f"{at(9, 0, 10)}|k1|support|A|CONNECT|10|x|1\n"
        f"{at(9, 5, 10)}|k1|support|A|COMPLETECALLER|10|300|1\n"
        f"{at(10, 10)}|NONE|support|A|PAUSE|break\n"
        f"{at(10, 25)}|NONE|support|A|UNPAUSE|\n"
        f"{at(12, 0)}|NONE|support|A|REMOVEMEMBER|\n"
    )
    Follower(store, "c", str(log)).run(until_idle=True)
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "agent_id,start,end,activity,team\n"
        "A,2026-09-07 08:00,2026-09-07 12:00,work,t1\n"
        "A,2026-09-07 10:00,2026-09-07 10:15,break,t1\n"
        "B,2026-09-07 08:00,2026-09-07 09:00,work,t2\n"
    )
    with store.reader() as con:
        centre = get_centre(con, "c")
        yield con, centre, read_roster(roster, centre)


def test_adherence_per_interval_forgives_the_grace_period_and_counts_the_rest(day):
    con, centre, roster = day
    rows = adherence_intervals(con, centre, parse_period("2026-09-07"), roster, now=NOW)
    a = {r["interval_start"].strftime("%H:%M"): r for r in rows if r["agent_id"] == "A"}
    assert len(a) == 16
    # 08:00: logged out until 08:03, within the 5 minutes' grace of the shift's start
    assert a["08:00"]["in_adherence"] and a["08:00"]["adherent_s"] == 900
    assert a["08:00"]["shrinkage"] == pytest.approx(180 / 900)
    # 10:00: the break began at 10:00, A went at 10:10: 10:05-10:10 out of adherence
    assert not a["10:00"]["in_adherence"] and a["10:00"]["adherent_s"] == 600
    assert a["10:00"]["planned_shrinkage"] == 1.0
    assert a["10:00"]["shrinkage"] == pytest.approx(300 / 900)
    assert a["10:00"]["unplanned_shrinkage"] == pytest.approx(300 / 900 - 1)
    # 10:15: back to work at 10:15, A came back at 10:25: 10:20-10:25 out
    assert not a["10:15"]["in_adherence"] and a["10:15"]["adherent_s"] == 600
    assert a["10:15"]["shrinkage"] == pytest.approx(600 / 900)
    assert sum(r["in_adherence"] for r in a.values()) == 14
    b = [r for r in rows if r["agent_id"] == "B"]
    assert [r["adherent_s"] for r in b] == [300, 0, 0, 0]  # only the grace


def test_agent_figures_adherence_and_shrinkage_over_the_day(day):
    con, centre, roster = day
    rows = {r["agent_id"]: r for r in agent_kpis(con, centre, parse_period("2026-09-07"),
                                                 roster=roster, now=NOW)}  # fmt: skip
    a = rows["A"]
    assert a["answered"] == 1 and a["aht_s"] == 300.0
    assert a["logged_in_s"] == 14220  # 08:03-12:00
    assert a["paused_s"] == 900 and a["paused_s_break"] == 900
    assert a["productive_s"] == 13320  # logged in, not paused
    # the call's 300 s and the second its phone rang before (the CONNECT's ring time, 1)
    assert a["handling_s"] == 301 and a["occupancy"] == pytest.approx(301 / 13320)
    assert a["scheduled_s"] == 14400
    assert a["adherence"] == pytest.approx(13800 / 14400)
    assert (a["intervals_in_adherence"], a["intervals_scheduled"]) == (14, 16)
    assert a["shrinkage"] == pytest.approx(1080 / 14400)
    assert a["planned_shrinkage"] == pytest.approx(900 / 14400)
    assert a["unplanned_shrinkage"] == pytest.approx(180 / 14400)
    assert rows["B"]["adherence"] == pytest.approx(300 / 3600) and rows["B"]["answered"] == 0
    teams = {r["team"]: r for r in agent_kpis(con, centre, parse_period("2026-09-07"),
                                              by="team", roster=roster, now=NOW)}  # fmt: skip
    assert teams["t1"]["adherence"] == a["adherence"] and teams["t2"]["logged_in_s"] == 0
    total = measured_shrinkage(con, centre, parse_period("2026-09-07"), roster, now=NOW)
    assert total["shrinkage"] == pytest.approx((1080 + 3600) / 18000)
    assert total["planned_shrinkage"] == pytest.approx(900 / 18000)


def test_cca_kpi_agents_prints_the_same_figures(day, store, tmp_path):
    from support.cli import run_cca_json

    rows = run_cca_json("kpi", "agents", "--centre", "c", "--period", "2026-09-07",
                        "--roster", str(tmp_path / "roster.csv"), db=store.path)  # fmt: skip
    a = next(r for r in rows if r["agent_id"] == "A")
    assert a["answered"] == 1 and a["adherence"] == pytest.approx(13800 / 14400)
    per = run_cca_json("kpi", "agents", "--centre", "c", "--period", "2026-09-07", "--roster",
                       str(tmp_path / "roster.csv"), "--interval", "60min", "--by", "team",
                       db=store.path)  # fmt: skip
    t1 = [r for r in per if r["team"] == "t1"]
    assert len(t1) == 4 and sum(r["scheduled_s"] for r in t1) == 14400
    # a saved `cca roster` result (SAVED_ROSTER, below) instead of a roster CSV
    (tmp_path / "saved.csv").write_text(SAVED_ROSTER)
    rows = run_cca_json("kpi", "agents", "--centre", "c", "--period", "2026-09-07",
                        "--roster", str(tmp_path / "saved.csv"), db=store.path)  # fmt: skip
    a = next(r for r in rows if r["agent_id"] == "A")
    assert a["adherence"] == pytest.approx(13800 / 14400)
    assert any(r["agent_id"] == UNFILLED and r["logged_in_s"] == 0 for r in rows)


# The same day rostered by `cca roster` (its --format csv rows; hand-written): one seat of
# 4 hours from 08:00 with a 15-minute break at 10:00, one seat of an hour from 08:00. A's
# log-in (08:03-12:00) fits the first seat (cost 180 s) far better than the second
# (180 s + 2 h); nobody else logged in, so the hour seat is unfilled, as B was.
SAVED_ROSTER = (
    "shift,start,break_start,agents,end\n"
    "4h:15m-break,2026-09-07T08:00:00+00:00,2026-09-07T10:00:00+00:00,1,2026-09-07T12:00:00+00:00\n"
    "1h,2026-09-07T08:00:00+00:00,,1,2026-09-07T09:00:00+00:00\n"
)
UNFILLED = "unfilled 1h Mon 2026-09-07 08:00 #1"


def test_a_saved_cca_roster_result_gives_its_seats_to_the_agents_who_worked_them(day, tmp_path):
    import csv
    import io
    import json

    from analytics.kpi.agents import RosterError

    con, centre, by_hand = day
    period = parse_period("2026-09-07")
    rows = [
        {**r, "agents": int(r["agents"]), "break_start": r["break_start"] or None}
        for r in csv.DictReader(io.StringIO(SAVED_ROSTER))
    ]
    forms = {
        "csv": SAVED_ROSTER,
        "json": json.dumps({"shifts": rows, "summary": {"paid_hours": 5.0}}),
    }
    for form, text in forms.items():
        path = tmp_path / f"saved.{form}"
        path.write_text(text)
        roster = read_roster(path, centre, con)
        rows = {r["agent_id"]: r for r in agent_kpis(con, centre, period, roster=roster, now=NOW)}
        assert set(rows) == {"A", UNFILLED}, form
        a = rows["A"]  # the very figures of the hand-made roster
        assert a["scheduled_s"] == 14400 and a["adherence"] == pytest.approx(13800 / 14400)
        assert (a["intervals_in_adherence"], a["intervals_scheduled"]) == (14, 16)
        assert a["planned_shrinkage"] == pytest.approx(900 / 14400)
        assert a["unplanned_shrinkage"] == pytest.approx(180 / 14400)
        assert rows[UNFILLED]["adherence"] == pytest.approx(300 / 3600)  # only the grace
        total = measured_shrinkage(con, centre, period, roster, now=NOW)
        assert total == measured_shrinkage(con, centre, period, by_hand, now=NOW)
    bad = tmp_path / "bad.csv"
    bad.write_text(SAVED_ROSTER.replace("1,2026-09-07T09", "one,2026-09-07T09"))
    with pytest.raises(RosterError, match=r"bad\.csv line 3, column agents: 'one'"):
        read_roster(bad, centre, con)
