"""Scenarios: everything the queue model needs to know about one contact centre.

A planner's "what if" is a scenario: when the centre is open (per weekday, in its time
zone), how many calls arrive (a monthly or daily volume shaped by day-of-week and intraday
profiles, or explicit calls per interval), who calls (caller categories with their shares,
topic mixes, priority, handling-time and patience distributions), how many agents are on
shift (a constant, per interval, or shifts), which targets count (service-level thresholds
T, short-abandon threshold S, goals such as ``sl_offered_12>=0.8``) and over which days.

Scenarios are frozen dataclasses, read from TOML (``data/scenarios/NAME.toml``) and
validated at the door: a bad file fails with a ``ValueError`` naming the file and the field
(the TOML format, its reader and its writer: ``simulation.queue.scenario_file``).
``Scenario.timeline()`` turns the calendar into arrays over the simulated intervals (start
offsets, expected calls per interval and category, agents, open or closed), which the
model, the staffing optimiser and the calibration share.

Callers still waiting when the centre closes are told so by the system: their outcome is
``timeout`` and their wait ends at closing time (callers whose patience ran out earlier
abandoned as usual). Calls being handled at closing are finished. At the end of the
horizon the system is followed until it empties if the centre is open then.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np

from analytics.clock import seconds_of_day
from simulation.queue.distributions import Distribution, Exponential, Fixed

WEEKDAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}
WEEKDAY_NAMES = {v: k for k, v in WEEKDAYS.items()}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$")


def open_runs(is_open: Sequence[bool] | np.ndarray) -> list[tuple[int, int]]:
    """Maximal runs of open intervals as (first, last) indices, both included."""
    runs: list[tuple[int, int]] = []
    i, n = 0, len(is_open)
    while i < n:
        if is_open[i]:
            j = i
            while j + 1 < n and is_open[j + 1]:
                j += 1
            runs.append((i, j))
            i = j + 1
        else:
            i += 1
    return runs


def _check_profile(values: Any, n: int, where: str, integer: bool = False) -> tuple:
    if not isinstance(values, (list, tuple)) or len(values) != n:
        got = len(values) if isinstance(values, (list, tuple)) else type(values).__name__
        raise ValueError(f"{where}: needs {n} values (one per interval from midnight), got {got}")
    out = []
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 or not math.isfinite(v):
            raise ValueError(f"{where}[{i}]: {v!r} is not a number >= 0")
        if integer and int(v) != v:
            raise ValueError(f"{where}[{i}]: agents must be whole numbers, not {v!r}")
        out.append(int(v) if integer else float(v))
    return tuple(out)


@dataclass(frozen=True)
class Category:
    """A caller category: its share of the volume, topics, priority and durations (s)."""

    name: str
    talk: Distribution
    patience: Distribution
    hold: Distribution | None = None
    acw: Distribution | None = None
    share: float | None = None
    priority: int = 0
    topics: tuple[tuple[str, float], ...] = ()
    queue: str = "main"
    # calls per interval from local midnight per ISO weekday, instead of a share
    rates_by_weekday: Mapping[int, tuple[float, ...]] | None = None

    def __post_init__(self) -> None:
        where = f"categories.{self.name}"
        if not _NAME.match(self.name):
            raise ValueError(f"{where}: use letters, digits, '_' or '-' in category names")
        for part in ("talk", "hold", "acw"):
            d = getattr(self, part)
            if d is not None and not math.isfinite(d.mean_s):
                raise ValueError(f"{where}.{part}: handling times must be finite")
        if self.share is not None and not (0 <= self.share <= 1):
            raise ValueError(f"{where}.share: {self.share!r} is not between 0 and 1")
        if isinstance(self.priority, bool) or not isinstance(self.priority, int):
            raise ValueError(f"{where}.priority: {self.priority!r} is not a whole number")
        if self.topics:
            total = sum(s for _, s in self.topics)
            if abs(total - 1) > 1e-6 or any(s < 0 for _, s in self.topics):
                raise ValueError(f"{where}.topics: shares must be >= 0 and add up to 1")

    @property
    def aht_s(self) -> float:
        """Mean handling time: talk + hold + after-call work (seconds)."""
        return sum(d.mean_s for d in (self.talk, self.hold, self.acw) if d is not None)


@dataclass(frozen=True)
class Volume:
    """How many calls arrive: a monthly or daily volume shaped by profiles, or explicit rates."""

    calls_per_month: float | None = None
    calls_per_day: float | None = None
    rates_by_weekday: Mapping[int, tuple[float, ...]] | None = None
    day_of_week: Mapping[int, float] | None = None  # ISO weekday -> relative weight
    day_of_month: Mapping[int, float] | None = None  # 1..31 -> multiplier (month-start peaks)
    intraday: Mapping[str, float] | None = None  # "HH:MM" -> weight of that interval
    month_factors: Mapping[int, float] | None = None  # calendar month 1..12 -> multiplier
    scale: float = 1.0

    def __post_init__(self) -> None:
        given = [
            k
            for k in ("calls_per_month", "calls_per_day", "rates_by_weekday")
            if getattr(self, k) is not None
        ]
        if len(given) > 1:
            raise ValueError(
                f"volume: give one of calls_per_month, calls_per_day or "
                f"rates_by_weekday, not {' and '.join(given)}"
            )
        for k in ("calls_per_month", "calls_per_day"):
            v = getattr(self, k)
            if v is not None and not (math.isfinite(v) and v >= 0):
                raise ValueError(f"volume.{k}: {v!r} is not a number >= 0")
        if not (math.isfinite(self.scale) and self.scale >= 0):
            raise ValueError(f"volume.scale: {self.scale!r} is not a number >= 0")
        for name in ("day_of_week", "day_of_month", "intraday", "month_factors"):
            table = getattr(self, name) or {}
            for k, v in table.items():
                if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
                    raise ValueError(f"volume.{name}.{k}: {v!r} is not a number >= 0")
        if any(not (isinstance(k, int) and 1 <= k <= 31) for k in self.day_of_month or {}):
            raise ValueError("volume.day_of_month: keys must be days of the month 1 … 31")
        if self.rates_by_weekday is not None and (
            self.day_of_week or self.intraday or self.day_of_month
        ):
            raise ValueError(
                "volume: day_of_week and intraday shape a calls_per_* volume; "
                "rates_by_weekday already gives calls per interval"
            )

    @property
    def is_total(self) -> bool:
        return any(
            getattr(self, k) is not None
            for k in ("calls_per_month", "calls_per_day", "rates_by_weekday")
        )


@dataclass(frozen=True)
class Shift:
    """``agents`` agents on ``days`` from ``start`` to ``end`` (local HH:MM; end < start wraps)."""

    days: tuple[int, ...]
    start: str
    end: str
    agents: int

    def __post_init__(self) -> None:
        if not self.days:
            raise ValueError("staffing.shifts: a shift needs days")
        seconds_of_day(self.start, "staffing.shifts.start")
        seconds_of_day(self.end, "staffing.shifts.end")
        if self.start == self.end:
            raise ValueError(f"staffing.shifts: shift {self.start}-{self.end} is empty")
        if isinstance(self.agents, bool) or not isinstance(self.agents, int) or self.agents < 0:
            raise ValueError(f"staffing.shifts.agents: {self.agents!r} is not a whole number >= 0")


@dataclass(frozen=True)
class Staffing:
    """Agents on shift: a constant, a weekly pattern per interval, shifts, or explicit
    agents for every interval of the horizon (``per_interval``, as the optimiser writes)."""

    agents: int | None = None
    agents_by_weekday: Mapping[int, tuple[int, ...]] | None = None
    shifts: tuple[Shift, ...] = ()
    per_interval: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        given = [
            k
            for k in ("agents", "agents_by_weekday", "shifts", "per_interval")
            if getattr(self, k) not in (None, ())
        ]
        if len(given) != 1:
            raise ValueError(
                "staffing: give exactly one of agents, agents_by_weekday, shifts or "
                f"per_interval (got {', '.join(given) or 'none'})"
            )
        if self.agents is not None and (
            isinstance(self.agents, bool) or not isinstance(self.agents, int) or self.agents < 0
        ):
            raise ValueError(f"staffing.agents: {self.agents!r} is not a whole number >= 0")


@dataclass(frozen=True)
class Period:
    """Dates (``first`` to ``last``, inclusive) that differ from the usual week: Ramadan's
    shorter hours and shifted intraday profile, a public holiday (``closed``), an
    understaffed week (``staffing_scale``), a campaign (``volume_scale``). When periods
    overlap, the last one listed wins."""

    name: str
    first: dt.date
    last: dt.date
    opening_hours: Mapping[int, tuple[tuple[str, str], ...]] | None = None  # replaces the week's
    intraday: Mapping[str, float] | None = None  # replaces volume.intraday on these dates
    volume_scale: float = 1.0  # multiplies the expected calls of these dates
    staffing_scale: float = 1.0  # multiplies agents on shift (rounded to whole agents)
    closed: bool = False

    def __post_init__(self) -> None:
        where = f"periods.{self.name}"
        if not isinstance(self.first, dt.date) or not isinstance(self.last, dt.date):
            raise ValueError(f"{where}: from and to must be dates like 2025-03-01")
        if self.last < self.first:
            raise ValueError(f"{where}: to ({self.last}) is before from ({self.first})")
        for key in ("volume_scale", "staffing_scale"):
            v = getattr(self, key)
            if not (math.isfinite(v) and v >= 0):
                raise ValueError(f"{where}.{key}: {v!r} is not a number >= 0")
        for k, v in (self.intraday or {}).items():
            seconds_of_day(k, f"{where}.intraday.{k}")
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
                raise ValueError(f"{where}.intraday.{k}: {v!r} is not a number >= 0")

    def covers(self, day: dt.date) -> bool:
        return self.first <= day <= self.last


@dataclass(frozen=True)
class Timeline:
    """The scenario's calendar as arrays over its intervals (warm-up days first).

    Offsets are seconds from the scenario's start instant (local midnight of ``start``);
    warm-up intervals have negative offsets. ``expected`` is calls per interval per
    category (columns in the order of ``Scenario.categories``).
    """

    start_instant: dt.datetime
    starts_s: np.ndarray  # float64, interval start offsets (s)
    lengths_s: np.ndarray  # float64 (s)
    open: np.ndarray  # bool
    expected: np.ndarray  # float64 (n_intervals, n_categories), calls per interval
    agents: np.ndarray  # int64 agents on shift per interval
    first_recorded: int  # index of the first interval of the horizon (after warm-up days)

    @property
    def end_s(self) -> float:
        return float(self.starts_s[-1] + self.lengths_s[-1])

    def open_periods(self) -> list[tuple[float, float]]:
        """Maximal runs of open intervals as (open_s, close_s) offsets."""
        return [
            (float(self.starts_s[i]), float(self.starts_s[j] + self.lengths_s[j]))
            for i, j in open_runs(self.open)
        ]


@dataclass(frozen=True)
class Scenario:
    """One simulated contact centre over ``days`` local days from ``start``."""

    name: str
    categories: tuple[Category, ...]
    staffing: Staffing
    volume: Volume = field(default_factory=Volume)
    centre_id: str = ""
    timezone: str = "UTC"
    start: dt.date = dt.date(2024, 1, 1)
    days: int = 7
    interval_s: int = 1800
    # ISO weekday -> (("HH:MM", "HH:MM"), ...); None = open around the clock
    opening_hours: Mapping[int, tuple[tuple[str, str], ...]] | None = None
    closed_dates: tuple[dt.date, ...] = ()
    periods: tuple[Period, ...] = ()
    thresholds_s: tuple[float, ...] = (12.0, 30.0)
    short_abandon_s: float = 5.0
    targets: tuple[
        str, ...
    ] = ()  # e.g. "sl_offered_12>=0.8" (simulation.formulas.erlang.parse_target)
    sites: tuple[tuple[str, float], ...] = ()
    channels: tuple[tuple[str, float], ...] = (("phone", 1.0),)
    warmup_s: float = 0.0  # simulated before the start instant, not recorded
    description: str = ""
    # display names of codes, {dimension: {code: {lang: label}}} (analytics.labels)
    labels: Mapping[str, Mapping[str, Mapping[str, str]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"name: {self.name!r}: use letters, digits, '_' or '-'")
        if not self.centre_id:
            object.__setattr__(self, "centre_id", self.name.lower())
        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"timezone: unknown time zone {self.timezone!r}") from None
        if not isinstance(self.start, dt.date) or isinstance(self.start, dt.datetime):
            raise ValueError(f"start: {self.start!r} is not a date like 2024-09-01")
        if isinstance(self.days, bool) or not isinstance(self.days, int) or self.days < 1:
            raise ValueError(f"days: {self.days!r} is not a whole number >= 1")
        if (
            isinstance(self.interval_s, bool)
            or not isinstance(self.interval_s, int)
            or self.interval_s < 60
            or 86400 % self.interval_s
        ):
            raise ValueError(
                f"interval_s: {self.interval_s!r} must be a whole number of seconds >= 60 "
                "that divides a day (900, 1800, 3600, …)"
            )
        if not self.categories:
            raise ValueError("categories: a scenario needs at least one caller category")
        names = [c.name for c in self.categories]
        if len(set(names)) != len(names):
            raise ValueError("categories: category names must be unique")
        if not self.thresholds_s or any(t < 0 for t in self.thresholds_s):
            raise ValueError("thresholds_s: must be a non-empty list of seconds >= 0")
        if not (self.short_abandon_s >= 0):
            raise ValueError(f"short_abandon_s: {self.short_abandon_s!r} must be >= 0")
        if not (math.isfinite(self.warmup_s) and self.warmup_s >= 0):
            raise ValueError(f"warmup_s: {self.warmup_s!r} must be >= 0")
        if self.targets:  # (the Erlang module brings scipy: only when there is one)
            from simulation.formulas.erlang import parse_target
        for target in self.targets:
            try:
                parse_target(target)
            except ValueError as exc:
                raise ValueError(f"targets: {exc}") from None
        if not self.channels:
            raise ValueError("mix.channel: at least one channel")
        self._check_opening_hours()
        self._check_volume()
        self._check_staffing()

    # --- validation -------------------------------------------------------------------

    @property
    def intervals_per_day(self) -> int:
        return 86400 // self.interval_s

    def _check_opening_hours(self) -> None:
        tables = [("opening_hours", self.opening_hours)] + [
            (f"periods.{p.name}.opening_hours", p.opening_hours) for p in self.periods
        ]
        for name, hours in tables:
            self._check_hours(name, hours)

    def _check_hours(self, name: str, hours) -> None:
        if hours is None:
            return
        for day, spans in hours.items():
            if day not in WEEKDAY_NAMES:
                raise ValueError(f"{name}: {day!r} is not an ISO weekday 1..7")
            where = f"{name}.{WEEKDAY_NAMES[day]}"
            for start, end in spans:
                a, b = seconds_of_day(start, where), seconds_of_day(end, where)
                if a >= b:
                    raise ValueError(f"{where}: {start}-{end} does not start before it ends")
                if a % self.interval_s or b % self.interval_s:
                    raise ValueError(
                        f"{where}: {start}-{end} does not fall on {self.interval_s // 60}-minute "
                        "interval boundaries (interval_s)"
                    )

    def _check_volume(self) -> None:
        n = self.intervals_per_day
        per_category = [c.rates_by_weekday is not None for c in self.categories]
        if self.volume.is_total:
            if any(per_category):
                raise ValueError(
                    "categories: give rates_by_weekday per category or a total [volume], not both"
                )
            shares = [c.share for c in self.categories]
            if any(s is None for s in shares):
                missing = [c.name for c in self.categories if c.share is None]
                raise ValueError(f"categories.{missing[0]}.share: needed to split the volume")
            if abs(sum(shares) - 1) > 1e-6:
                raise ValueError(f"categories: shares add up to {sum(shares):g}, not 1")
        elif not all(per_category):
            raise ValueError(
                "volume: give calls_per_month, calls_per_day or rates_by_weekday "
                "(or rates_by_weekday in every category)"
            )
        tables = [("volume.rates_by_weekday", self.volume.rates_by_weekday)] + [
            (f"categories.{c.name}.rates_by_weekday", c.rates_by_weekday) for c in self.categories
        ]
        for where, table in tables:
            for day, rates in (table or {}).items():
                _check_profile(rates, n, f"{where}.{WEEKDAY_NAMES[day]}")
                for slot, r in enumerate(rates):
                    if r > 0 and not self._slot_open(day, slot):
                        raise ValueError(
                            f"{where}.{WEEKDAY_NAMES[day]}[{slot}]: {r:g} calls at "
                            f"{self._slot_label(slot)}, but the centre is closed then"
                        )
        for key in self.volume.intraday or {}:
            seconds_of_day(key, f"volume.intraday.{key}")
        profiles = [("volume.intraday", self.volume.intraday, self.opening_hours, "")]
        for p in self.periods:
            hours = self.opening_hours if p.opening_hours is None else p.opening_hours
            if p.intraday is not None:
                profiles.append((f"periods.{p.name}.intraday", p.intraday, hours, ""))
            elif p.opening_hours is not None:
                profiles.append(("volume.intraday", self.volume.intraday, hours, f" in {p.name}"))
        for where, intraday, hours, during in profiles:
            if not intraday:
                continue
            for day in range(1, 8):
                for slot in range(n):
                    label = self._slot_label(slot)
                    if self._slot_open(day, slot, hours) and label not in intraday:
                        raise ValueError(
                            f"{where}: no weight for {label}, open on {WEEKDAY_NAMES[day]}{during}"
                        )
        if self.volume.day_of_week:
            for day in range(1, 8):
                if self._day_open(day) and day not in self.volume.day_of_week:
                    raise ValueError(
                        f"volume.day_of_week: no weight for {WEEKDAY_NAMES[day]}, an open day"
                    )

    def _check_staffing(self) -> None:
        st = self.staffing
        for day, agents in (st.agents_by_weekday or {}).items():
            _check_profile(
                agents,
                self.intervals_per_day,
                f"staffing.agents_by_weekday.{WEEKDAY_NAMES[day]}",
                integer=True,
            )
        if st.per_interval is not None:
            _check_profile(
                st.per_interval,
                self.days * self.intervals_per_day,
                "staffing.per_interval",
                integer=True,
            )
        for shift in st.shifts:
            for t in (shift.start, shift.end):
                if seconds_of_day(t, "staffing.shifts") % self.interval_s:
                    raise ValueError(
                        f"staffing.shifts: {shift.start}-{shift.end} is not on interval boundaries"
                    )

    def _slot_label(self, slot: int) -> str:
        s = slot * self.interval_s
        return f"{s // 3600:02d}:{s % 3600 // 60:02d}"

    def _slot_open(self, day: int, slot: int, hours=...) -> bool:
        if hours is ...:
            hours = self.opening_hours
        if hours is None:
            return True
        a = slot * self.interval_s
        for start, end in hours.get(day, ()):
            if seconds_of_day(start, "") <= a < seconds_of_day(end, ""):
                return True
        return False

    def _day_open(self, day: int) -> bool:
        return self.opening_hours is None or bool(self.opening_hours.get(day))

    def period_on(self, day: dt.date) -> Period | None:
        """The period that applies on ``day`` (the last listed that covers it), if any."""
        found = None
        for p in self.periods:
            if p.covers(day):
                found = p
        return found

    def _date_hours(self, day: dt.date):
        p = self.period_on(day)
        return self.opening_hours if p is None or p.opening_hours is None else p.opening_hours

    def _date_open(self, day: dt.date) -> bool:
        """Whether the centre opens at all on this local date."""
        p = self.period_on(day)
        if day in self.closed_dates or (p is not None and p.closed):
            return False
        hours = self._date_hours(day)
        return hours is None or bool(hours.get(day.isoweekday()))

    # --- derived ----------------------------------------------------------------------

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def start_instant(self) -> dt.datetime:
        """Local midnight of ``start`` as an aware datetime: the simulation's time 0."""
        return dt.datetime.combine(self.start, dt.time(0), tzinfo=self.tz)

    def centre(self):
        """The ``analytics.centres.Centre`` whose KPI settings this scenario uses."""
        from analytics.centres import Centre

        hours = self.opening_hours
        if hours is None:
            hours = {d: (("00:00", "24:00"),) for d in range(1, 8)}
        return Centre(
            centre_id=self.centre_id,
            name=self.name,
            timezone=self.timezone,
            sl_thresholds_s=tuple(float(t) for t in self.thresholds_s),
            short_abandon_s=float(self.short_abandon_s),
            opening_hours={d: tuple(v) for d, v in hours.items()},
            weekend=tuple(d for d in range(1, 8) if not self._day_open(d)),
            extra_closures=tuple(self.closed_dates)
            + tuple(
                p.first + dt.timedelta(days=k)
                for p in self.periods
                if p.closed
                for k in range((p.last - p.first).days + 1)
            ),
        )

    def with_changes(self, **changes: Any) -> Scenario:
        """A copy with fields replaced (validated again), e.g. ``staffing=Staffing(agents=9)``."""
        return replace(self, **changes)

    @cached_property
    def _timeline(self) -> Timeline:
        return self._build_timeline()

    def timeline(self) -> Timeline:
        """The calendar as arrays over intervals (computed once per scenario object)."""
        return self._timeline

    def _build_timeline(self) -> Timeline:
        n = self.intervals_per_day
        warm_days = math.ceil(self.warmup_s / 86400) if self.warmup_s else 0
        dates = [self.start + dt.timedelta(days=k) for k in range(-warm_days, self.days)]
        tz = self.tz
        t0 = self.start_instant
        slots = np.arange(n)
        starts, lengths, weekday_of, slot_of, date_of = [], [], [], [], []
        for d in dates:
            midnight = dt.datetime.combine(d, dt.time(0), tzinfo=tz)
            next_midnight = dt.datetime.combine(d + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
            m = (midnight - t0).total_seconds()
            day_len = (next_midnight - midnight).total_seconds()  # 23 or 25 h on DST days
            s = m + slots * self.interval_s
            e = np.minimum(m + (slots + 1) * self.interval_s, m + day_len)
            starts.append(s)
            lengths.append(np.maximum(e - s, 0.0))
            weekday_of.append(np.full(n, d.isoweekday()))
            slot_of.append(slots)
            date_of.extend([d] * n)
        starts_s = np.concatenate(starts)
        lengths_s = np.concatenate(lengths)
        weekday = np.concatenate(weekday_of)
        slot = np.concatenate(slot_of)
        is_open = np.concatenate(
            [
                np.array(
                    [self._slot_open(d.isoweekday(), k, self._date_hours(d)) for k in range(n)]
                )
                & self._date_open(d)
                for d in dates
            ]
        )
        is_open &= lengths_s > 0
        expected = self._expected_calls(dates, weekday, slot, is_open, date_of)
        agents = self._agents(weekday, slot, warm_days)
        staffing_scale = np.repeat(
            [1.0 if (p := self.period_on(d)) is None else p.staffing_scale for d in dates], n
        )
        if (staffing_scale != 1.0).any():
            agents = np.rint(agents * staffing_scale).astype(np.int64)
        return Timeline(
            start_instant=t0,
            starts_s=starts_s,
            lengths_s=lengths_s,
            open=is_open,
            expected=expected,
            agents=agents,
            first_recorded=warm_days * n,
        )

    def _expected_calls(self, dates, weekday, slot, is_open, date_of) -> np.ndarray:
        n = self.intervals_per_day
        vol = self.volume
        n_int = len(weekday)
        month_factor = np.array(
            [(vol.month_factors or {}).get(d.month, 1.0) for d in date_of], dtype=float
        )
        month_factor *= np.repeat(
            [1.0 if (p := self.period_on(d)) is None else p.volume_scale for d in dates], n
        )
        if not vol.is_total:
            out = np.zeros((n_int, len(self.categories)))
            for j, c in enumerate(self.categories):
                week = np.array([c.rates_by_weekday.get(day, (0.0,) * n) for day in range(1, 8)])
                out[:, j] = week[weekday - 1, slot]
            return out * (is_open * month_factor * vol.scale)[:, None]
        if vol.rates_by_weekday is not None:
            week = np.array([vol.rates_by_weekday.get(day, (0.0,) * n) for day in range(1, 8)])
            total = week[weekday - 1, slot] * is_open * month_factor
        else:
            dow = vol.day_of_week or {}
            weight = {day: float(dow.get(day, 1.0)) for day in range(1, 8)}
            dom = vol.day_of_month or {}

            def day_weight(d: dt.date) -> float:
                return weight[d.isoweekday()] * float(dom.get(d.day, 1.0))

            open_day = self._date_open

            per_day: dict[dt.date, float] = {}
            for d in dates:
                if not open_day(d):
                    per_day[d] = 0.0
                elif vol.calls_per_month is not None:
                    days_in_month = calendar.monthrange(d.year, d.month)[1]
                    month_weight = sum(
                        day_weight(x)
                        for x in (dt.date(d.year, d.month, k) for k in range(1, days_in_month + 1))
                        if open_day(x)
                    )
                    per_day[d] = (
                        vol.calls_per_month * day_weight(d) / month_weight if month_weight else 0.0
                    )
                else:
                    open_weights = [weight[day] for day in range(1, 8) if self._day_open(day)]
                    mean_w = sum(open_weights) / len(open_weights) if open_weights else 1.0
                    per_day[d] = vol.calls_per_day * day_weight(d) / (mean_w or 1.0)
            labels = [self._slot_label(k) for k in range(n)]

            def profile(table) -> np.ndarray:
                return np.array([table.get(label, 1.0) for label in labels] if table else [1.0] * n)

            usual = profile(vol.intraday)
            total = np.zeros(n_int)
            for k, d in enumerate(dates):
                sl = slice(k * n, (k + 1) * n)
                p = self.period_on(d)
                intraday = usual if p is None or p.intraday is None else profile(p.intraday)
                w = intraday * is_open[sl]
                if w.sum() > 0:
                    total[sl] = per_day[d] * w / w.sum()
            total *= month_factor
        shares = np.array([c.share for c in self.categories], dtype=float)
        return np.outer(total * vol.scale, shares)

    def _agents(self, weekday, slot, warm_days) -> np.ndarray:
        st = self.staffing
        n = self.intervals_per_day
        if st.agents is not None:
            return np.full(len(weekday), st.agents, dtype=np.int64)
        if st.per_interval is not None:
            explicit = np.asarray(st.per_interval, dtype=np.int64)
            warm = explicit[np.arange(warm_days * n) % n]
            return np.concatenate([warm, explicit])
        if st.agents_by_weekday is not None:
            week = np.array(
                [st.agents_by_weekday.get(day, (0,) * n) for day in range(1, 8)], dtype=np.int64
            )
        else:
            week = np.zeros((7, n), dtype=np.int64)
            flat = week.reshape(-1)
            for shift in st.shifts:
                a = seconds_of_day(shift.start, "") // self.interval_s
                b = seconds_of_day(shift.end, "") // self.interval_s
                length = b - a if b > a else n - a + b  # an overnight shift wraps
                for day in shift.days:
                    first = (day - 1) * n + a
                    idx = (first + np.arange(length)) % (7 * n)  # Sunday night wraps to Monday
                    flat[idx] += shift.agents
        return week[weekday - 1, slot]

    # --- constructors -----------------------------------------------------------------

    @classmethod
    def stationary(
        cls,
        calls: float,
        per_s: float,
        aht_s: float,
        patience_s: float,
        agents: int,
        *,
        days: int = 1,
        thresholds_s: Sequence[float] = (12.0, 30.0),
        short_abandon_s: float = 5.0,
        warmup_s: float | None = None,
    ) -> Scenario:
        """The quick form: one pool, ``calls`` per ``per_s`` seconds around the clock,
        exponential handling (mean ``aht_s``) and patience (mean ``patience_s``; ``inf``
        for none), ``agents`` agents; comparable with Erlang A.

        The system starts empty, so a warm-up (default: the longer of one hour and 20 mean
        handling or patience times, by which the M/M/n+M queue has forgotten its empty
        start) is simulated before the first recorded call.
        """
        for name, v in (("calls", calls), ("per_s", per_s), ("aht_s", aht_s)):
            if not (math.isfinite(v) and v > 0):
                raise ValueError(f"{name}: {v!r} must be a number > 0")
        if not (patience_s > 0):
            raise ValueError(f"patience_s: {patience_s!r} must be > 0 (inf: callers never hang up)")
        if isinstance(agents, bool) or not isinstance(agents, int) or agents < 1:
            raise ValueError(f"agents: {agents!r} must be a whole number >= 1")
        interval_s = 3600
        rate = calls * interval_s / per_s
        if warmup_s is None:
            scales = [aht_s] + ([patience_s] if math.isfinite(patience_s) else [])
            warmup_s = max(3600.0, 20 * max(scales))
        patience = Exponential(patience_s) if math.isfinite(patience_s) else Fixed(math.inf)
        return cls(
            name="stationary",
            centre_id="simulated",
            categories=(
                Category(name="all", share=1.0, talk=Exponential(aht_s), patience=patience),
            ),
            volume=Volume(rates_by_weekday={d: (rate,) * 24 for d in range(1, 8)}),
            staffing=Staffing(agents=agents),
            days=days,
            interval_s=interval_s,
            thresholds_s=tuple(float(t) for t in thresholds_s),
            short_abandon_s=float(short_abandon_s),
            warmup_s=float(warmup_s),
        )


# --- TOML ---------------------------------------------------------------------------------
