"""Property tests: invariants of the queue discipline on random small centres.

Hypothesis draws a day with random opening spans, random calls per quarter hour for two
caller categories (random priorities), random agents per quarter hour and random
handling and patience distributions. Whatever it draws, the model must keep the rules of
the queue: callers are answered first-come-first-served within their priority class, a
lower-priority caller is never answered while a higher-priority one is waiting, nobody
is answered while the centre is closed or by more agents than are on shift, and an agent
takes one call at a time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation.queue.model import run_replication
from simulation.queue.scenario_file import scenario_from_dict

N = 96  # quarter hours in a day

durations = st.sampled_from(
    [
        {"dist": "exponential", "mean_s": 300},
        {"dist": "lognormal", "mean_s": 400, "sd_s": 300},
        {"dist": "empirical", "values_s": [60, 200, 900]},
    ]
)
patiences = st.sampled_from(
    [
        {"dist": "exponential", "mean_s": 120},
        {"dist": "fixed", "value_s": float("inf")},
        {"dist": "lognormal", "mean_s": 200, "sd_s": 100},
    ]
)


@st.composite
def centres(draw):
    spans, at = [], draw(st.integers(0, 60))
    for _ in range(draw(st.integers(1, 3))):
        start = at + draw(st.integers(0, 8))
        end = min(start + draw(st.integers(2, 16)), N)
        if start >= end:
            break
        spans.append((start, end))
        at = end + 1
    open_slot = np.zeros(N, dtype=bool)
    for a, b in spans:
        open_slot[a:b] = True
    # Calls and agents per quarter hour from a drawn seed: cheaper to draw than 300 numbers.
    shape = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    busy = draw(st.floats(0.5, 12))

    def hhmm(q: int) -> str:
        return f"{q // 4:02d}:{15 * (q % 4):02d}"

    categories = {
        name: {
            "priority": draw(st.integers(0, 1)),
            "rates_by_weekday": {"sun": (shape.uniform(0, busy, N) * open_slot).tolist()},
            "talk": draw(durations),
            "patience": draw(patiences),
        }
        for name in ("a", "b")
    }
    agents = shape.integers(0, draw(st.integers(1, 5)), N).tolist()
    return scenario_from_dict(
        {
            "name": "random",
            "start": "2024-09-01",
            "days": 1,
            "interval_s": 900,
            "opening_hours": {"sun": [f"{hhmm(a)}-{hhmm(b)}" for a, b in spans]},
            "categories": categories,
            "staffing": {"agents_by_weekday": {"sun": agents}},
        },
        source="hypothesis",
    )


def offsets(stamps: pd.Series, scenario) -> np.ndarray:
    return (stamps - pd.Timestamp(scenario.start_instant)).dt.total_seconds().to_numpy()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=centres(), seed=st.integers(0, 2**32 - 1))
def test_queue_discipline_holds_on_any_centre(scenario, seed):
    records = run_replication(scenario, seed)
    tl = scenario.timeline()
    priority = {c.name: c.priority for c in scenario.categories}
    arrived = offsets(records["arrived_at"], scenario)
    answered = (records["outcome"] == "answered").to_numpy()
    answered_at = offsets(records["answered_at"], scenario)
    ended_at = offsets(records["ended_at"], scenario)
    level = records["category"].astype(str).map(priority).to_numpy()

    # every call is accounted for, and waits are consistent with the timestamps
    assert records["outcome"].notna().all()
    wait = records["wait_s"].to_numpy()
    left = np.where(answered, answered_at, ended_at)  # when each caller left the queue
    assert np.allclose(left - arrived, wait, atol=1e-6) and (wait >= 0).all()

    # nobody arrives or is answered while the centre is closed
    def slot_of(t):
        return np.searchsorted(tl.starts_s, t, side="right") - 1

    assert tl.open[slot_of(arrived)].all()
    assert tl.open[slot_of(answered_at[answered])].all()

    # first come, first served within a priority class
    for p in set(level):
        mine = answered & (level == p)
        assert (np.diff(answered_at[mine]) >= -1e-9).all()

    # never a lower-priority caller answered while a higher-priority one waits
    for p in set(level):
        low = answered_at[answered & (level > p)]
        high = level == p
        if len(low) and high.any():
            waiting = (arrived[high][None, :] < low[:, None] - 1e-9) & (
                left[high][None, :] > low[:, None] + 1e-9
            )
            assert not waiting.any()

    # no more agents busy than on shift at any answer; one call at a time per agent
    start, end = np.sort(answered_at[answered]), np.sort(ended_at[answered])
    busy = np.searchsorted(start, start, "right") - np.searchsorted(end, start, "right")
    assert (busy <= tl.agents[slot_of(start)]).all()
    calls = records[answered].sort_values("answered_at")
    for _, mine in calls.groupby("agent_id", observed=True):
        a, e = offsets(mine["answered_at"], scenario), offsets(mine["ended_at"], scenario)
        assert (a[1:] >= e[:-1] - 1e-6).all()
