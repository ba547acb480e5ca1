"""A simulated centre for the planner's tests: a known scenario, a store filled by
simulating it (calls and, optionally, its staffing table), nothing from real data."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from analytics.call_log import save_centre
from analytics.centres import Centre
from analytics.store import Store
from simulation.queue.model import run_replication
from simulation.queue.scenario_file import scenario_from_dict
from support.kpi import insert_call_frame

OPEN = ("sun", "mon", "tue", "wed", "thu")


def peaked_profile(open_slots: range, peak_slots: range, rise: float) -> list[float]:
    """A day's 48 half-hour weights: 1 in the ``open_slots``, 1 + ``rise`` in the
    ``peak_slots``, 0 while closed."""
    profile = [0.0] * 48
    for slot in open_slots:
        profile[slot] = 1.0 + (rise if slot in peak_slots else 0.0)
    return profile


def planner_scenario(
    days: int = 14, agents: int = 4, vip_priority: int = 0, start: dt.date = dt.date(2024, 9, 1)
):
    """A Sunday–Thursday centre open 08:00–14:00 with a peak at 09:00–11:00: ordinary
    callers and a small priority line (``vip``, answered first), staffed lean enough
    that callers wait and some abandon."""
    profile = peaked_profile(range(16, 28), range(18, 22), 0.6)  # 08:00-14:00, 09:00-11:00
    rates = {
        "ordinary": {d: [round(22.0 * p, 3) for p in profile] for d in OPEN},
        "vip": {d: [round(3.0 * p, 3) for p in profile] for d in OPEN},
    }
    return scenario_from_dict(
        {
            "name": "planner_test",
            "centre_id": "planner_centre",
            "timezone": "Asia/Riyadh",
            "start": start,
            "days": days,
            "interval_s": 1800,
            "targets": ["sl_offered_12>=0.8"],
            "opening_hours": {d: ["08:00-14:00"] for d in OPEN},
            "categories": {
                "ordinary": {
                    "talk": {"dist": "lognormal", "mean_s": 240, "sd_s": 150},
                    "patience": {"dist": "exponential", "mean_s": 240},
                    "rates_by_weekday": rates["ordinary"],
                    "priority": 1,
                },
                "vip": {
                    "talk": {"dist": "exponential", "mean_s": 200},
                    "patience": {"dist": "exponential", "mean_s": 240},
                    "rates_by_weekday": rates["vip"],
                    "priority": vip_priority,
                },
            },
            "staffing": {
                "shifts": [
                    {"days": list(OPEN), "start": "08:00", "end": "14:00", "agents": agents},
                    {"days": list(OPEN), "start": "09:00", "end": "11:00", "agents": 1},
                ]
            },
        },
        source="planner test scenario",
    )


def fill_store(
    path, scenario, *, seed: int = 7, staffing: bool = True, then=()
) -> tuple[Store, Centre]:
    """A store holding one replication of ``scenario`` as history (and its agents as the
    staffing table when ``staffing``), followed by one of each scenario in ``then``
    (later days of the same centre, staffed as each says)."""
    store = Store(path)
    centre = Centre(scenario.centre_id, timezone=scenario.timezone)
    with store.writer() as con:
        save_centre(con, centre)
        for k, sc in enumerate((scenario, *then)):
            _add_history(con, centre, sc, seed=seed + k, staffing=staffing)
    return store, centre


def _add_history(con, centre, scenario, *, seed: int, staffing: bool) -> None:
    records = run_replication(scenario, seed=seed)
    frame = records.copy()
    frame["call_id"] = f"{scenario.start:%Y%m%d}-" + frame["call_id"].astype(str)  # unique
    insert_call_frame(con, centre.centre_id, frame)
    if staffing:
        tl = scenario.timeline()
        origin = pd.Timestamp(scenario.start_instant)
        con.executemany(
            "INSERT INTO staffing (centre_id, interval_start, interval_s, "
            "agents_scheduled, agents_available) VALUES (?, ?, ?, ?, ?)",
            [
                [
                    centre.centre_id,
                    (origin + pd.Timedelta(seconds=s)).to_pydatetime(),
                    1800,
                    a,
                    a,
                ]
                for s, a in zip(tl.starts_s, tl.agents.tolist(), strict=True)
                if a
            ],
        )
