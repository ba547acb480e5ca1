"""Rosters: shifts with breaks that cover a staffing plan at the least paid hours.

Every roster is checked without trusting the solver: its shifts and breaks are expanded
interval by interval here and held against the plan. A case small enough to solve by
hand has its known optimum; breaks never leave more than five hours unbroken.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from support.cli import run_cca

from simulation.planning.rostering import (
    ShiftTemplate,
    parse_shifts,
    parse_tours,
    parse_window,
    roster,
)

HALF_HOUR = 1800


def day_starts(days: int = 1, first: dt.date = dt.date(2026, 10, 4)) -> list[dt.datetime]:
    midnight = dt.datetime(first.year, first.month, first.day)
    return [midnight + dt.timedelta(minutes=30 * k) for k in range(48 * days)]


def expand(rows: list[dict], starts: list[dt.datetime]) -> np.ndarray:
    """Agents on the phones per interval, from the printed rows alone: at work from
    ``start`` for the template's length, away for its break from ``break_start``."""
    on = np.zeros(len(starts), dtype=int)
    for r in rows:
        t = parse_shifts(r["shift"])[0]
        shift_end = r["start"] + dt.timedelta(seconds=t.length_s)
        for k, s in enumerate(starts):
            working = r["start"] <= s < shift_end
            if r["break_start"] is not None:
                working &= not (
                    r["break_start"] <= s < r["break_start"] + dt.timedelta(seconds=t.break_s)
                )
            on[k] += r["agents"] * working
    return on


def need_from(hours: dict[tuple[str, str], int], days: int = 1) -> list[int]:
    starts = day_starts(days)
    need = [0] * len(starts)
    for (lo, hi), agents in hours.items():
        for k, s in enumerate(starts):
            if lo <= s.strftime("%H:%M") < hi:
                need[k] = agents
    return need


def test_templates_windows_and_tours_are_read_with_units():
    assert parse_shifts("8h:1h-break, 6h:30m-break") == (
        ShiftTemplate(8 * 3600, 3600),
        ShiftTemplate(6 * 3600, 1800),
    )
    assert parse_shifts("4h,90min") == (ShiftTemplate(14400), ShiftTemplate(5400))
    assert parse_window("2h-5h") == (7200, 18000)
    assert parse_tours("5x2") == (5, 2)
    with pytest.raises(ValueError, match="8h:1h-break"):
        parse_shifts("8h:1h")
    with pytest.raises(ValueError, match="5x2"):
        parse_tours("5x3")
    with pytest.raises(ValueError, match="shorter than the shift"):
        parse_shifts("1h:2h-break")


def test_a_hand_solvable_day_has_its_known_optimum():
    """One agent 08:00–14:00 with 6h:30m-break and 4h shifts. One 6-hour shift leaves its
    break uncovered, one 4-hour shift is too short: two shifts are needed, and two 4-hour
    shifts (08:00–12:00, then one starting 10:00–12:00) pay 8 hours, the least. With at
    most half the shifts part-time (4 h), 6 h + 4 h = 10 hours."""
    starts = day_starts()
    need = need_from({("08:00", "14:00"): 1})
    shifts = parse_shifts("6h:30m-break,4h")
    r = roster(need, HALF_HOUR, shifts, starts=starts)
    assert r.paid_hours == 8 and r.gap == pytest.approx(0, abs=1e-9) and not r.uncovered
    assert [row["shift"] for row in r.rows()] == ["4h", "4h"]
    assert r.rows()[0]["start"] == dt.datetime(2026, 10, 4, 8, 0)
    assert (expand(r.rows(), starts) >= need).all()
    capped = roster(need, HALF_HOUR, shifts, starts=starts, max_part_time=0.5)
    assert capped.paid_hours == 10
    assert sorted(row["shift"] for row in capped.rows()) == ["4h", "6h:30m-break"]
    assert (expand(capped.rows(), starts) >= need).all()
    # an 8-hour need of one agent with 8h:1h-break only: two shifts, 16 paid hours, and
    # 2 × 7 hours on the phones for 8 needed: 75% over-coverage, whatever the starts
    need8 = need_from({("08:00", "16:00"): 1})
    r8 = roster(need8, HALF_HOUR, parse_shifts("8h:1h-break"), starts=starts)
    assert r8.paid_hours == 16 and r8.over_coverage == pytest.approx(0.75)


def test_coverage_expanded_from_the_rows_meets_the_plan_interval_by_interval():
    rng = np.random.default_rng(4)
    starts = day_starts(3)
    base = np.array(need_from({("07:00", "22:00"): 1}, days=3))
    need = (base * rng.integers(2, 14, len(base))).tolist()
    r = roster(need, HALF_HOUR, parse_shifts("8h:1h-break,6h:30m-break"), starts=starts)
    on = expand(r.rows(), starts)
    assert (on >= need).all() and not r.uncovered
    assert on.tolist() == r.coverage.tolist()
    assert r.over_coverage == pytest.approx((on - need).sum() / sum(need))
    paid = sum(row["agents"] * parse_shifts(row["shift"])[0].length_s for row in r.rows())
    assert r.paid_hours == pytest.approx(paid / 3600)
    assert r.paid_hours >= r.need_hours


def test_breaks_never_leave_more_than_five_hours_unbroken():
    starts = day_starts(2)
    need = (np.array(need_from({("06:00", "23:30"): 1}, days=2)) * 9).tolist()
    for window in ((0, 8 * 3600), (2 * 3600, 5 * 3600)):
        r = roster(
            need,
            HALF_HOUR,
            parse_shifts("9h:1h-break,8h:30m-break,6h:30m-break"),
            starts=starts,
            break_window_s=window,
        )
        assert r.shifts
        for row in r.rows():
            t = parse_shifts(row["shift"])[0]
            before = row["break_start"] - row["start"]
            after = (
                row["start"]
                + dt.timedelta(seconds=t.length_s)
                - (row["break_start"] + dt.timedelta(seconds=t.break_s))
            )
            assert before <= dt.timedelta(hours=5) and after <= dt.timedelta(hours=5)
            assert dt.timedelta(seconds=window[0]) <= before <= dt.timedelta(seconds=window[1])
    with pytest.raises(ValueError, match="12h:30m-break"):
        roster(need, HALF_HOUR, parse_shifts("12h:30m-break"), starts=starts)


def test_intervals_no_shift_can_reach_are_named_not_a_failure():
    starts = day_starts()
    need = need_from({("03:00", "03:30"): 2, ("09:00", "15:00"): 3})
    r = roster(
        need,
        HALF_HOUR,
        parse_shifts("6h:30m-break"),
        starts=starts,
        start_window_s=(7 * 3600, 15 * 3600),
    )
    assert r.uncovered == (6,)
    assert r.summary()["uncovered_intervals"] == ["2026-10-04T03:00:00"]
    assert (r.coverage[np.array(need) > 0][1:] >= 3).all()


def test_weekly_tours_work_five_days_with_two_consecutive_days_off_at_one_start():
    starts = day_starts(7)
    need = need_from({("08:00", "16:00"): 4}, days=7)
    # the week's tours solve in a few seconds; the 60 s limit spares a loaded machine
    r = roster(
        need, HALF_HOUR, parse_shifts("8h:1h-break"), starts=starts, tours=(5, 2), time_limit_s=60
    )
    on = expand(r.rows(), starts)
    assert (on >= need).all() and not r.uncovered
    # every person works five of the seven days
    assert sum(row["agents"] for row in r.rows()) == 5 * r.headcount
    for days_off, start, _template, _agents in r.tours:
        off = {(days_off + k) % 7 for k in range(2)}
        for day in set(range(7)) - off:  # on each working day someone starts then
            assert any(
                row["start"] == starts[day * 48 + start] and row["agents"] >= 1 for row in r.rows()
            )
    # seven days of 4 agents, 1 hour of break each: at least 4 × 7 × 8 / 5 × ... people
    assert r.headcount >= int(np.ceil(4 * 7 / 5))


def test_ramadan_days_use_the_ramadan_templates():
    first = dt.date(2026, 2, 16)  # Ramadan 1447 starts on 2026-02-18
    starts = day_starts(4, first)
    need = need_from({("09:00", "15:00"): 2}, days=4)
    r = roster(
        need,
        HALF_HOUR,
        parse_shifts("8h:1h-break"),
        starts=starts,
        ramadan_shifts=parse_shifts("6h:30m-break"),
    )
    by_day = {(row["start"].date(), row["shift"]) for row in r.rows()}
    assert {s for d, s in by_day if d >= dt.date(2026, 2, 18)} == {"6h:30m-break"}
    assert {s for d, s in by_day if d < dt.date(2026, 2, 18)} == {"8h:1h-break"}
    assert (expand(r.rows(), starts) >= need).all()


def test_cca_roster_reads_a_staff_plan_and_prints_rows_and_a_summary(tmp_path):
    plan = tmp_path / "plan.csv"
    starts = day_starts(2)
    need = need_from({("08:00", "17:00"): 5, ("10:00", "13:00"): 8}, days=2)
    pd.DataFrame(
        {
            "interval_start": [
                s.isoformat() + "+03:00" for s, n in zip(starts, need, strict=True) if n
            ],
            "agents": [n - 1 for n in need if n],
            "headcount": [n for n in need if n],
        }
    ).to_csv(plan, index=False)
    args = ["roster", "--plan", str(plan), "--shifts", "8h:1h-break,6h:30m-break"]
    out = json.loads(run_cca(*args, "--format", "json").stdout)
    assert set(out) == {"shifts", "summary"}
    assert {"shift", "start", "break_start", "agents"} <= set(out["shifts"][0])
    summary = out["summary"]
    assert {
        "paid_hours",
        "required_agent_hours",
        "over_coverage",
        "gap",
        "uncovered_intervals",
    } <= set(summary)
    assert summary["required_agent_hours"] == sum(need) / 2
    rows = [
        {
            **r,
            "start": dt.datetime.fromisoformat(r["start"]).replace(tzinfo=None),
            "break_start": dt.datetime.fromisoformat(r["break_start"]).replace(tzinfo=None),
        }
        for r in out["shifts"]
    ]
    assert (expand(rows, starts) >= need).all()
    table = run_cca(*args).stdout
    assert "paid hours" in table and "over-coverage" in table and "MIP gap" in table
    bad_plan = tmp_path / "bad.csv"
    bad_plan.write_text("interval_start,headcount\n2026-10-04T08:00,two\n", encoding="utf-8")
    bad = run_cca("roster", "--plan", str(bad_plan), "--shifts", "8h", check=False)
    assert bad.returncode == 2 and "line 2" in bad.stderr and "headcount" in bad.stderr
    bad = run_cca("roster", "--plan", str(plan), "--shifts", "8 hours", check=False)
    assert bad.returncode == 2 and "8 hours" in bad.stderr


def test_the_default_roster_is_proved_within_its_gap_of_the_least_paid_hours():
    """The solver stops at MIP_GAP; the proved optimum (mip_gap=0) is never more than that
    below the default roster's paid hours, and the reported gap says how far it can be."""
    from simulation.planning.rostering import MIP_GAP

    rng = np.random.default_rng(11)
    starts = day_starts(3)
    base = np.array(need_from({("06:00", "23:30"): 1}, days=3))
    need = (base * rng.integers(3, 20, len(base))).tolist()
    shifts = parse_shifts("8h:1h-break,6h:30m-break")
    quick = roster(need, HALF_HOUR, shifts, starts=starts)
    exact = roster(need, HALF_HOUR, shifts, starts=starts, mip_gap=0)
    assert exact.status == "optimal" and exact.gap == pytest.approx(0, abs=1e-9)
    assert quick.status in ("optimal", "within gap") and quick.gap <= MIP_GAP + 1e-9
    assert exact.paid_hours <= quick.paid_hours <= exact.paid_hours * (1 + MIP_GAP) + 1e-9
    assert (expand(quick.rows(), starts) >= need).all()


def test_the_mip_gap_option_reads_percent_and_fractions():
    from cca.commands.roster import parse_gap

    assert parse_gap("0.5%") == pytest.approx(0.005)
    assert parse_gap("0.01") == pytest.approx(0.01)
    assert parse_gap("0") == 0
    with pytest.raises(ValueError, match="0.5%"):
        parse_gap("half")
    with pytest.raises(ValueError, match="below 100%"):
        parse_gap("150%")
