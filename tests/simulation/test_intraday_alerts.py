"""`sl_projection` with the intraday projection, on the Bahrain pack's generated March.

At opening, before any call: the projection warns from the profile and a short staffing
table when 8 in 10 of its replications close below target (Erlang A waits for 20 calls).

10 March (the e-services portal outage: calls x 2.2, staffing as planned), evaluated every
15 minutes from 08:30 as a watcher would: the projection from the queue's state warns no
later than today's Erlang A rule, turns critical earlier, reports its lead time (minutes
to the point after which the day can no longer close at target), and the day did close
far below target.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from support.cli import generated_month

from analytics.centres import get_centre
from analytics.kpi import call_kpis
from analytics.periods import parse_period
from analytics.store import Store
from simulation.operations.alerts.evaluate import CentreEvaluator
from simulation.operations.alerts.rules import rule_from_dict

pytestmark = pytest.mark.slow  # a generated month and a morning of projections

RULE = {
    "name": "today-sl30",
    "kind": "sl_projection",
    "kpi": "sl_answered_30",
    "target": 0.7,
    "critical_below": 0.5,
    "cooldown": "2h",
}


march = generated_month("bahrain_lmra", "2026-03")


def _first(db: Path, method: str) -> dict:
    """First warning and first critical alert of ``method`` on 10 March from 08:30."""
    rule = rule_from_dict("bahrain_lmra", {**RULE, "method": method})
    out: dict = {}
    with Store(db).reader() as con:
        centre = get_centre(con, "bahrain_lmra")
        evaluator = CentreEvaluator(con, centre)
        t = dt.datetime(2026, 3, 10, 8, 30, tzinfo=centre.tz)
        while t.hour < 11 and "critical" not in out:
            for alert in evaluator.evaluate(rule, t):
                out.setdefault("warning", (t, alert))
                if alert["severity"] == "critical":
                    out["critical"] = (t, alert)
            t += dt.timedelta(minutes=15)
    return out


def test_the_projection_from_the_queue_warns_earlier_on_the_outage_day(march):
    erlang, simulated = _first(march, "erlang"), _first(march, "simulation")
    assert simulated["warning"][0] <= erlang["warning"][0]
    assert simulated["critical"][0] < erlang["critical"][0]
    alert = simulated["warning"][1]
    assert alert["method"] == "simulation"
    assert alert["projected_sl_p10"] <= alert["value"] <= alert["projected_sl_p90"]
    assert alert["lead_time_min"] > 60  # hours left to act, and it says so
    assert "It can still be saved until" in alert["message"]["en"]
    assert "ويمكن تداركه حتى الساعة" in alert["message"]["ar"]
    with Store(march).reader() as con:
        [day] = call_kpis(con, get_centre(con, "bahrain_lmra"), period=parse_period("2026-03-10"))
    assert day["sl_answered_30"] < 0.5  # the warnings were right


def _at_opening(db: Path, day: dt.date, method: str) -> list[dict]:
    rule = rule_from_dict("bahrain_lmra", {**RULE, "method": method})
    with Store(db).reader() as con:
        centre = get_centre(con, "bahrain_lmra")
        at = dt.datetime.combine(day, dt.time(9), tzinfo=centre.tz)  # Ramadan: 09:00-15:00
        return CentreEvaluator(con, centre).evaluate(rule, at)


def test_the_projection_warns_at_opening_when_the_staffing_table_is_short(march):
    """Before the rule's 20 calls the Erlang A rule cannot speak; the projection can, from
    the profile and the staffing table, when most of its replications (the profile's
    day-to-day error drawn in them) close below target: an ordinary Monday of Ramadan opens
    quietly, the same Monday with 40% of its agents missing from the table (the June
    week's incident) warns at opening."""
    day = dt.date(2026, 3, 16)
    assert _at_opening(march, day, "simulation") == []  # an ordinary morning: no alarm
    with Store(march).writer() as con:
        con.execute(
            "UPDATE staffing SET agents_available = round(agents_available * 0.6) "
            "WHERE centre_id = 'bahrain_lmra' AND CAST(interval_start AS DATE) = ?",
            [day],
        )
    assert _at_opening(march, day, "erlang") == []  # no calls yet: nothing to go on
    [alert] = _at_opening(march, day, "simulation")
    assert alert["early"] and alert["calls_so_far"] == 0
    assert alert["share_below_target"] >= 0.8
    assert alert["projected_sl"] < 0.7 and alert["lead_time_min"] > 60
