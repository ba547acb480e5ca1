"""History: months of realistic contact-centre records generated from a scenario pack.

A demo, a notebook or a test needs a centre that looks lived in: a year of calls,
e-support tickets and staffing in which a manager can find the Sunday peak, the
month-start rush, Ramadan's shorter days, the public holidays when nobody answered, the
day the e-services portal went down and the week half the team had flu. This module
builds that history from a scenario pack (``data/scenarios/NAME.toml``): the scenario
itself (volume, caller categories, handling times, patience) plus its ``[history]``
table (public-holiday country, the ticket SLA, the staffing rule, month-start peaks,
Ramadan, incidents, ticket channels).

For every calendar month:

* **Calendar.** Weekends come from the opening hours; public holidays from the
  ``holidays`` package (through ``analytics.calendars.BusinessCalendar``) are closed;
  Ramadan (the Umm al-Qura month 9, from ``hijridate``) gets its own opening hours,
  intraday profile and volume; the first working days carry the month-start peak
  (the month's total stays the published one); incidents scale volume or staffing.
* **Staffing.** Each interval gets the fewest agents that Erlang C says meet the
  pack's ``staffing_target`` on that interval's expected calls (an incident's
  ``staffing_scale`` then removes some): this is what a planner would have rostered.
* **Calls.** One replication of the SimPy queue model (``simulation.queue.model``) over the
  month with that staffing: waits, answers and abandons come from the queue, never
  from random draws. Callers with short patience who meet a queue abandon early; that
  is where the seed's short abandons come from.
* **Tickets.** E-support (web) and SMS tickets arrive as Poisson streams (day and
  night, or only while open); first response and resolution are counted in working time
  on the centre's business calendar, the same clock as the ticket KPIs, and are bounded
  by the SLA (and a tighter bound for the latest weeks if the pack says so).
* **Walk-in visits.** A ticket channel with ``counters`` (a branch) is a queue like the
  calls: the month's visitors queue for the branch's counters in the SimPy model, and
  the first response is the instant a counter calls them (arrival + the simulated wait).
  A crowded branch has long waits because its visitors outnumber its counters, an empty
  one none because they do not. Visitors who give up leave without a first response
  (status ``abandoned``); those still waiting at closing are sent home (``turned_away``).

Every month has its own seed, spawned from (seed, year, month), so a month is the same
whether it is generated alone or inside a year, and ids (``<centre>-<YYYY-MM>-c<n>``)
are stable: re-generating replaces a month, never duplicates it.

``write_history`` stores the result: the centre's settings, then calls and tickets
through ``analytics.ingest.ingest_file`` (the same validation and idempotent merge as a
real export), then the staffing rows; rows of the generated months that the new run
does not produce any more (another seed) are removed.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analytics.clock import seconds_of_day
from analytics.periods import hijri_date
from analytics.records import CALL_COLUMNS, TICKET_COLUMNS
from simulation.queue.scenario import Period, Scenario, Staffing, Volume
from simulation.synthetic.pack import HistoryPack, TicketChannel

ProgressCallback = Callable[[str, int, int], None]  # (step, done, total)


# --------------------------------------------------------------------------- calendar


def month_days(year: int, month: int) -> list[dt.date]:
    return [dt.date(year, month, d) for d in range(1, calendar.monthrange(year, month)[1] + 1)]


def is_ramadan(day: dt.date) -> bool:
    """Whether ``day`` falls in Ramadan (Umm al-Qura month 9)."""
    hijri = hijri_date(day)
    return hijri is not None and hijri[1] == 9


@dataclass(frozen=True)
class DayPlan:
    """What one local date of the history looks like."""

    date: dt.date
    open: bool
    holiday: str | None = None
    ramadan: bool = False
    peak: float = 1.0  # month-start factor (renormalised over the month)
    ramadan_scale: float = 1.0  # Ramadan's calls, on top of the month's total
    incident_scale: float = 1.0  # an incident's calls: not in the planners' forecast
    staffing_scale: float = 1.0
    incident: str | None = None

    @property
    def volume_scale(self) -> float:
        """All of the day's volume factors but the month-start peak."""
        return self.ramadan_scale * self.incident_scale


def plan_month(pack: HistoryPack, year: int, month: int) -> list[DayPlan]:
    """The day-by-day plan of one month: closures, Ramadan, month-start peaks, incidents."""
    from analytics.calendars import BusinessCalendar

    scenario = pack.scenario
    business = BusinessCalendar(pack.centre())
    hours = scenario.opening_hours
    days = []
    for d in month_days(year, month):
        weekday_open = hours is None or bool(hours.get(d.isoweekday()))
        holiday = business.holiday(d) if weekday_open else None
        days.append(
            DayPlan(
                date=d,
                open=weekday_open and holiday is None,
                holiday=holiday,
                ramadan=pack.ramadan is not None and is_ramadan(d),
            )
        )
    working = [k for k, p in enumerate(days) if p.open]
    for rank, k in enumerate(working[: len(pack.month_start_peak)]):
        days[k] = replace(days[k], peak=pack.month_start_peak[rank])
    for k, p in enumerate(days):
        if p.ramadan and pack.ramadan is not None:
            days[k] = replace(p, ramadan_scale=pack.ramadan.volume_scale)
    for inc in pack.incidents:
        if inc.month != month:
            continue
        hit = [k for k in working if days[k].date.day >= inc.day][: inc.days]
        for k in hit:
            p = days[k]
            days[k] = replace(
                p,
                incident_scale=p.incident_scale * inc.volume_scale,
                staffing_scale=p.staffing_scale * inc.staffing_scale,
                incident=inc.name,
            )
    return days


def day_periods(
    pack: HistoryPack, plan: Sequence[DayPlan], volume_of: Callable[[DayPlan], float]
) -> tuple[Period, ...]:
    """The scenario periods of a month's plan: closed days, and open days whose volume
    factor (``volume_of``) is not 1 or that fall in Ramadan (its hours and profile)."""
    out = []
    for p in plan:
        if not p.open:
            out.append(Period(name=f"closed-{p.date}", first=p.date, last=p.date, closed=True))
            continue
        scale = volume_of(p)
        ramadan = pack.ramadan if p.ramadan else None
        if scale == 1.0 and ramadan is None:
            continue
        out.append(
            Period(
                name=f"day-{p.date}",
                first=p.date,
                last=p.date,
                opening_hours=None
                if ramadan is None
                else {d: ramadan.opening_hours for d in range(1, 8)},
                intraday=None if ramadan is None else ramadan.intraday,
                volume_scale=scale,
            )
        )
    return tuple(out)


def month_scenario(pack: HistoryPack, year: int, month: int) -> tuple[Scenario, np.ndarray]:
    """The scenario of one month with its staffing, and the agents scheduled per interval
    before incidents (agents available are in the scenario's ``per_interval``)."""
    base = pack.scenario
    plan = plan_month(pack, year, month)
    n_days = len(plan)

    def periods(volume_of: Callable[[DayPlan], float]) -> tuple[Period, ...]:
        return day_periods(pack, plan, volume_of)

    first = dt.date(year, month, 1)
    month_of = {"start": first, "days": n_days, "closed_dates": (), "warmup_s": 0.0}
    vol = base.volume
    # The month-start peaks move calls within the month: its total stays the published
    # one (calls_per_month x month factor); Ramadan and incidents come on top.
    draft = base.with_changes(periods=periods(lambda p: p.peak), **month_of)
    total = float(draft.timeline().expected.sum())
    scale = vol.scale
    if vol.calls_per_month is not None and total > 0:
        wanted = vol.calls_per_month * (vol.month_factors or {}).get(month, 1.0) * vol.scale
        scale = vol.scale * wanted / total
    volume = replace(vol, scale=scale)
    # Planners roster for the forecast (peaks, Ramadan), not for incidents nobody foresaw.
    forecast = base.with_changes(
        periods=periods(lambda p: p.peak * p.ramadan_scale), volume=volume, **month_of
    )
    ftl = forecast.timeline()
    scheduled = staffing_for(pack, ftl.expected.sum(axis=1), base.interval_s) * ftl.open
    staff_scale = np.repeat([p.staffing_scale for p in plan], base.intervals_per_day)
    available = np.where(staff_scale != 1.0, np.rint(scheduled * staff_scale), scheduled)
    scenario = base.with_changes(
        periods=periods(lambda p: p.peak * p.volume_scale),
        volume=volume,
        staffing=Staffing(per_interval=tuple(int(a) for a in available)),
        **month_of,
    )
    return scenario, scheduled


def staffing_for(pack: HistoryPack, calls: np.ndarray, interval_s: int) -> np.ndarray:
    """Agents per interval: the fewest meeting the pack's Erlang C target on each interval's
    expected calls (0 for no calls)."""
    cats = pack.scenario.categories
    shares = np.array([c.share or 0.0 for c in cats])
    shares = shares / shares.sum() if shares.sum() else np.full(len(cats), 1 / len(cats))
    aht = float(sum(s * c.aht_s for s, c in zip(shares, cats, strict=True)))
    return np.array(
        [_agents(round(float(c), 1), interval_s, aht, pack.staffing_target) for c in calls],
        dtype=np.int64,
    )


@lru_cache(maxsize=65536)
def _agents(calls: float, interval_s: int, aht_s: float, target: str) -> int:
    from simulation.formulas.erlang import required_agents

    if calls <= 0:
        return 0
    return int(required_agents(calls, interval_s, aht_s, targets=[target]) or 0)


# --------------------------------------------------------------------------- one month


@dataclass
class MonthHistory:
    """One generated month: canonical calls, tickets and staffing rows."""

    year: int
    month: int
    calls: pd.DataFrame
    tickets: pd.DataFrame
    staffing: pd.DataFrame
    days: list[DayPlan]

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def month_seed(seed: int, year: int, month: int) -> np.random.SeedSequence:
    """The seed sequence of one month: the same month gets the same numbers in any run."""
    return np.random.SeedSequence([int(seed), year, month])


def generate_month(
    pack: HistoryPack,
    year: int,
    month: int,
    seed: int = 0,
    *,
    latest_weeks_from: dt.datetime | None = None,
) -> MonthHistory:
    """Calls (the SimPy model), tickets and staffing of one calendar month.

    ``latest_weeks_from``: tickets created after this instant get the channels' tighter
    ``latest_max_wd`` bound (the "latest weeks" of the whole history).
    """
    from simulation.queue.model import run_replication

    calls_seq, tickets_seq = month_seed(seed, year, month).spawn(2)
    scenario, scheduled = month_scenario(pack, year, month)
    label = f"{year:04d}-{month:02d}"
    call_seed = int(calls_seq.generate_state(1, dtype=np.uint64)[0])
    records = run_replication(scenario, call_seed, call_id_prefix=f"{pack.centre_id}-{label}-c")
    calls = records[list(CALL_COLUMNS)].copy()
    for c in ("outcome", "category", "topic", "queue", "site", "channel", "agent_id"):
        calls[c] = calls[c].astype(object).where(calls[c].notna(), None)
    tl = scenario.timeline()
    interval_start = pd.DatetimeIndex(
        pd.Timestamp(scenario.start_instant) + pd.to_timedelta(tl.starts_s, unit="s")
    )
    opened = tl.open
    staffing = pd.DataFrame(
        {
            "interval_start": interval_start[opened],
            "interval_s": tl.lengths_s[opened].astype(np.int64),
            "agents_scheduled": scheduled[opened].astype(float),
            "agents_available": tl.agents[opened].astype(float),
        }
    )
    rng = np.random.default_rng(tickets_seq)
    plan = plan_month(pack, year, month)
    tickets = generate_tickets(pack, scenario, plan, rng, label, latest_weeks_from)
    return MonthHistory(year, month, calls, tickets, staffing, plan)


# --------------------------------------------------------------------------- tickets


class WorkingClock:
    """The centre's working clock as arrays: open seconds since the start of a range, and
    back from such a clock to an instant (the same clock as the ticket KPIs' SQL)."""

    def __init__(self, centre, first: dt.date, last: dt.date):
        from analytics.calendars import BusinessCalendar

        self.calendar = BusinessCalendar(centre)
        spans = self.calendar.work_spans(first, last)
        self.start = (
            spans.column("span_start").to_numpy().astype("datetime64[us]").astype(np.int64) / 1e6
        )
        self.length = spans.column("span_s").to_numpy()
        self.clock = spans.column("clock_s").to_numpy()
        self.full_day_s = self.calendar.full_day_s

    def at(self, epoch_s: np.ndarray) -> np.ndarray:
        """Working clock (s) at each instant (epoch seconds)."""
        i = np.searchsorted(self.start, epoch_s, side="right") - 1
        i = np.maximum(i, 0)
        return self.clock[i] + np.clip(epoch_s - self.start[i], 0.0, self.length[i])

    def instant(self, clock_s: np.ndarray) -> np.ndarray:
        """The instant (epoch seconds) at which the working clock reaches ``clock_s``."""
        ends = self.clock + self.length
        i = np.searchsorted(ends, clock_s, side="left")
        i = np.minimum(i, len(ends) - 1)
        # skip the zero-length sentinel so an instant lands inside an opening
        i = np.where(self.length[i] == 0, np.minimum(i + 1, len(ends) - 1), i)
        return self.start[i] + (clock_s - self.clock[i])


def _truncated_lognormal(
    rng: np.random.Generator, mean: float, sd: float, upper: np.ndarray
) -> np.ndarray:
    """Lognormal draws (given mean and sd) conditioned to fall below ``upper``."""
    from scipy import stats

    sigma2 = math.log1p((sd / mean) ** 2)
    mu, sigma = math.log(mean) - sigma2 / 2, math.sqrt(sigma2)
    dist = stats.lognorm(s=sigma, scale=math.exp(mu))
    u = rng.random(len(upper)) * dist.cdf(upper)
    return dist.ppf(np.maximum(u, 1e-12))


# long: every ticket channel of the month (always open or walk-in counters queued in SimPy)
# drawn in one loop sharing the working clock, the day plan and the random stream; the order of
# draws fixes the generated history
def generate_tickets(
    pack: HistoryPack,
    scenario: Scenario,
    plan: Sequence[DayPlan],
    rng: np.random.Generator,
    label: str,
    latest_weeks_from: dt.datetime | None = None,
) -> pd.DataFrame:
    """E-support, SMS and walk-in tickets of one month (working-time resolution)."""
    if not pack.tickets:
        return pd.DataFrame(columns=TICKET_COLUMNS)
    centre = pack.centre()
    tz = scenario.tz
    first, last = plan[0].date, plan[-1].date
    clock = WorkingClock(centre, first, last + dt.timedelta(days=60))
    midnights = np.array(
        [dt.datetime.combine(p.date, dt.time(0), tzinfo=tz).timestamp() for p in plan]
    )
    cats = scenario.categories
    shares = np.array([c.share or 0 for c in cats], dtype=float)
    shares = shares / shares.sum()
    frames = []
    for channel in pack.tickets:
        if channel.counters is not None:
            frames.append(
                counter_visits(
                    pack, channel, scenario, plan, clock, rng, latest_weeks_from=latest_weeks_from
                )
            )
            continue
        # Expected tickets per day: spread over every day ("always") or open days,
        # weighted by the scenario's day-of-week weights.
        dow = scenario.volume.day_of_week or {}
        if channel.hours == "always":
            weights = np.array([dow.get(p.date.isoweekday(), 0.5) for p in plan])
        else:
            weights = np.array([dow.get(p.date.isoweekday(), 1.0) if p.open else 0 for p in plan])
        weights = weights * np.array([p.volume_scale for p in plan])
        if weights.sum() == 0:
            continue
        counts = rng.poisson(channel.per_month * weights / weights.sum())
        day_index = np.repeat(np.arange(len(plan)), counts)
        n = len(day_index)
        if channel.hours == "always":
            # A day-time hump: most web tickets are written between 08:00 and 23:00.
            hour = np.clip(rng.normal(14.0, 4.5, n), 0, 23.999)
            offset = hour * 3600
        else:
            offset = np.empty(n)
            for k in np.unique(day_index):
                sel = day_index == k
                spans = clock.calendar.opening_spans(plan[k].date)
                if plan[k].ramadan and pack.ramadan is not None:
                    spans = [
                        (
                            dt.datetime.combine(plan[k].date, dt.time(0), tzinfo=tz)
                            + dt.timedelta(seconds=seconds_of_day(a, "")),
                            dt.datetime.combine(plan[k].date, dt.time(0), tzinfo=tz)
                            + dt.timedelta(seconds=seconds_of_day(b, "")),
                        )
                        for a, b in pack.ramadan.opening_hours
                    ]
                lo, hi = spans[0][0].timestamp(), spans[-1][1].timestamp()
                offset[sel] = lo - midnights[k] + rng.random(sel.sum()) * (hi - lo)
        created = np.sort(midnights[day_index] + offset)
        c_clock = clock.at(created)
        first_wh = channel.first_response_wh.sample(rng, n)
        upper = np.full(n, channel.max_wd)
        if channel.latest_max_wd is not None and latest_weeks_from is not None:
            upper = np.where(created >= latest_weeks_from.timestamp(), channel.latest_max_wd, upper)
        resolution_wd = _truncated_lognormal(
            rng, channel.resolution_mean_wd, channel.resolution_sd_wd, upper
        )
        resolution_s = resolution_wd * clock.full_day_s
        first_wh = np.minimum(first_wh, resolution_s)
        first_at = clock.instant(c_clock + first_wh)
        resolved_at = clock.instant(c_clock + resolution_s)
        cat = rng.choice(len(cats), size=n, p=shares)
        topic = np.empty(n, dtype=object)
        for j, c in enumerate(cats):
            sel = cat == j
            if c.topics:
                names = [t for t, _ in c.topics]
                p = np.array([s for _, s in c.topics])
                topic[sel] = np.array(names, dtype=object)[
                    rng.choice(len(names), size=sel.sum(), p=p / p.sum())
                ]
        default_site = scenario.sites[0][0] if scenario.sites else None
        site = np.full(n, channel.site or default_site, dtype=object)
        frames.append(
            pd.DataFrame(
                {
                    "created_at": created,
                    "first_response_at": first_at,
                    "resolved_at": resolved_at,
                    "category": np.array([c.name for c in cats], dtype=object)[cat],
                    "topic": topic,
                    "channel": channel.channel,
                    "site": site,
                    "status": "resolved",
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=TICKET_COLUMNS)
    t = pd.concat(frames, ignore_index=True).sort_values("created_at", kind="stable")
    t = t.reset_index(drop=True)
    now = time.time()
    still_open = t["resolved_at"] > now  # a history reaching today has tickets in progress
    t.loc[still_open, "resolved_at"] = np.nan
    t.loc[t["first_response_at"] > now, "first_response_at"] = np.nan

    def stamp(col: str) -> pd.Series:
        return pd.to_datetime(t[col], unit="s", utc=True).dt.tz_convert(scenario.timezone)

    out = pd.DataFrame(
        {
            "ticket_id": [f"{pack.centre_id}-{label}-t{k}" for k in range(len(t))],
            "created_at": stamp("created_at"),
            "first_response_at": stamp("first_response_at"),
            "resolved_at": stamp("resolved_at"),
            "status": np.where(still_open, "open", t["status"]),
            "category": t["category"],
            "topic": t["topic"],
            "channel": t["channel"],
            "priority": "normal",
            "site": t["site"],
            "agent_id": None,
        },
        columns=TICKET_COLUMNS,
    )
    return out


def counter_scenario(
    pack: HistoryPack, channel: TicketChannel, scenario: Scenario, plan: Sequence[DayPlan]
) -> Scenario:
    """A branch's counters in one month as a scenario of the queue model.

    Visitors arrive over the month's opening hours (Ramadan's too) like calls do: the
    channel's ``per_month`` spread by the scenario's day-of-week weights and the channel's
    intraday profile (else the scenario's), the month-start peak moving visits within the
    month, Ramadan and incidents on top. They are the scenario's caller categories (shares
    and topics) with the counter's ``service`` time and their ``patience``; ``counters``
    serve them while the branch is open. The month ``scenario`` gives the calendar.
    """
    assert channel.counters is not None and channel.service is not None
    base = pack.scenario
    volume = Volume(
        calls_per_month=channel.per_month,
        day_of_week=base.volume.day_of_week,
        intraday=channel.intraday if channel.intraday is not None else base.volume.intraday,
    )
    visitors = tuple(
        replace(c, talk=channel.service, hold=None, acw=None, patience=channel.patience)
        for c in base.categories
    )
    site = channel.site or (base.sites[0][0] if base.sites else None)
    branch = scenario.with_changes(
        categories=visitors,
        volume=volume,
        staffing=Staffing(agents=channel.counters),
        periods=day_periods(pack, plan, lambda p: p.peak),
        sites=((site, 1.0),) if site else (),
        channels=((channel.channel, 1.0),),
        targets=(),
    )
    # The month-start peak moves visits within the month; its total stays per_month.
    total = float(branch.timeline().expected.sum())
    scale = channel.per_month / total if total > 0 else 1.0
    return branch.with_changes(
        volume=replace(volume, scale=scale),
        periods=day_periods(pack, plan, lambda p: p.peak * p.volume_scale),
    )


def counter_visits(
    pack: HistoryPack,
    channel: TicketChannel,
    scenario: Scenario,
    plan: Sequence[DayPlan],
    clock: WorkingClock,
    rng: np.random.Generator,
    *,
    latest_weeks_from: dt.datetime | None = None,
) -> pd.DataFrame:
    """One branch's walk-in visits of a month, queued for its counters in the SimPy model.

    A visitor called to a counter gets the first response at that instant (arrival + the
    simulated wait); the case is resolved after the channel's drawn working-day resolution,
    but never before the visit at the counter ends. A visitor whose patience runs out
    leaves: status ``abandoned``, no first response, closed (``resolved_at``) when they
    left, as a queue-ticket system closes a number nobody answers to. Visitors still
    waiting at closing time are sent home: status ``turned_away``, closed at closing time.
    """
    from simulation.queue.model import ABANDONED, ANSWERED, simulate_calls

    branch = counter_scenario(pack, channel, scenario, plan)
    arrivals, counters = simulate_calls(branch, int(rng.integers(2**63)))
    origin = branch.start_instant.timestamp()
    n = len(arrivals.times)
    created = origin + arrivals.times
    outcome = np.asarray(counters.outcome, dtype=np.int8)
    served = outcome == ANSWERED
    left = outcome == ABANDONED
    first_at = origin + np.asarray(counters.answered_at, dtype=float)  # NaN: never called
    ended = origin + np.asarray(counters.ended_at, dtype=float)
    ended[left] = created[left] + arrivals.patience[left]
    upper = np.full(n, channel.max_wd)
    if channel.latest_max_wd is not None and latest_weeks_from is not None:
        upper = np.where(created >= latest_weeks_from.timestamp(), channel.latest_max_wd, upper)
    resolution_s = (
        _truncated_lognormal(rng, channel.resolution_mean_wd, channel.resolution_sd_wd, upper)
        * clock.full_day_s
    )
    resolved_at = np.where(
        served, np.maximum(clock.instant(clock.at(created) + resolution_s), ended), ended
    )
    names = np.array([c.name for c in branch.categories], dtype=object)
    topic_names = np.array(arrivals.topic_names + [None], dtype=object)
    return pd.DataFrame(
        {
            "created_at": created,
            "first_response_at": np.where(served, first_at, np.nan),
            "resolved_at": resolved_at,
            "category": names[arrivals.category],
            "topic": topic_names[arrivals.topic],  # -1 (no topics) picks None
            "channel": channel.channel,
            "site": branch.sites[0][0] if branch.sites else None,
            "status": np.where(served, "resolved", np.where(left, "abandoned", "turned_away")),
        }
    )


# --------------------------------------------------------------------------- many months


def month_range(start: tuple[int, int], months: int) -> list[tuple[int, int]]:
    """``months`` calendar months from ``start`` (year, month)."""
    if months < 1:
        raise ValueError(f"months: {months!r} must be >= 1")
    y, m = start
    out = []
    for _ in range(months):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def latest_weeks_start(pack: HistoryPack, last: tuple[int, int]) -> dt.datetime | None:
    """The instant from which the "latest weeks" of a history ending in ``last`` run."""
    weeks = max((t.latest_weeks for t in pack.tickets if t.latest_max_wd is not None), default=0)
    if not weeks:
        return None
    y, m = last
    end = dt.date(y, m, calendar.monthrange(y, m)[1]) + dt.timedelta(days=1)
    return dt.datetime.combine(end - dt.timedelta(weeks=weeks), dt.time(0), tzinfo=pack.scenario.tz)


def generate_history(
    pack: HistoryPack,
    start: tuple[int, int],
    months: int,
    seed: int = 0,
    progress: ProgressCallback | None = None,
) -> list[MonthHistory]:
    """``months`` months of history from ``start`` (year, month)."""
    plan = month_range(start, months)
    latest = latest_weeks_start(pack, plan[-1])
    out = []
    for k, (y, m) in enumerate(plan):
        out.append(generate_month(pack, y, m, seed, latest_weeks_from=latest))
        if progress:
            progress(f"{pack.centre_id} {y:04d}-{m:02d}", k + 1, len(plan))
    return out


@dataclass
class WriteSummary:
    centre_id: str
    first_month: str
    last_month: str
    calls: int
    tickets: int
    staffing_rows: int
    calls_loaded: int
    calls_updated: int
    calls_unchanged: int
    removed: int
    seconds: float

    def as_record(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _month_bounds(pack: HistoryPack, history: Sequence[MonthHistory]) -> tuple:
    tz = pack.scenario.tz
    first = dt.datetime(history[0].year, history[0].month, 1, tzinfo=tz)
    y, m = month_range((history[-1].year, history[-1].month), 2)[1]
    return first, dt.datetime(y, m, 1, tzinfo=tz)


def arrow_table(frame: pd.DataFrame):
    """``frame`` as an Arrow table (no index), its time-zone-aware columns converted
    through their UTC values: ``pa.Table.from_pandas`` reads them through
    ``Series.values``, which pandas 3.1 deprecates (Pandas4Warning)."""
    import pyarrow as pa

    columns = {}
    for name in frame.columns:
        col = frame[name]
        if isinstance(col.dtype, pd.DatetimeTZDtype):
            kind = pa.timestamp(col.dtype.unit, tz=str(col.dtype.tz))
            columns[name] = pa.array(col.dt.tz_convert(None).to_numpy(), type=kind)
        else:
            columns[name] = pa.Array.from_pandas(col)
    return pa.table(columns)


def write_history(store, pack: HistoryPack, history: Sequence[MonthHistory]) -> WriteSummary:
    """Store generated months: centre settings, calls and tickets through the ingest
    (validated, idempotent merge), staffing rows; rows of these months that this run
    did not generate (an earlier run with another seed) are removed."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from analytics.calendars import registered
    from analytics.call_log import changing_calls, save_centre
    from analytics.ingest import ingest_file
    from analytics.labels import save_labels

    started = time.perf_counter()
    first, end = _month_bounds(pack, history)
    calls = pd.concat([h.calls for h in history], ignore_index=True)
    tickets = pd.concat([h.tickets for h in history], ignore_index=True)
    staffing = pd.concat([h.staffing for h in history], ignore_index=True)
    cid = pack.centre_id
    label = f"{history[0].label}..{history[-1].label}"
    # One write: a reader sees the months as they were or as generated, never half.
    with (
        store.writer() as con,
        tempfile.TemporaryDirectory(prefix="cca-generate-", dir=store.path.parent) as tmp,
    ):
        save_centre(con, pack.centre())
        save_labels(con, cid, pack.scenario.labels)
        ids = pa.table({"id": pa.array(calls["call_id"].astype(str).tolist())})
        tids = pa.table({"id": pa.array(tickets["ticket_id"].astype(str).tolist())})
        with (
            registered(con, ids=ids, tids=tids) as names,
            changing_calls(con, cid) as stored_calls,  # rebuilds the removed calls' rollup
        ):
            removed = stored_calls.delete(
                f"arrived_at >= ? AND arrived_at < ? AND call_id NOT IN (SELECT id FROM "
                f"{names['ids']})",
                [first, end],
            )
            removed += con.execute(
                f"DELETE FROM tickets WHERE centre_id = ? AND created_at >= ? AND created_at < ? "
                f"AND ticket_id NOT IN (SELECT id FROM {names['tids']})",
                [cid, first, end],
            ).fetchall()[0][0]
        con.execute(
            "DELETE FROM staffing WHERE centre_id = ? AND interval_start >= ? "
            "AND interval_start < ?",
            [cid, first, end],
        )
        rows = arrow_table(staffing)
        with registered(con, rows=rows) as names:
            con.execute(
                f"""INSERT INTO staffing (centre_id, interval_start, interval_s, queue, site,
                        agents_scheduled, agents_available)
                    SELECT ?, interval_start, interval_s, '', '', agents_scheduled,
                           agents_available FROM {names["rows"]}""",
                [cid],
            )
        calls_path = Path(tmp) / f"{cid}_{label}_calls.parquet"
        tickets_path = Path(tmp) / f"{cid}_{label}_tickets.parquet"
        pq.write_table(arrow_table(calls), calls_path)
        pq.write_table(arrow_table(tickets), tickets_path)
        result = ingest_file(store, "calls", calls_path, cid, writer=con)
        ingest_file(store, "tickets", tickets_path, cid, writer=con)
    return WriteSummary(
        centre_id=cid,
        first_month=history[0].label,
        last_month=history[-1].label,
        calls=len(calls),
        tickets=len(tickets),
        staffing_rows=len(staffing),
        calls_loaded=result.loaded,
        calls_updated=result.updated,
        calls_unchanged=result.duplicate,
        removed=int(removed),
        seconds=time.perf_counter() - started,
    )
