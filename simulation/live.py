"""A scenario played in real time, writing the queue_log a real Asterisk would.

``cca live simulate --scenario NAME --queue-log FILE`` runs the scenario's day in SimPy
against the wall clock and appends every event to FILE as ``app_queue`` writes it, so
that ``cca live follow FILE`` and a wallboard can be watched moving without a switch.

**No event is ever stamped after now.** The run starts at the day's opening (``--start``
moves it) and catches up to the wall clock as fast as it can (``--speed 60``: at a
simulated minute a real second instead); once it reaches now it goes on in real time, an
event written when the wall clock reaches its time (:class:`WallClockEnvironment`). A
log left by an earlier run is continued, never rewritten: the run starts after its last
event, and what that run left open (agents on shift, callers waiting or talking) is
closed first, as a restarted switch would (``REMOVEMEMBER``, ``EXITWITHTIMEOUT``,
``COMPLETEAGENT``). What the model does:

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
centre is closed at the start instant, the simulated clock starts at its next opening
(and waits for it in real time when that is still to come).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import time
from collections import deque
from pathlib import Path

import numpy as np
import simpy
from simpy.core import EmptySchedule, Infinity

from analytics.live.events import Malformed, parse_queue_log_line
from simulation.queue.scenario import Scenario
from simulation.queue.scenario_file import load_scenario

BREAK_EVERY_S = 2 * 3600
BREAK_S = 15 * 60


class LiveSimulationError(ValueError):
    """A live simulation that cannot run as asked (the message says why)."""


class WallClockEnvironment(simpy.Environment):
    """SimPy time ``t`` is the instant ``origin + t`` (UNIX s); an event is processed no
    sooner than that instant on the wall clock, so nothing is ever written ahead of now.

    Behind the wall clock it runs as fast as it can (``speed=None``) or at ``speed``
    simulated seconds per real second from its start; caught up, it runs in real time.
    ``clock`` and ``sleep`` are the wall clock's (``time.time``, ``time.sleep``).
    """

    def __init__(self, initial_time: float, origin: float, speed: float | None = None,
                 clock=time.time, sleep=time.sleep):  # fmt: skip
        super().__init__(initial_time)
        self.origin = origin
        self.speed = speed
        self.clock = clock
        self.sleep = sleep
        self.sim_start = initial_time
        self.wall_start = clock()

    def due(self, t: float) -> float:
        """The wall-clock instant at which the event of SimPy time ``t`` may happen."""
        at = self.origin + t
        if self.speed is not None:
            at = max(at, self.wall_start + (t - self.sim_start) / self.speed)
        return at

    def step(self) -> None:
        t = self.peek()
        if t is Infinity:
            raise EmptySchedule
        due = self.due(t)
        while (delay := due - self.clock()) > 0:
            self.sleep(min(delay, 1.0))
        super().step()


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


class LeftOpen:
    """What an earlier run's log left open: its last time, members, calls in progress."""

    def __init__(self, path: Path):
        self.last_epoch: int | None = None
        self.members: dict[str, set[str]] = {}
        self.calls: dict[str, list] = {}  # key: [callid, queue, entered, position, agent, wait]
        self.entered = 0  # callers the log has seen: the next run numbers on (unique ids)
        if not path.exists():
            return
        with path.open(encoding="utf-8", errors="replace") as f:
            for text in f:
                try:
                    e = parse_queue_log_line(text.rstrip("\n"))
                except Malformed:
                    continue
                if e is None:
                    continue
                self.last_epoch = max(self.last_epoch or 0, int(e.epoch))
                if e.event == "ADDMEMBER":
                    self.members.setdefault(e.agent, set()).add(e.queue)
                elif e.event == "REMOVEMEMBER":
                    self.members.get(e.agent, set()).discard(e.queue)
                elif e.event == "ENTERQUEUE":
                    self.entered += 1
                    pos = e.data[2] if len(e.data) > 2 else 1
                    self.calls[e.call_key] = [e.callid, e.queue, int(e.epoch), pos, None, 0]
                elif e.event == "CONNECT" and e.call_key in self.calls:
                    self.calls[e.call_key][4:] = [e.agent, e.data[0] if e.data else 0]
                elif e.closes:
                    self.calls.pop(e.call_key, None)

    def close(self, log: QueueLogWriter) -> None:
        """End them as a restarted switch would, at the log's current time."""
        now = log.epoch()
        for callid, queue, entered, position, agent, wait in self.calls.values():
            if agent is None:
                log.write(callid, queue, "NONE", "EXITWITHTIMEOUT", 1, position, now - entered)
            else:
                talk = max(now - entered - int(float(wait or 0)), 0)
                log.write(callid, queue, agent, "COMPLETEAGENT", wait, talk, position)
        for agent, queues in sorted(self.members.items()):
            for q in sorted(queues):
                log.write("NONE", q, agent, "REMOVEMEMBER", "")


def day_start(tz) -> dt.datetime:
    """Today's midnight in ``tz``: the default start (the day's opening follows)."""
    return dt.datetime.combine(dt.datetime.now(tz).date(), dt.time(), tz)


def run_live(
    scenario: str | Scenario,
    queue_log: str | os.PathLike[str],
    *,
    speed: float | None = None,
    seed: int = 0,
    start: str | dt.datetime | None = None,
    hours: float | None = None,
    days: int = 7,
    clock=time.time,
    notes=None,
) -> int:
    """Play ``scenario`` into ``queue_log`` against the wall clock (see the module
    docstring); the number of lines written. ``notes`` receives what the user should know."""
    if speed is not None and not (speed > 0 and math.isfinite(speed)):
        raise LiveSimulationError(f"--speed must be a number > 0, not {speed}")
    s = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    tz = s.tz
    if start is None:
        at = day_start(tz)
    elif isinstance(start, str):
        try:
            at = dt.datetime.fromisoformat(start)
        except ValueError:
            raise LiveSimulationError(f"--start {start!r} is not an ISO time") from None
        at = at if at.tzinfo else at.replace(tzinfo=tz)
    else:
        at = start
    path = Path(queue_log)
    left = LeftOpen(path)
    if left.last_epoch is not None and left.last_epoch > at.timestamp():
        at = dt.datetime.fromtimestamp(left.last_epoch, tz)  # go on after the earlier run
        if notes is not None:
            notes(f"{path} goes on from its last event, {at:%Y-%m-%d %H:%M:%S %Z}")
    s = s.with_changes(start=at.astimezone(tz).date(), days=days, warmup_s=0.0, periods=())
    tl = s.timeline()
    origin = tl.start_instant.timestamp()
    t0 = at.timestamp() - origin
    opens = next_open_offset(tl, t0)
    if opens is None:
        raise LiveSimulationError(f"{s.name} is closed for the {days} days from {at:%Y-%m-%d}")
    if notes is not None and origin + opens > clock():
        when = dt.datetime.fromtimestamp(origin + opens, tz)
        notes(f"{s.name} is closed now: its day starts at {when:%Y-%m-%d %H:%M %Z}")
    env = WallClockEnvironment(min(t0, opens), origin, speed, clock=clock)
    log = QueueLogWriter(path, origin, env)
    centre = LiveCentre(s, env, log, seed)
    centre.calls = left.entered
    first = int(np.searchsorted(tl.starts_s, opens, side="right")) - 1

    def begin():
        yield env.timeout(0)  # written once the wall clock has reached the start
        left.close(log)
        log.write("NONE", "NONE", "NONE", "QUEUESTART", "")
        yield env.timeout(opens - env.now)
        env.process(centre.staffing(max(first, 0)))
        env.process(centre.arrivals(max(first, 0)))

    env.process(begin())
    until = tl.end_s if hours is None else min(tl.end_s, opens + hours * 3600)
    env.run(until=until)
    return log.lines
