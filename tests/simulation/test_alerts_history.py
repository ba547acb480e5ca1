"""Alerts on generated history with the seed packs' injected bad days.

bahrain_lmra's e-services portal outage (10 March: calls × 2.2, staffing as planned) and
saudi_mol's understaffed week (from 16 August: 80% of the planned agents). Late morning on
a bad day, `sl_projection` must warn while there is time to act — at least two hours
before closing — and the same hour on ordinary days must raise nothing. Each store is one
generated month (`cca generate`), shared by the tests of this module.
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest
from support.cli import generated_month, run_cca_json

from analytics.appstate import AppState
from analytics.calendars import BusinessCalendar
from analytics.centres import get_centre
from analytics.kpi import call_kpis
from analytics.periods import parse_period
from analytics.store import Store
from simulation.operations.alerts.evaluate import CentreEvaluator
from simulation.operations.alerts.state import rules_of
from simulation.operations.alerts.watcher import check, ensure_rules, replay

pytestmark = pytest.mark.slow  # two generated months (~15 s each); CI runs them


lmra_march = generated_month("bahrain_lmra", "2026-03", "session")


mol_august = generated_month("saudi_mol", "2026-08", "session")


def _sl_alerts(db: Path, centre: str, days, hour: str) -> dict[dt.date, list[dict]]:
    """The centre's example sl_projection rule at ``hour`` of each day (one reader, one
    evaluator: the recent weeks' profiles are shared between days)."""
    store, state = Store(db), AppState.beside(db)
    found = {}
    with store.reader() as con:
        settings = get_centre(con, centre)
        ensure_rules(state, [settings])
        [rule] = [r for r in rules_of(state, [centre]) if r.kind == "sl_projection"]
        evaluator = CentreEvaluator(con, settings)
        for day in days:
            moment = dt.datetime.fromisoformat(f"{day}T{hour}").replace(tzinfo=settings.tz)
            found[day] = evaluator.evaluate(rule, moment)
    return found


def _working_days(db: Path, centre: str, first: str, last: str) -> list[dt.date]:
    with Store(db).reader() as con:
        calendar = BusinessCalendar(get_centre(con, centre))
    day, end, out = dt.date.fromisoformat(first), dt.date.fromisoformat(last), []
    while day <= end:
        if calendar.is_working_day(day):
            out.append(day)
        day += dt.timedelta(days=1)
    return out


def test_bahrain_outage_day_is_flagged_late_morning_with_time_to_act(lmra_march):
    # the real command, with the seed centre's example rules loaded on first use
    alerts = run_cca_json(
        "alerts", "check", "--centre", "bahrain_lmra", "--as-of", "2026-03-10T11:00",
        db=lmra_march,
    )  # fmt: skip
    [sl] = [a for a in alerts if a["kind"] == "sl_projection"]
    assert sl["rule"] == "today-sl30" and sl["severity"] == "critical"
    assert sl["projected_sl"] < 0.5 <= 0.7 == sl["threshold"]
    assert sl["agents_short"] >= 1 and sl["calls_so_far"] > 200
    assert sl["volume_scale"] > 1.5  # the outage doubled the calls: the rest of the day too
    closing = dt.datetime.fromisoformat(sl["closing"])
    as_of = dt.datetime.fromisoformat(sl["as_of"])
    assert closing - as_of >= dt.timedelta(hours=2)
    assert sl["message"]["en"].startswith("bahrain_lmra: today will close at")
    assert "يُتوقع أن يُغلق اليوم" in sl["message"]["ar"]
    # the day did close below target: the warning was right
    with Store(lmra_march).reader() as con:
        centre = get_centre(con, "bahrain_lmra")
        [day] = call_kpis(con, centre, period=parse_period("2026-03-10"))
    assert day["sl_answered_30"] < 0.5


def test_bahrain_ordinary_days_raise_nothing_at_the_same_hour(lmra_march):
    # from the 15th on every weekday has two weeks or more of recent profile
    days = _working_days(lmra_march, "bahrain_lmra", "2026-03-15", "2026-03-31")
    assert len(days) >= 10
    found = _sl_alerts(lmra_march, "bahrain_lmra", days, "11:00")
    assert {d: a for d, a in found.items() if a} == {}


def test_bahrain_outage_replayed_fires_once_per_cooldown_hours_before_closing(lmra_march):
    state = AppState(lmra_march.with_name("replay.app.sqlite"))
    day = dt.date(2026, 3, 10)
    fired = replay(Store(lmra_march), state, "bahrain_lmra", day, day, step_minutes=30,
                   hours=(8, 15))  # fmt: skip
    sl = [a for _id, a in fired if a["kind"] == "sl_projection"]
    first = dt.datetime.fromisoformat(sl[0]["as_of"])
    closing = dt.datetime.fromisoformat(sl[0]["closing"])
    assert closing - first >= dt.timedelta(hours=4)
    # a 2 h cool-down: new alerts at least 2 h apart, unless a warning turned critical
    times = [dt.datetime.fromisoformat(a["as_of"]) for a in sl]
    for (a, b), alert in zip(itertools.pairwise(times), sl[1:], strict=True):
        assert b - a >= dt.timedelta(hours=2) or alert["severity"] == "critical"


def test_saudi_understaffed_week_is_flagged_and_ordinary_days_are_not(mol_august):
    bad = _working_days(mol_august, "saudi_mol", "2026-08-16", "2026-08-20")
    ordinary = _working_days(mol_august, "saudi_mol", "2026-08-23", "2026-08-31")
    found = _sl_alerts(mol_august, "saudi_mol", bad + ordinary, "11:00")
    for day in bad:
        [sl] = found[day]
        assert sl["projected_sl"] < 0.45 and sl["severity"] == "critical", (day, sl)
        closing = dt.datetime.fromisoformat(sl["closing"])
        assert closing - dt.datetime.fromisoformat(sl["as_of"]) >= dt.timedelta(hours=2)
        # staffing, not volume, is short: today's calls are as usual
        assert 0.8 < sl["volume_scale"] < 1.25
        assert sl["agents_short"] is None or sl["agents_short"] >= 3
    assert {d: found[d] for d in ordinary if found[d]} == {}


def test_saudi_crowded_riyadh_office_is_the_imbalanced_site(mol_august):
    alerts, _errors = check(
        Store(mol_august),
        AppState.beside(mol_august),
        ["saudi_mol"],
        dt.datetime(2026, 8, 24, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=3))),
    )
    sites = [a for a in alerts if a["kind"] == "site_imbalance"]
    assert [a["subject"] for a in sites] == ["riyadh"]
    assert sites[0]["value"] >= 3.0 and sites[0]["capacity"] == 7
