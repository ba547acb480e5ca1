"""A scenario played in real time, writing the queue_log a real Asterisk would.

``cca live simulate --scenario NAME --speed 60 --queue-log FILE`` runs the scenario's
day in SimPy's real-time environment (``simpy.rt.RealtimeEnvironment`` with factor
1/speed: a simulated minute a second at speed 60) and appends every event to FILE as
``app_queue`` writes it, so that ``cca live follow FILE`` and a wallboard can be watched
moving without a switch:

* **agents** follow the scenario's staffing interval by interval: an agent coming on
  shift is added to every queue (``ADDMEMBER``), one going off shift leaves them
  (``REMOVEMEMBER``) after finishing the call in hand; each agent takes a break
  (``PAUSE|break`` ... ``UNPAUSE``) of ``BREAK_S`` after every ``BREAK_EVERY_S`` on shift;
* **callers** arrive as the scenario's time-varying Poisson process per caller category,
  queue (``ENTERQUEUE``) in the category's queue, and are answered in order of priority
  and arrival by the first free agent (``CONNECT``, then ``COMPLETECALLER`` or
  ``COMPLETEAGENT`` with Asterisk's wait and talk seconds), or hang up when their
  patience runs out (``ABANDON``); callers still waiting at closing time are let go
  (``EXITWITHTIMEOUT``);
* **wrap-up**: after a call with after-call work the agent is paused with reason
  ``wrap-up`` for that long (``PAUSE|wrap-up`` ... ``UNPAUSE``), as agents mark it on
  Asterisk; the follower counts those agents as in wrap-up, not on a break.

It is a process-per-caller model written for clarity, not the fast dispatcher of
:mod:`simulation.model` that replications use: at real-time speeds a day has a few
thousand events. Times in the log are whole seconds, as Asterisk writes them. When the
centre is closed at the start instant, the simulated clock starts at its next opening.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections import deque
from pathlib import Path

import numpy as np
import simpy
import simpy.rt

from simulation.queue.scenario import Scenario
from simulation.queue.scenario_file import load_scenario

BREAK_EVERY_S = 2 * 3600
BREAK_S = 15 * 60


class LiveSimulationError(ValueError):
    """A live simulation that cannot run as asked (the message says why)."""


class QueueLogWriter:
    """Appends queue_log lines to a file, one flushed write per line."""

    def __init__(self, path: Path, origin_epoch: float, env: simpy.Environment):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.origin = origin_epoch
        self.env = env
        self.lines = 0

    def epoch(self) -> int:
        return int(math.floor(self.origin + self.env.now))

    def write(self, callid: str, queue: str, agent: str, event: str, *data: object) -> None:
        fields = [str(self.epoch()), callid, queue, agent, event, *[str(d) for d in data]]
        text = "|".join(fields) + "\n"
        # opened per line: a rotation (rename) of the file is followed, as by Asterisk's
        # logger after a reload
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, text.encode())
        finally:
            os.close(fd)
        self.lines += 1


class Caller:
    __slots__ = ("callid", "queue", "category", "arrived", "answered", "position")

    def __init__(self, callid, queue, category, arrived, answered, position):
        self.callid = callid
        self.queue = queue
        self.category = category
        self.arrived = arrived
        self.answered = answered
        self.position = position


class LiveCentre:
    """The live model: agents, queues by priority and the log they write."""

    def __init__(self, scenario: Scenario, env: simpy.Environment, log: QueueLogWriter, seed: int):
        self.s = scenario
        self.env = env
        self.log = log
        self.rng = np.random.default_rng(seed)
        self.tl = scenario.timeline()
        self.levels = sorted({c.priority for c in scenario.categories})
        self.waiting: list[deque[Caller]] = [deque() for _ in self.levels]
        self.queues = sorted({c.queue for c in scenario.categories})
        self.free: list[str] = []
        self.on_shift: list[str] = []
        self.leaving: set[str] = set()
        self.target = 0
        self.next_agent = 0
        self.calls = 0
        self.open = False
        self.closing = env.event()  # succeeds when the centre closes

    # --- agents ------------------------------------------------------------------

    def _new_agent(self) -> str:
        self.next_agent += 1
        return f"PJSIP/agent{self.next_agent:03d}"

    def set_staffing(self, agents: int) -> None:
        self.target = agents
        while len(self.on_shift) - len(self.leaving) < agents:
            back = sorted(self.leaving)
            if back:  # not gone yet: stays on
                self.leaving.discard(back[0])
                continue
            agent = self._new_agent()
            self.on_shift.append(agent)
            for q in self.queues:
                self.log.write("NONE", q, agent, "ADDMEMBER", "")
            self.env.process(self.breaks(agent))
            self.agent_free(agent)
        excess = len(self.on_shift) - len(self.leaving) - agents
        for agent in reversed(self.on_shift):
            if excess <= 0:
                break
            if agent in self.leaving:
                continue
            self.leaving.add(agent)
            excess -= 1
            if agent in self.free:
                self.free.remove(agent)
                self._log_off(agent)

    def _log_off(self, agent: str) -> None:
        self.leaving.discard(agent)
        self.on_shift.remove(agent)
        for q in self.queues:
            self.log.write("NONE", q, agent, "REMOVEMEMBER", "")

    def agent_free(self, agent: str) -> None:
        """The agent can take a call: the longest-waiting caller of the highest priority."""
        if agent in self.leaving:
            self._log_off(agent)
            return
        for q in self.waiting:
            while q:
                caller = q.popleft()
                if not caller.answered.triggered:
                    caller.answered.succeed(agent)
                    return
        self.free.append(agent)

    def breaks(self, agent: str):
        """A break of BREAK_S after every BREAK_EVERY_S on shift (staggered)."""
        yield self.env.timeout(BREAK_EVERY_S * (0.5 + self.rng.random()))
        while agent in self.on_shift:
            if agent in self.free:
                self.free.remove(agent)
                self.log.write("NONE", "NONE", agent, "PAUSE", "break")
                yield self.env.timeout(BREAK_S)
                if agent not in self.on_shift:
                    return
                self.log.write("NONE", "NONE", agent, "UNPAUSE", "")
                self.agent_free(agent)
                yield self.env.timeout(BREAK_EVERY_S)
            else:
                yield self.env.timeout(60)  # busy: try again in a minute

    # --- callers -----------------------------------------------------------------

    def caller(self, index: int, category: int):
        cat = self.s.categories[category]
        callid = f"{self.log.epoch()}.{index}"
        level = self.levels.index(cat.priority)
        answered = self.env.event()
        position = len(self.waiting[level]) + 1
        c = Caller(callid, cat.queue, cat.name, self.env.now, answered, position)
        self.log.write(
            callid, cat.queue, "NONE", "ENTERQUEUE", "", f"+9730000{index:05d}", position
        )
        patience = float(cat.patience.sample(self.rng, 1)[0])
        if self.free:
            answered.succeed(self.free.pop())
        else:
            self.waiting[level].append(c)
        closing = self.closing
        got = yield answered | self.env.timeout(patience) | closing
        if answered in got:
            agent = answered.value
            wait = round(self.env.now - c.arrived)
            self.log.write(callid, cat.queue, agent, "CONNECT", wait, f"{callid}1", 1)
            talk = float(cat.talk.sample(self.rng, 1)[0])
            if cat.hold is not None:
                talk += float(cat.hold.sample(self.rng, 1)[0])
            yield self.env.timeout(max(talk, 1.0))
            end = "COMPLETECALLER" if self.rng.random() < 0.6 else "COMPLETEAGENT"
            self.log.write(callid, cat.queue, agent, end, wait, round(talk), position)
            acw = float(cat.acw.sample(self.rng, 1)[0]) if cat.acw is not None else 0.0
            if acw >= 1 and agent not in self.leaving:
                self.log.write("NONE", "NONE", agent, "PAUSE", "wrap-up")
                yield self.env.timeout(acw)
                self.log.write("NONE", "NONE", agent, "UNPAUSE", "")
            self.agent_free(agent)
            return
        self._forget(c, level)
        wait = round(self.env.now - c.arrived)
        # the centre closed on a waiting caller: the queue let them go, they did not hang up
        event = "EXITWITHTIMEOUT" if closing in got else "ABANDON"
        self.log.write(callid, cat.queue, "NONE", event, 1, position, wait)

    def _forget(self, c: Caller, level: int) -> None:
        try:
            self.waiting[level].remove(c)
        except ValueError:
            pass

    # --- the day -----------------------------------------------------------------

    def arrivals(self, first: int):
        tl = self.tl
        for i in range(first, len(tl.starts_s)):
            start, length = float(tl.starts_s[i]), float(tl.lengths_s[i])
            if start + length <= self.env.now:
                continue
            counts = self.rng.poisson(tl.expected[i])
            times = []
            for cat, k in enumerate(counts.tolist()):
                times += [(start + self.rng.random() * length, cat) for _ in range(k)]
            for t, cat in sorted(times):
                if t < self.env.now:
                    continue
                yield self.env.timeout(t - self.env.now)
                self.calls += 1
                self.env.process(self.caller(self.calls, cat))

    def staffing(self, first: int):
        tl = self.tl
        for i in range(first, len(tl.starts_s)):
            start = float(tl.starts_s[i])
            if start > self.env.now:
                yield self.env.timeout(start - self.env.now)
            agents = int(tl.agents[i]) if tl.open[i] else 0
            self.set_staffing(agents)
            if tl.open[i] and not self.open:
                self.open = True
                self.closing = self.env.event()
            elif not tl.open[i] and self.open:
                self.open = False
                self.closing.succeed()
        yield self.env.timeout(0)


def next_open_offset(tl, t: float) -> float | None:
    """The first instant at or after ``t`` (s from the timeline's start) when it is open."""
    for open_s, close_s in tl.open_periods():
        if close_s > t:
            return max(open_s, t)
    return None


def run_live(
    scenario: str | Scenario,
    queue_log: str | os.PathLike[str],
    *,
    speed: float = 60.0,
    seed: int = 0,
    start: str | dt.datetime | None = None,
    hours: float | None = None,
    days: int = 7,
) -> int:
    """Play ``scenario`` in real time into ``queue_log``; the number of lines written."""
    if not (speed > 0 and math.isfinite(speed)):
        raise LiveSimulationError(f"--speed must be a number > 0, not {speed}")
    s = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    tz = s.tz
    if start is None:
        at = dt.datetime.now(tz)
    elif isinstance(start, str):
        try:
            at = dt.datetime.fromisoformat(start)
        except ValueError:
            raise LiveSimulationError(f"--start {start!r} is not an ISO time") from None
        at = at if at.tzinfo else at.replace(tzinfo=tz)
    else:
        at = start
    s = s.with_changes(start=at.astimezone(tz).date(), days=days, warmup_s=0.0, periods=())
    tl = s.timeline()
    origin = tl.start_instant.timestamp()
    t0 = at.timestamp() - origin
    opens = next_open_offset(tl, t0)
    if opens is None:
        raise LiveSimulationError(f"{s.name} is closed for the {days} days from {at:%Y-%m-%d}")
    env = simpy.rt.RealtimeEnvironment(initial_time=opens, factor=1.0 / speed, strict=False)
    log = QueueLogWriter(Path(queue_log), origin, env)
    centre = LiveCentre(s, env, log, seed)
    first = int(np.searchsorted(tl.starts_s, opens, side="right")) - 1
    log.write("NONE", "NONE", "NONE", "QUEUESTART", "")
    env.process(centre.staffing(max(first, 0)))
    env.process(centre.arrivals(max(first, 0)))
    until = tl.end_s if hours is None else min(tl.end_s, opens + hours * 3600)
    env.run(until=until)
    return log.lines
