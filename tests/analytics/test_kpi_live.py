"""Live KPIs against a hand-written queue_log: what a wallboard shows, worked out by hand.

T0 = 2026-09-06 08:00:00 UTC (epoch 1788681600). Three agents, one on a break; four
callers: one answered (waited 4 s, talked 60 s), one abandoned after 20 s, two still
waiting (since T0+100 and T0+130). "Now" is pinned at T0+140.
"""

from __future__ import annotations

import datetime as dt

from analytics.centres import get_centre
from analytics.kpi.live import feed_health, live_state, running_kpis
from analytics.live.follower import Follower

T0 = 1788681600
NOW = dt.datetime.fromtimestamp(T0 + 140, dt.UTC)
LOG = f"""{T0}|NONE|support|PJSIP/a|ADDMEMBER|
{T0}|NONE|support|PJSIP/b|ADDMEMBER|
{T0}|NONE|sales|PJSIP/c|ADDMEMBER|
{T0 + 1}|NONE|sales|PJSIP/c|PAUSE|lunch
{T0 + 10}|k1|support|NONE|ENTERQUEUE||+1|1
{T0 + 14}|k1|support|PJSIP/a|CONNECT|4|x|1
{T0 + 30}|k2|support|NONE|ENTERQUEUE||+2|1
{T0 + 50}|k2|support|NONE|ABANDON|1|1|20
{T0 + 74}|k1|support|PJSIP/a|COMPLETEAGENT|4|60|1
{T0 + 74}|NONE|NONE|PJSIP/a|PAUSE|ACW
{T0 + 100}|k3|support|NONE|ENTERQUEUE||+3|1
{T0 + 130}|k4|sales|NONE|ENTERQUEUE||+4|1
"""


def followed(store, tmp_path):
    log = tmp_path / "queue_log"
    log.write_text(LOG)
    Follower(store, "c", str(log)).run(until_idle=True)


def test_calls_waiting_oldest_wait_and_agents_by_state_now(store, tmp_path):
    followed(store, tmp_path)
    with store.reader() as con:
        centre = get_centre(con, "c")
        state = live_state(con, centre, now=NOW)
        support = live_state(con, centre, now=NOW, queues=["support"])
    assert state["calls_waiting"] == 2
    assert state["oldest_wait_s"] == 40.0  # k3 since T0+100
    assert state["agents_logged_in"] == 3
    assert state["agents_available"] == 1  # b
    assert state["agents_wrap_up"] == 1  # a: a pause with reason ACW is wrap-up
    assert state["agents_on_call"] == 0
    assert state["agents_paused"] == 1 and state["agents_paused_by_reason"] == {"lunch": 1}
    assert support["calls_waiting"] == 1 and support["agents_logged_in"] == 2


def test_running_kpis_count_the_calls_that_ended_today_and_in_the_last_30_minutes(store, tmp_path):
    followed(store, tmp_path)
    with store.reader() as con:
        centre = get_centre(con, "c")
        today = running_kpis(con, centre, now=NOW)
        window = running_kpis(con, centre, now=NOW, window_s=1800)
        later = running_kpis(con, centre, now=NOW + dt.timedelta(minutes=31), window_s=1800)
    for k in (today, window):
        assert (k["offered"], k["answered"], k["abandoned"]) == (2, 1, 1)
        assert k["asa_s"] == 4.0 and k["aht_s"] == 60.0
        assert k["sl_offered_12"] == 0.5  # 1 answered within 12 s of 2 offered
    assert later["offered"] == 0 and later["asa_s"] is None


def test_a_feed_silent_while_the_centre_is_open_is_stale(store, tmp_path):
    followed(store, tmp_path)
    with store.reader() as con:
        centre = get_centre(con, "c")  # default calendar: open Sunday-Thursday 08:00-17:00?
        feeds_now = feed_health(con, centre)
        read_at = feeds_now[0]["last_read_at"]
        late = feed_health(con, centre, wall=read_at + dt.timedelta(minutes=10))
    assert feeds_now[0]["stale"] is False and feeds_now[0]["events"] == 12
    from analytics.kpi.live import is_open

    assert late[0]["stale"] is is_open(centre, read_at + dt.timedelta(minutes=10))


def test_a_silent_feed_raises_a_feed_stale_alert_while_the_centre_is_open(store, tmp_path):
    from simulation.operations.alerts.evaluate import evaluate_rules
    from simulation.operations.alerts.rules import rule_from_dict

    followed(store, tmp_path)
    rule = rule_from_dict(
        "c",
        {
            "name": "silent",
            "kind": "feed_stale",
            "silent_minutes": 2,
            "critical_minutes": 10,
            "cooldown": "30m",
        },  # fmt: skip
    )
    with store.reader() as con:
        centre = get_centre(con, "c")
        read_at = feed_health(con, centre)[0]["last_read_at"]
        days = (7 - read_at.weekday()) % 7 or 7
        monday = (read_at + dt.timedelta(days=days)).replace(hour=10, minute=0)
        alerts, errors = evaluate_rules(con, centre, [rule], monday)
        quiet, _ = evaluate_rules(con, centre, [rule], read_at + dt.timedelta(seconds=60))
        weekend, _ = evaluate_rules(con, centre, [rule], monday + dt.timedelta(days=5))
    assert errors == {}
    assert [a["kind"] for a in alerts] == ["feed_stale"]
    assert alerts[0]["severity"] == "critical"
    # silent from the read until next Monday 10:00: the count depends on today's date, and
    # so does its Arabic plural form (دقائق for 3-10 and n % 100 in 3-10, else دقيقة)
    minutes = int((monday - read_at).total_seconds() // 60)
    word = "دقائق" if 3 <= minutes % 100 <= 10 else "دقيقة"
    assert f"{minutes:,} {word}" in alerts[0]["message"]["ar"], (minutes, alerts[0]["message"])
    assert quiet == [] and weekend == []
