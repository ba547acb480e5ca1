"""The queue model: one replication of a scenario in SimPy, as per-call records.

Callers arrive as a time-varying Poisson process (piecewise constant: a Poisson number of
calls in each interval, placed uniformly within it), one stream per caller category. A
caller who finds a free agent is answered at once; otherwise they join their priority
class's first-come-first-served queue and wait until an agent takes them or their
patience runs out (abandoned). Queues carry over from one interval to the next. The
number of agents on shift follows the scenario interval by interval; when it drops,
free agents leave at once and busy agents finish their call first. At closing time the
callers still waiting are told the centre is closed (outcome ``timeout``); nobody is
answered while the centre is closed.

Speed comes from the shape of the model, not from shortcuts in it:

- one dispatcher, not a process per call: SimPy's event calendar carries the staffing
  changes and closings, each a ``Timeout`` with a plain callback, and one pending
  wake-up of the dispatcher, which then takes arrivals and call completions (its own
  heap of end times) in time order up to the next event on the calendar. At equal
  instants a calendar event goes first, then completions in the order they started,
  then arrivals — the order SimPy would give them as events of their own (the records
  are the same as with an event per arrival and per completion, at twice the speed);
- abandonment is lazy and exact: a waiting caller holds no event. Because every queue is
  FIFO within its priority class and nothing depends on queue length, a caller whose
  deadline (arrival + patience) has passed when an agent reaches them in the queue left
  at their deadline; the agent moves on to the next caller. The outcome of every call is
  the same as with a patience event per caller, with one event fewer per call;
- random numbers are drawn up front in vectorised batches from one seeded
  ``numpy.random.Generator`` (arrivals, categories, handling times, patience, topics,
  sites, channels). Handling times are drawn for every call, answered or not, so two
  staffing plans run with the same seed see the same callers (common random numbers).

``run_replication(scenario, seed)`` is a pure function of its arguments: the same seed
gives the same records on any machine and in any worker.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Sequence

import numpy as np
import pandas as pd
import simpy
from simpy.events import Timeout

from analytics.records import CALL_COLUMNS, OUTCOMES
from simulation.queue.scenario import Scenario

ANSWERED, ABANDONED, TIMEOUT = 0, 1, 2

# The canonical call record plus where a simulated call comes from.
RECORD_COLUMNS = [*CALL_COLUMNS, "centre_id", "scenario", "replication"]


def arrival_times(
    scenario: Scenario,
    rng: np.random.Generator,
    since_s: float | None = None,
    scale: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Poisson arrivals of every interval (a Poisson number per interval and category,
    placed uniformly within it, ``scale`` times the expected calls): times (s from the
    start instant, sorted) and category indices, those before ``since_s`` (default: the
    warm-up's start) dropped — which leaves a Poisson process over the rest."""
    tl = scenario.timeline()
    counts = rng.poisson(tl.expected if scale == 1.0 else tl.expected * scale)
    n = int(counts.sum())
    flat = counts.reshape(-1)
    n_cat = len(scenario.categories)
    interval = np.repeat(np.repeat(np.arange(len(tl.starts_s)), n_cat), flat)
    category = np.repeat(np.tile(np.arange(n_cat), len(tl.starts_s)), flat)
    times = tl.starts_s[interval] + rng.random(n) * tl.lengths_s[interval]
    keep = times >= (-scenario.warmup_s if since_s is None else since_s)
    order = np.argsort(times[keep], kind="stable")
    return times[keep][order], category[keep][order]


class CallArrivals:
    """The callers of one replication, drawn up front: times (s from the start instant)
    in arrival order, category index, patience and handling components (s).

    ``times`` and ``category`` (sorted by time) give the callers instead of drawing
    them (``arrival_times``); their durations are drawn all the same."""

    def __init__(
        self,
        scenario: Scenario,
        rng: np.random.Generator,
        times: np.ndarray | None = None,
        category: np.ndarray | None = None,
    ):
        if times is None:
            times, category = arrival_times(scenario, rng)
        self.times = np.asarray(times, dtype=float)
        self.category = np.asarray(category, dtype=np.int64)
        n = len(self.times)
        self.patience = np.empty(n)
        self.talk = np.empty(n)
        self.hold = np.zeros(n)
        self.acw = np.zeros(n)
        self.topic = np.full(n, -1, dtype=np.int32)
        self.topic_names: list[str] = []
        for j, cat in enumerate(scenario.categories):
            idx = np.flatnonzero(self.category == j)
            k = len(idx)
            self.patience[idx] = cat.patience.sample(rng, k)
            self.talk[idx] = cat.talk.sample(rng, k)
            if cat.hold is not None:
                self.hold[idx] = cat.hold.sample(rng, k)
            if cat.acw is not None:
                self.acw[idx] = cat.acw.sample(rng, k)
            if cat.topics:
                for t, _ in cat.topics:
                    if t not in self.topic_names:
                        self.topic_names.append(t)
                code = np.array([self.topic_names.index(t) for t, _ in cat.topics], dtype=np.int32)
                p = np.array([s for _, s in cat.topics])
                self.topic[idx] = code[rng.choice(len(p), size=k, p=p / p.sum())]
        self.site = _mix(rng, scenario.sites, n)
        self.channel = _mix(rng, scenario.channels, n)

    @property
    def service(self) -> np.ndarray:
        """How long an agent is busy with each call, if answered (s)."""
        return self.talk + self.hold + self.acw


def _mix(rng: np.random.Generator, mix: tuple[tuple[str, float], ...], n: int) -> np.ndarray:
    if not mix:
        return np.full(n, -1, dtype=np.int32)
    p = np.array([s for _, s in mix])
    return rng.choice(len(p), size=n, p=p / p.sum()).astype(np.int32)


class CallCentre:
    """The dispatcher: priority queues, agents on shift, and SimPy events with callbacks.

    After ``run()``, ``outcome``, ``answered_at``, ``ended_at`` (s from the start instant)
    and ``agent`` hold one entry per caller of ``arrivals``.

    ``start_s``: start at that instant rather than from an empty centre at the first
    interval (the intraday projection, ``simulation.intraday``): the callers of
    ``arrivals`` who came before it are waiting in their queues then (their patience
    already conditional on it), ``busy_until`` gives the end (s) of each call in service
    then, each with an agent of its own; the staffing in force at ``start_s`` and the
    closings after it apply.
    """

    def __init__(
        self,
        scenario: Scenario,
        arrivals: CallArrivals,
        *,
        start_s: float | None = None,
        busy_until: Sequence[float] = (),
    ):
        tl = scenario.timeline()
        self._start_s = float(tl.starts_s[0]) if start_s is None else float(start_s)
        self._busy_until = [float(t) for t in busy_until]
        self.env = simpy.Environment(initial_time=self._start_s)
        self.arrivals = arrivals
        n = len(arrivals.times)
        levels = sorted({c.priority for c in scenario.categories})
        level_of_category = [levels.index(c.priority) for c in scenario.categories]
        # Python lists: the hot loop indexes them one element at a time.
        self._times = arrivals.times.tolist()
        self._level = [level_of_category[c] for c in arrivals.category.tolist()]
        self._deadline = (arrivals.times + arrivals.patience).tolist()
        self._service = arrivals.service.tolist()
        self.queues: list[deque[int]] = [deque() for _ in levels]
        self.outcome = [ABANDONED] * n  # a caller not answered nor timed out abandoned
        self.answered_at = [np.nan] * n
        self.ended_at = [np.nan] * n
        self.agent = [-1] * n
        self.free: list[int] = []  # free agents on shift (a stack of agent numbers)
        self.off_shift: list[int] = []  # heap of agent numbers not on shift
        self.next_agent = 0
        self.on_shift = 0
        self.target = 0  # agents the current interval wants on shift
        self._next = 0
        self._timeline = tl
        # Calls being handled: a heap of (end, order started, agent), kept by the
        # dispatcher itself rather than as one SimPy event per call.
        self._ends: list[tuple[float, int, int]] = []
        self._seq = 0
        self._wake_at = math.inf  # when the dispatcher is next scheduled
        self._generation = 0  # of that wake-up (an earlier one supersedes it)

    # --- events -------------------------------------------------------------------------

    def _at(self, t: float, callback, value=None) -> None:
        Timeout(self.env, max(t - self.env.now, 0.0), value).callbacks.append(callback)

    def run(self) -> None:
        tl = self._timeline
        end = tl.end_s
        t0 = self._start_s
        # Closings are scheduled first: at a closing that coincides with a staffing change,
        # the queue is emptied before new agents could answer anyone.
        for _, close in tl.open_periods():
            if t0 < close < end:  # open at the end of the horizon: followed until it empties
                self._at(close, self._close)
        # Calls in service at the start, each keeping its agent busy until it ends.
        for done in self._busy_until:
            self.on_shift += 1
            self._seq += 1
            heapq.heappush(self._ends, (done, self._seq, self.next_agent))
            self.next_agent += 1
        # Callers who came before the start wait in their queues, in order of arrival.
        times, i = self._times, 0
        while i < len(times) and times[i] < t0:
            self.queues[self._level[i]].append(i)
            i += 1
        self._next = i
        previous = None
        for start, length, agents in zip(
            tl.starts_s.tolist(), tl.lengths_s.tolist(), tl.agents.tolist(), strict=True
        ):
            if start < t0 and start + length <= t0:
                continue  # over before the start
            if agents != previous:
                self._at(start, self._set_staffing, agents)  # at the start if before it
                previous = agents
        self._wake_up()
        self.env.run()
        # Left waiting with nobody to answer (no agents at the end): the system ends it.
        for q in self.queues:
            for j in q:
                if self._deadline[j] > end:
                    self.outcome[j] = TIMEOUT
                    self.ended_at[j] = max(end, self._times[j])
            q.clear()

    def _wake_up(self) -> None:
        """Schedule the dispatcher at the earliest arrival or call completion still due
        (unless it is already scheduled no later)."""
        i = self._next
        t = self._times[i] if i < len(self._times) else math.inf
        if self._ends and self._ends[0][0] <= t:
            t = self._ends[0][0]
        if t < self._wake_at:
            self._wake_at = t
            self._generation += 1
            self._at(t, self._dispatch, self._generation)

    def _dispatch(self, event) -> None:
        """Arrivals and call completions in time order, up to the next event on SimPy's
        calendar (a staffing change or a closing), which then goes first; nothing else
        can happen in between, so they need no SimPy event of their own."""
        if event._value != self._generation:
            return  # superseded by an earlier wake-up
        self._wake_at = math.inf
        times, level, queues, free = self._times, self._level, self.queues, self.free
        ends = self._ends
        horizon = self.env.peek()
        i, n = self._next, len(times)
        arrival = times[i] if i < n else math.inf
        while True:
            if ends and ends[0][0] <= arrival:  # a completion first, also at a tie
                done = ends[0][0]
                if done >= horizon:
                    break
                agent = heapq.heappop(ends)[2]
                if self.on_shift > self.target:  # staffing dropped while it was busy
                    self.on_shift -= 1
                    heapq.heappush(self.off_shift, agent)
                else:
                    self._take_next(agent, done)
            else:
                if arrival >= horizon:
                    break
                if free:
                    self._answer(i, free.pop(), arrival)
                else:
                    queues[level[i]].append(i)
                i += 1
                arrival = times[i] if i < n else math.inf
            self._next = i
        self._next = i
        self._wake_up()

    def _answer(self, i: int, agent: int, now: float) -> None:
        """Agent ``agent`` answers caller ``i`` at ``now`` (s)."""
        end = now + self._service[i]
        self.outcome[i] = ANSWERED
        self.answered_at[i] = now
        self.ended_at[i] = end
        self.agent[i] = agent
        self._seq += 1  # completions at the same instant in the order they were started
        heapq.heappush(self._ends, (end, self._seq, agent))

    def _take_next(self, agent: int, now: float) -> None:
        """The agent answers the longest-waiting caller of the highest priority still
        there; callers whose patience ran out on the way had left at their deadline."""
        deadline = self._deadline
        for q in self.queues:
            while q:
                j = q.popleft()
                if deadline[j] > now:
                    self._answer(j, agent, now)
                    return
        self.free.append(agent)

    def _set_staffing(self, event) -> None:
        self.target = target = event._value
        now = self.env.now
        while self.on_shift > target and self.free:
            self.on_shift -= 1
            heapq.heappush(self.off_shift, self.free.pop())
        while self.on_shift < target:
            self.on_shift += 1
            if self.off_shift:
                agent = heapq.heappop(self.off_shift)
            else:
                agent = self.next_agent
                self.next_agent += 1
            self._take_next(agent, now)
        self._wake_up()

    def _close(self, event) -> None:
        now = self.env.now
        for q in self.queues:
            for j in q:
                if self._deadline[j] > now:
                    self.outcome[j] = TIMEOUT
                    self.ended_at[j] = now
            q.clear()
        self._wake_up()


def simulate_calls(scenario: Scenario, seed: int) -> tuple[CallArrivals, CallCentre]:
    """Run one replication and return the callers and the finished model (arrays in s)."""
    rng = np.random.default_rng(seed)
    arrivals = CallArrivals(scenario, rng)
    centre = CallCentre(scenario, arrivals)
    centre.run()
    return arrivals, centre


def _categorical(codes: np.ndarray, names: list[str]) -> pd.Categorical:
    return (
        pd.Categorical.from_codes(codes, categories=names)
        if names
        else pd.Categorical([None] * len(codes))
    )


def _constant(value: str, n: int) -> pd.Categorical:
    return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=[value])


def run_replication(
    scenario: Scenario, seed: int, replication: int = 0, *, call_id_prefix: str | None = None
) -> pd.DataFrame:
    """One replication of ``scenario`` with ``seed``: a DataFrame of per-call records.

    Columns are the canonical call record (``call_id``, ``arrived_at``, ``outcome``,
    ``wait_s``, ``answered_at``, ``ended_at``, ``talk_s``, ``hold_s``, ``acw_s``,
    ``category``, ``topic``, ``queue``, ``site``, ``channel``, ``agent_id``,
    ``centre_id``) plus ``scenario`` and ``replication``. Timestamps are aware, in the
    scenario's time zone; durations are seconds. Calls that arrived during the warm-up
    are simulated but not returned. ``call_id`` is ``<prefix><n>`` with the prefix
    ``<scenario>-r<replication>-`` unless ``call_id_prefix`` is given (e.g. a month, to keep
    ids unique across generated months).
    """
    arrivals, centre = simulate_calls(scenario, seed)
    return call_records(scenario, arrivals, centre, replication, call_id_prefix=call_id_prefix)


def call_records(
    scenario: Scenario,
    arrivals: CallArrivals,
    centre: CallCentre,
    replication: int = 0,
    *,
    call_id_prefix: str | None = None,
) -> pd.DataFrame:
    """The per-call records (``run_replication``'s columns) of a finished ``centre``: the
    callers of ``arrivals`` who came from the start instant on."""
    return call_records_many(scenario, [(arrivals, centre, replication)], call_id_prefix)


def call_records_many(
    scenario: Scenario,
    runs: Sequence[tuple[CallArrivals, CallCentre, int]],
    call_id_prefix: str | None = None,
) -> pd.DataFrame:
    """``call_records`` of several finished replications of ``scenario`` ((arrivals,
    centre, replication) each) in one frame, built once: the time stamps and categorical
    columns of many small frames cost more than their simulations."""
    cats = scenario.categories
    queue_names = sorted({c.queue for c in cats})
    queue_of = np.array([queue_names.index(c.queue) for c in cats], dtype=np.int32)
    cols: dict[str, list] = {k: [] for k in ("t", "outcome", "answered_at", "ended_at", "wait")}
    for k in ("talk", "hold", "acw", "category", "topic", "site", "channel", "agent", "rep", "id"):
        cols[k] = []
    topic_names: list[str] = []
    for arrivals, centre, replication in runs:
        t = arrivals.times
        idx = np.flatnonzero(t >= 0.0)
        n = len(idx)
        outcome = np.asarray(centre.outcome, dtype=np.int8)[idx]
        answered_at = np.asarray(centre.answered_at, dtype=float)[idx]
        ended_at = np.asarray(centre.ended_at, dtype=float)[idx]
        t = t[idx]
        abandoned = outcome == ABANDONED
        ended_at[abandoned] = (t + arrivals.patience[idx])[abandoned]
        answered = outcome == ANSWERED
        wait = np.maximum(np.where(answered, answered_at - t, ended_at - t), 0.0)
        prefix = f"{scenario.name}-r{replication}-" if call_id_prefix is None else call_id_prefix
        cols["t"].append(t)
        cols["outcome"].append(outcome)
        cols["answered_at"].append(answered_at)
        cols["ended_at"].append(ended_at)
        cols["wait"].append(wait)
        for part in ("talk", "hold", "acw"):
            cols[part].append(np.where(answered, getattr(arrivals, part)[idx], np.nan))
        cols["category"].append(arrivals.category[idx])
        cols["topic"].append(arrivals.topic[idx])
        topic_names = topic_names or list(arrivals.topic_names)
        cols["site"].append(arrivals.site[idx])
        cols["channel"].append(arrivals.channel[idx])
        cols["agent"].append(np.asarray(centre.agent, dtype=np.int32)[idx])
        cols["rep"].append(np.full(n, replication, dtype=np.int32))
        cols["id"].append(np.char.add(prefix, np.arange(n).astype(str)).astype(object))
    joined = {k: (np.concatenate(v) if v else np.zeros(0)) for k, v in cols.items()}
    n = len(joined["t"])
    origin = pd.Timestamp(scenario.start_instant).tz_convert("UTC").value  # ns

    def stamp(seconds: np.ndarray) -> pd.DatetimeIndex:
        ns = np.where(np.isnan(seconds), 0, np.round(seconds * 1e9)).astype(np.int64) + origin
        out = pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC")
        out = out.tz_convert(scenario.timezone)
        return out.where(~np.isnan(seconds))

    category = joined["category"].astype(np.int64)
    agent = joined["agent"].astype(np.int32)
    n_agents = int(agent.max()) + 1 if n and agent.max() >= 0 else 0
    frame = pd.DataFrame(
        {
            "call_id": joined["id"].astype(object),
            "arrived_at": stamp(joined["t"].astype(float)),
            "outcome": pd.Categorical.from_codes(
                joined["outcome"].astype(np.int8), categories=list(OUTCOMES)
            ),
            "wait_s": joined["wait"].astype(float),
            "answered_at": stamp(joined["answered_at"].astype(float)),
            "ended_at": stamp(joined["ended_at"].astype(float)),
            "talk_s": joined["talk"].astype(float),
            "hold_s": joined["hold"].astype(float),
            "acw_s": joined["acw"].astype(float),
            "category": pd.Categorical.from_codes(category, categories=[c.name for c in cats]),
            "topic": _categorical(joined["topic"].astype(np.int64), topic_names),
            "queue": pd.Categorical.from_codes(queue_of[category], categories=queue_names),
            "site": _categorical(joined["site"].astype(np.int64), [s for s, _ in scenario.sites]),
            "channel": _categorical(
                joined["channel"].astype(np.int64), [c for c, _ in scenario.channels]
            ),
            "agent_id": _categorical(agent, [f"A{k + 1:03d}" for k in range(n_agents)]),
            "centre_id": _constant(scenario.centre_id, n),
            "scenario": _constant(scenario.name, n),
            "replication": joined["rep"].astype(np.int32),
        },
        columns=RECORD_COLUMNS,
    )
    return frame
