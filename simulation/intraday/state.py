"""The queue as it stands at one instant, and one replication of the rest of the day from it.

A ``QueueState`` is what a wallboard shows at ``at``: the callers waiting (their caller
category and how long they have waited), the calls in service (category and how long
they have been handled) and the agents by state (``available``, ``on_call``,
``wrap_up``, ``paused``, as far as the source knows them). ``run_from_state`` simulates
the rest of the day from there with the queue model (``simulation.queue.model``):

* the callers waiting keep their place in the queue (first come, first served within
  their category's priority) and their elapsed wait; each gets a patience drawn from the
  category's patience distribution *given that it exceeds the elapsed wait*
  (``conditional.sample_beyond``), so a caller who has waited long is not assumed to hang
  up at once, nor to start afresh;
* each call in service keeps its agent until it ends, after a handling time drawn given
  that it exceeds what it has already taken;
* new callers arrive after ``at`` as the scenario's Poisson arrivals (or, to test the
  queue model alone, the day's real arrivals replayed: ``replay``), and the agents of
  each interval are the scenario's staffing from the interval containing ``at`` on.

Records are the model's per-call records (``simulation.queue.model.call_records``): the
callers waiting at ``at`` carry their real arrival instant, so their wait counts in
full. Everything is a pure function of (scenario, state, seed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simulation.intraday.conditional import sample_beyond, sum_beyond
from simulation.queue.model import CallArrivals, CallCentre, arrival_times, call_records
from simulation.queue.scenario import Scenario

AGENT_STATES = ("available", "on_call", "wrap_up", "paused")


@dataclass(frozen=True)
class QueueState:
    """The queue at ``at`` (aware): ``waiting`` and ``in_service`` are (category,
    elapsed seconds) pairs; ``agents`` counts agents by state (``AGENT_STATES``; a
    source that cannot tell leaves some out); ``source`` says where it was read."""

    at: dt.datetime
    waiting: tuple[tuple[str, float], ...] = ()
    in_service: tuple[tuple[str, float], ...] = ()
    agents: Mapping[str, int] = field(default_factory=dict)
    source: str = ""

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError(f"snapshot at {self.at}: give an instant with its time zone")
        for what in ("waiting", "in_service"):
            for category, elapsed in getattr(self, what):
                if not (elapsed >= 0 and np.isfinite(elapsed)):
                    raise ValueError(
                        f"snapshot {what}: elapsed time {elapsed!r} s of a {category} call "
                        "must be a number of seconds >= 0"
                    )
        for state, n in self.agents.items():
            if state not in AGENT_STATES:
                raise ValueError(
                    f"snapshot agents: {state!r} is not one of {', '.join(AGENT_STATES)}"
                )
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
                raise ValueError(f"snapshot agents.{state}: {n!r} is not a whole number >= 0")

    def summary(self) -> dict:
        """The ``snapshot`` object of ``cca intraday --format json``."""
        waits = [e for _, e in self.waiting]
        return {
            "at": self.at.isoformat(),
            "source": self.source,
            "waiting": len(self.waiting),
            "oldest_wait_s": max(waits) if waits else None,
            "in_service": len(self.in_service),
            "agents": {k: int(v) for k, v in self.agents.items()},
        }


def _category_index(scenario: Scenario, name: str) -> int:
    names = [c.name for c in scenario.categories]
    if name in names:
        return names.index(name)
    raise ValueError(
        f"snapshot: caller category {name!r} is not one of the scenario's ({', '.join(names)})"
    )


def offset_s(scenario: Scenario, at: dt.datetime) -> float:
    """``at`` as seconds from the scenario's start instant."""
    return (at - scenario.start_instant).total_seconds()


def run_from_state(
    scenario: Scenario,
    state: QueueState,
    seed: int,
    replication: int = 0,
    *,
    replay: tuple[np.ndarray, np.ndarray] | None = None,
    volume_cv: float = 0.0,
) -> pd.DataFrame:
    """One replication of the rest of ``scenario`` from ``state``: per-call records of
    the callers waiting at ``state.at`` and of every caller after it.

    ``replay``: (arrival offsets in s from the scenario's start, category indices) of the
    callers after ``at``, instead of Poisson arrivals. ``volume_cv``: the coefficient of
    variation of a day-level factor on the expected calls after ``at``, drawn once per
    replication (gamma, mean 1): how uncertain the re-forecast's level still is.
    """
    arrivals, centre = simulate_from_state(
        scenario, state, seed, replay=replay, volume_cv=volume_cv
    )
    return call_records(scenario, arrivals, centre, replication)


def simulate_from_state(
    scenario: Scenario,
    state: QueueState,
    seed: int,
    *,
    replay: tuple[np.ndarray, np.ndarray] | None = None,
    volume_cv: float = 0.0,
) -> tuple[CallArrivals, CallCentre]:
    """``run_from_state`` without the records: the callers and the finished model."""
    rng = np.random.default_rng(seed)
    at_s = offset_s(scenario, state.at)
    if replay is None:
        scale = 1.0
        if volume_cv > 0:
            k = 1.0 / volume_cv**2
            scale = float(rng.gamma(k, 1.0 / k))
        future_t, future_c = arrival_times(scenario, rng, since_s=at_s, scale=scale)
    else:
        future_t, future_c = (np.asarray(a) for a in replay)
        keep = future_t >= at_s
        future_t, future_c = future_t[keep], future_c[keep]
    # The callers waiting, longest first (their order in the queue).
    waiting = sorted(state.waiting, key=lambda w: -w[1])
    wait_c = np.array([_category_index(scenario, c) for c, _ in waiting], dtype=np.int64)
    wait_e = np.array([e for _, e in waiting], dtype=float)
    times = np.concatenate([at_s - wait_e, future_t])
    category = np.concatenate([wait_c, np.asarray(future_c, dtype=np.int64)])
    arrivals = CallArrivals(scenario, rng, times, category)
    busy_c = np.array([_category_index(scenario, c) for c, _ in state.in_service], dtype=np.int64)
    busy_e = np.array([e for _, e in state.in_service], dtype=float)
    busy_until = np.empty(len(busy_e))
    for j, cat in enumerate(scenario.categories):
        sel = np.flatnonzero(wait_c == j)
        if len(sel):
            arrivals.patience[sel] = sample_beyond(cat.patience, rng, wait_e[sel])
        sel = np.flatnonzero(busy_c == j)
        if len(sel):
            parts = [d for d in (cat.talk, cat.hold, cat.acw) if d is not None]
            busy_until[sel] = at_s + sum_beyond(parts, rng, busy_e[sel]) - busy_e[sel]
    centre = CallCentre(scenario, arrivals, start_s=at_s, busy_until=busy_until.tolist())
    centre.run()
    return arrivals, centre
