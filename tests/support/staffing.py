"""A one-category scenario with a peak, for the staffing tests."""

from __future__ import annotations

import datetime as dt

from simulation.queue.scenario_file import scenario_from_dict

SLOTS = 48


def scenario_with(rates: dict[str, float], **overrides):
    """One category, open 08:00-12:00 on Sunday and Monday, exponential handling (AHT
    300 s) and patience (600 s); ``rates`` gives calls per interval (half an hour unless
    ``interval_s`` is overridden) by "HH:MM"."""
    interval_s = overrides.get("interval_s", 1800)
    profile = [0.0] * (86400 // interval_s)
    for hhmm, calls in rates.items():
        h, m = map(int, hhmm.split(":"))
        profile[(h * 3600 + m * 60) // interval_s] = calls
    data = {
        "name": "peak",
        "timezone": "Asia/Riyadh",
        "start": dt.date(2024, 9, 1),
        "days": 2,
        "interval_s": interval_s,
        "opening_hours": {"sun": ["08:00-12:00"], "mon": ["08:00-12:00"]},
        "categories": {
            "all": {
                "talk": {"dist": "exponential", "mean_s": 300},
                "patience": {"dist": "exponential", "mean_s": 600},
                "rates_by_weekday": {"sun": profile, "mon": profile},
            }
        },
        "staffing": {"agents": 1},
    }
    data.update(overrides)
    return scenario_from_dict(data, source="peak")


PEAK = {
    "08:00": 12,
    "08:30": 12,
    "09:00": 150,  # a burst: 25 Erlangs for half an hour
    "09:30": 8,
    "10:00": 8,
    "10:30": 8,
    "11:00": 8,
    "11:30": 8,
}
