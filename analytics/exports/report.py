"""The monthly report: every figure an executive export shows, fetched from the KPI layer.

An executive's month is a Gregorian month (``2024-09``) or an Umm al-Qura month
(``1446-03H``). Its report holds the headline call and ticket KPIs of the month, of the
month before and of the same month a year before; the KPIs by caller category, by topic
within category and per day; the intraday profile (every half hour of the day, all the
month's days together); the weekday profile by category (what the highlights use to say
"led by employer calls on Sundays"); tickets overall, by category and per day; and agent
occupancy; and the centre's display labels of its codes in each language
(``analytics.labels``). Writers (``xlsx``, ``pdf``, ``csv``) only lay these rows out.

Every figure comes from ``analytics.kpi`` (``call_kpis``, ``ticket_kpis``, ``occupancy``):
nothing here computes a KPI. The profiles ask the same ``call_kpis`` about a *folded*
copy of the month's calls: each call keeps everything but its arrival, which moves to
the same local time on one reference day (intraday) or to the same weekday of one
reference week (weekday profile). The KPI layer's 30-minute or day buckets of the folded
calls are then the time-of-day and weekday profiles, under the very same definitions.

Targets (``Target``) are what the traffic lights compare with: a KPI name, a direction
(at least / at most), the target and an amber tolerance. ``default_targets`` follows the
seed centres: service level within the first T of 80%, answer rate 95% excluding short
abandons, abandon rate at most 5%, ASA within the first T, tickets within SLA 95%.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from analytics.centres import Centre
from analytics.freshness import DataAge, call_span, data_age, first_ticket, latest_call
from analytics.kpi import call_kpis, occupancy, threshold_label, ticket_kpis
from analytics.labels import LANGS, labels_for
from analytics.periods import Period, month_run, parse_period, same_days_of_month

# docs/kpis.md's day interval is the trend; the intraday profile uses 30 minutes.
INTRADAY_INTERVALS = ("15min", "30min", "60min")
# The reference day of the folded profiles: 2000-01-02 was a Sunday (the Gulf's first
# working day), so the folded week runs Sunday 2 .. Saturday 8 January 2000.
REFERENCE_SUNDAY = dt.date(2000, 1, 2)

_GREGORIAN = re.compile(r"^(\d{4})-(\d{2})$")
_HIJRI = re.compile(r"^(\d{4})-(\d{2})H$")


@dataclass(frozen=True)
class Target:
    """A KPI's target: ``at_least`` (higher is better) or at most, with amber tolerance."""

    kpi: str
    value: float
    at_least: bool = True
    tolerance: float = 0.0

    def status(self, actual: float | None) -> int | None:
        """1 meets the target, 0 misses it within the tolerance, -1 misses it; None: no data."""
        if actual is None:
            return None
        gap = (actual - self.value) if self.at_least else (self.value - actual)
        if gap >= -1e-12:
            return 1
        return 0 if gap >= -self.tolerance - 1e-12 else -1


def default_targets(centre: Centre) -> tuple[Target, ...]:
    """The export's default targets for ``centre`` (see the module docstring)."""
    first = threshold_label(centre.sl_thresholds_s[0])
    targets = [
        Target(f"sl_offered_{first}", 0.80, True, 0.05),
        Target("answer_rate_excl_short", 0.95, True, 0.02),
        Target("abandon_rate", 0.05, False, 0.02),
        Target("asa_s", float(centre.sl_thresholds_s[0]), False, 5.0),
        Target("sla_met_rate", 0.95, True, 0.05),
    ]
    if len(centre.sl_thresholds_s) > 1:
        second = threshold_label(centre.sl_thresholds_s[1])
        targets.insert(1, Target(f"sl_offered_{second}", 0.90, True, 0.05))
    return tuple(targets)


def previous_period(period: Period) -> Period | None:
    """The month before a Gregorian or Hijri month; for days from a month's 1st within it
    (``this-month``: month to date, ``last-month``), the same days of the month before
    (1-10 March: 1-10 February; a whole month: the whole month before); for days from a
    Sunday within its week (``this-week``), the same weekdays a week before; for another
    range, the same number of days just before it. None when the calendar cannot say (outside
    Umm al-Qura's range)."""
    try:
        if m := _HIJRI.match(period.label):
            year, month = int(m.group(1)), int(m.group(2))
            year, month = (year - 1, 12) if month == 1 else (year, month - 1)
            return parse_period(f"{year:04d}-{month:02d}H")
        if run := month_run(period):
            year, month = run
            year, month = (year - 1, 12) if month == 1 else (year, month - 1)
            return same_days_of_month(period, year, month)
        if period.start.isoweekday() == 7 and period.days <= 7:
            # a week from its Sunday (``this-week`` on a Tuesday): the same weekdays before
            start, end = (day - dt.timedelta(days=7) for day in (period.start, period.end))
            return parse_period(f"{start.isoformat()}..{end.isoformat()}")
        end = period.start - dt.timedelta(days=1)
        start = end - dt.timedelta(days=period.days - 1)
        return parse_period(f"{start.isoformat()}..{end.isoformat()}")
    except ValueError:
        return None


def year_before(period: Period) -> Period | None:
    """The same month of the year before (Hijri year for a Hijri month); for days from a
    month's 1st within it, the same days of that month a year before; for another range,
    the same calendar days a year earlier (29 February becomes the 28th)."""

    def shift(day: dt.date) -> dt.date:
        try:
            return day.replace(year=day.year - 1)
        except ValueError:
            return day.replace(year=day.year - 1, day=28)

    try:
        if m := _HIJRI.match(period.label):
            return parse_period(f"{int(m.group(1)) - 1:04d}-{m.group(2)}H")
        if run := month_run(period):
            return same_days_of_month(period, run[0] - 1, run[1])
        return parse_period(f"{shift(period.start).isoformat()}..{shift(period.end).isoformat()}")
    except ValueError:
        return None


def months_of_year(year: str) -> list[Period]:
    """The twelve months of ``2024`` (Gregorian) or ``1446H`` (Umm al-Qura)."""
    text = year.strip()
    if m := re.fullmatch(r"(\d{4})[Hh]", text):
        return [parse_period(f"{m.group(1)}-{month:02d}H") for month in range(1, 13)]
    if re.fullmatch(r"\d{4}", text):
        return [parse_period(f"{text}-{month:02d}") for month in range(1, 13)]
    raise ValueError(f"year {year!r} is not understood; use 2024 (Gregorian) or 1446H (Hijri)")


@dataclass(frozen=True)
class MonthlyReport:
    """Everything one export shows, as rows from the KPI layer (see the module docstring)."""

    centre: Centre
    period: Period
    previous: Period | None
    year_before: Period | None
    as_of: dt.datetime
    thresholds_s: tuple[float, ...]
    short_abandon_s: float
    intraday_interval: str
    targets: tuple[Target, ...]
    calls: dict
    calls_previous: dict | None
    calls_year_before: dict | None
    by_category: list[dict]
    by_category_previous: list[dict]
    by_topic: list[dict]
    daily: list[dict]
    intraday: list[dict]
    weekday_by_category: list[dict]
    weekday_by_category_previous: list[dict]
    tickets: dict
    tickets_previous: dict | None
    tickets_year_before: dict | None
    tickets_by_category: list[dict]
    tickets_daily: list[dict]
    occupancy: dict
    occupancy_previous: dict | None = None
    occupancy_year_before: dict | None = None
    notes: tuple[str, ...] = field(default=())
    # the latest call the figures hold (local; None: no call) and, when a whole working
    # day of opening hours passed after it before the period's end (or as_of), that gap
    data_until: dt.datetime | None = None
    data_stop: DataAge | None = None
    # lang -> {dimension: {code: label}} (analytics.labels.labels_for); empty: codes as words
    labels: dict = field(default_factory=dict)

    @property
    def first_threshold(self) -> str:
        return threshold_label(self.thresholds_s[0])

    @property
    def headline_sl(self) -> str:
        """The headline service level: answered within the first T over offered."""
        return f"sl_offered_{self.first_threshold}"

    def target(self, kpi: str) -> Target | None:
        return next((t for t in self.targets if t.kpi == kpi), None)

    def headline_call_kpis(self) -> list[str]:
        labels = [threshold_label(t) for t in self.thresholds_s]
        return [
            "offered",
            "answered",
            "abandoned",
            "short_abandoned",
            "answer_rate",
            "answer_rate_excl_short",
            "abandon_rate",
            *[f"sl_offered_{label}" for label in labels],
            *[f"sl_answered_{label}" for label in labels],
            "asa_s",
            "avg_abandon_wait_s",
            "aht_s",
            "p90_wait_s",
        ]

    @staticmethod
    def headline_ticket_kpis() -> list[str]:
        return [
            "created",
            "resolved",
            "sla_met_rate",
            "frt_wh_p50",
            "frt_wh_p90",
            "resolution_wd_p50",
            "resolution_wd_p90",
            "backlog",
            "at_risk",
        ]


def _folded_calls(
    con, centre: Centre, period: Period, *, keep_time: bool, keep_weekday: bool = False
) -> str:
    """A temporary table of the period's calls folded onto the reference day or week.

    ``keep_time``: every call moves to REFERENCE_SUNDAY at its local time of day
    (intraday profile); otherwise to the same weekday of the reference week, local
    midnight (weekday profile); both (``keep_weekday`` too): the same weekday of the
    reference week at its local time of day (weekly profile). The caller drops the table.
    """
    name = f"export_folded_{secrets.token_hex(6)}"
    if keep_time and keep_weekday:
        folded = (
            "DATE '2000-01-02' + CAST(isodow(timezone(?, arrived_at)) % 7 AS INTEGER)"
            " + CAST(timezone(?, arrived_at) AS TIME)"
        )
        params = [centre.timezone, centre.timezone]
    elif keep_time:
        folded = "DATE '2000-01-02' + CAST(timezone(?, arrived_at) AS TIME)"
        params = [centre.timezone]
    else:
        folded = (
            "CAST(DATE '2000-01-02' + CAST(isodow(timezone(?, arrived_at)) % 7 AS INTEGER)"
            " AS TIMESTAMP)"
        )
        params = [centre.timezone]
    start, end = period.bounds(centre.tz)
    con.execute(
        f"CREATE TEMP TABLE {name} AS SELECT * REPLACE (timezone(?, {folded}) AS arrived_at) "
        "FROM calls WHERE centre_id = ? AND arrived_at >= ? AND arrived_at < ?",
        [centre.timezone, *params, centre.centre_id, start, end],
    )
    return name


def folded_profile(
    con,
    centre: Centre,
    period: Period,
    *,
    profile: str,
    by: Sequence[str] = (),
    interval: str = "30min",
    thresholds_s: Sequence[float] | None = None,
    short_abandon_s: float | None = None,
    filters: Mapping[str, Sequence[str]] | None = None,
) -> list[dict]:
    """Call KPIs of ``period`` by time of day (``profile="intraday"``, buckets of
    ``interval``), by weekday (``profile="weekday"``) or by weekday and time of day
    (``profile="weekly"``: the dashboards' heat maps), from ``call_kpis``.

    Each row carries ``slot`` ("09:00", intraday and weekly) and/or ``weekday`` (ISO
    1..7, weekday and weekly) instead of ``interval_start``; rows follow the day
    (intraday) or Sunday..Saturday (weekday, weekly). ``filters`` as ``call_kpis``'s.
    """
    if profile not in ("intraday", "weekday", "weekly"):
        raise ValueError(f"profile {profile!r} is not intraday, weekday or weekly")
    if profile != "weekday" and interval not in INTRADAY_INTERVALS:
        raise ValueError(f"intraday interval {interval!r} is not one of {INTRADAY_INTERVALS}")
    table = _folded_calls(
        con,
        centre,
        period,
        keep_time=profile != "weekday",
        keep_weekday=profile == "weekly",
    )
    try:
        rows = call_kpis(
            con,
            centre,
            by=by,
            interval=interval if profile != "weekday" else "day",
            source=table,
            thresholds_s=thresholds_s,
            short_abandon_s=short_abandon_s,
            filters=filters,
        )
    finally:
        con.execute(f"DROP TABLE IF EXISTS {table}")
    result = []
    for row in rows:
        start = row.pop("interval_start")
        if profile == "weekly":
            slot = start.strftime("%H:%M")
            row = {**{d: row[d] for d in by}, "weekday": start.isoweekday(), "slot": slot, **row}
        elif profile == "intraday":
            row = {**{d: row[d] for d in by}, "slot": start.strftime("%H:%M"), **row}
        else:
            row = {**{d: row[d] for d in by}, "weekday": start.isoweekday(), **row}
        result.append(row)
    return result


@dataclass(frozen=True)
class TicketRows:
    """Ticket KPIs of whole months, fetched in three queries for many reports at once.

    Working-time ticket KPIs scan every ticket of the centre, so a year of reports asks
    ``ticket_kpis`` once by month (each month, the month before it and a year before),
    once by month and caller category, and once by day, instead of five times a month.
    A month bucket of ``ticket_kpis`` is the month as a period (same bounds, same
    ``as_of``), so the rows are the ones a query per month would give.
    """

    totals: dict[dt.date, dict]
    by_category: dict[dt.date, list[dict]]
    daily: dict[dt.date, list[dict]]

    def month(self, period: Period | None) -> dict | None:
        return None if period is None else self.totals.get(period.start)


def month_interval(periods: Sequence[Period]) -> str | None:
    """``month`` or ``hijri-month`` when every period is such a month, else None."""
    if periods and all(_GREGORIAN.match(p.label) for p in periods):
        return "month"
    if periods and all(_HIJRI.match(p.label) for p in periods):
        return "hijri-month"
    return None


def prefetch_tickets(
    con, centre: Centre, periods: Sequence[Period], *, as_of: dt.datetime
) -> TicketRows | None:
    """Ticket rows for the reports of ``periods`` (whole months), or None for other periods."""
    interval = month_interval(periods)
    if interval is None:
        return None
    compared = [q for p in periods for q in (p, previous_period(p), year_before(p)) if q]
    everything = Period(min(q.start for q in compared), max(q.end for q in compared), "span")
    reported = Period(min(p.start for p in periods), max(p.end for p in periods), "span")

    def strip(row: dict) -> tuple[dt.date, dict]:
        row = dict(row)
        return row.pop("interval_start").date(), row

    totals = dict(
        strip(r)
        for r in ticket_kpis(con, centre, period=everything, interval=interval, as_of=as_of)
    )
    by_category: dict[dt.date, list[dict]] = {p.start: [] for p in periods}
    for r in ticket_kpis(
        con, centre, period=reported, by=("category",), interval=interval, as_of=as_of
    ):
        start, row = strip(r)
        by_category.setdefault(start, []).append(row)
    daily: dict[dt.date, list[dict]] = {p.start: [] for p in periods}
    starts = sorted(p.start for p in periods)
    for r in ticket_kpis(con, centre, period=reported, interval="day", as_of=as_of):
        day = r["interval_start"].date()
        month = max((s for s in starts if s <= day), default=None)
        if month is not None:
            daily[month].append(r)
    for p in periods:
        daily[p.start] = [r for r in daily[p.start] if r["interval_start"].date() <= p.end]
    return TicketRows(totals, by_category, daily)


def history_start(con, centre: Centre) -> dt.date | None:
    """The local date of the centre's first call or ticket (None: no history)."""
    span = call_span(con, centre)
    first = first_ticket(con, centre)
    if span is not None:
        first = span[0] if first is None else min(first, span[0])
    return None if first is None else first.astimezone(centre.tz).date()


def covered(period: Period | None, first_day: dt.date | None) -> Period | None:
    """``period`` if the history holds all of it (it starts on or before its first day)."""
    if period is None or first_day is None or first_day > period.start:
        return None
    return period


def build_reports(
    con,
    centre: Centre,
    periods: Sequence[Period],
    *,
    as_of: dt.datetime | None = None,
    targets: Sequence[Target] | None = None,
    intraday_interval: str = "30min",
):
    """``build_report`` for each period (e.g. the twelve months of a year), sharing the
    ticket queries (``prefetch_tickets``); yields the reports in order."""
    as_of = as_of or dt.datetime.now(dt.UTC)
    rows = prefetch_tickets(con, centre, periods, as_of=as_of)
    first_day = history_start(con, centre)
    for period in periods:
        yield build_report(
            con,
            centre,
            period,
            as_of=as_of,
            targets=targets,
            intraday_interval=intraday_interval,
            ticket_rows=rows,
            first_day=first_day,
        )


def build_report(
    con,
    centre: Centre,
    period: Period,
    *,
    as_of: dt.datetime | None = None,
    targets: Sequence[Target] | None = None,
    intraday_interval: str = "30min",
    ticket_rows: TicketRows | None = None,
    first_day: dt.date | None = None,
) -> MonthlyReport:
    """Fetch every figure of one export of ``centre`` for ``period`` from the KPI layer.

    ``as_of`` (aware; default now) is the moment tickets are judged at (SLA breaches of
    open tickets, backlog). Thresholds T and S are the centre's settings. ``first_day``
    (the history's first local day) spares the lookup when several months are built.
    """
    as_of = as_of or dt.datetime.now(dt.UTC)
    if as_of.tzinfo is None:
        raise ValueError("as_of must be an aware datetime (an instant)")
    # A month is compared only with months the store holds whole: against a month whose
    # history starts halfway, "calls rose 98%" would be an artefact of the data's start.
    first_day = first_day or history_start(con, centre)
    previous = covered(previous_period(period), first_day)
    before = covered(year_before(period), first_day)
    if ticket_rows is None or period.start not in ticket_rows.by_category:
        ticket_rows = prefetch_tickets(con, centre, [period], as_of=as_of)

    def calls(p: Period | None, by: Sequence[str] = ()) -> list[dict]:
        return call_kpis(con, centre, period=p, by=by)

    def tickets(p: Period) -> dict:
        if ticket_rows is not None and p.start in ticket_rows.totals:
            return ticket_rows.totals[p.start]
        return ticket_kpis(con, centre, period=p, as_of=as_of)[0]

    def occupied(p: Period) -> dict:
        return occupancy(con, centre, period=p)[0]

    end = min(period.bounds(centre.tz)[1], as_of)
    age = data_age(con, centre, end, latest=latest_call(con, centre, before=end))

    return MonthlyReport(
        data_until=age.latest,
        data_stop=age if age.stale else None,
        centre=centre,
        period=period,
        previous=previous,
        year_before=before,
        as_of=as_of,
        thresholds_s=tuple(float(t) for t in centre.sl_thresholds_s),
        short_abandon_s=float(centre.short_abandon_s),
        intraday_interval=intraday_interval,
        targets=tuple(targets) if targets is not None else default_targets(centre),
        calls=calls(period)[0],
        calls_previous=calls(previous)[0] if previous else None,
        calls_year_before=calls(before)[0] if before else None,
        by_category=calls(period, ("category",)),
        by_category_previous=calls(previous, ("category",)) if previous else [],
        by_topic=calls(period, ("category", "topic")),
        daily=call_kpis(con, centre, period=period, interval="day"),
        intraday=folded_profile(
            con, centre, period, profile="intraday", interval=intraday_interval
        ),
        weekday_by_category=folded_profile(
            con, centre, period, profile="weekday", by=("category",)
        ),
        weekday_by_category_previous=(
            folded_profile(con, centre, previous, profile="weekday", by=("category",))
            if previous
            else []
        ),
        tickets=tickets(period),
        tickets_previous=tickets(previous) if previous else None,
        tickets_year_before=tickets(before) if before else None,
        tickets_by_category=ticket_kpis(con, centre, period=period, by=("category",), as_of=as_of),
        tickets_daily=ticket_kpis(con, centre, period=period, interval="day", as_of=as_of),
        occupancy=occupied(period),
        occupancy_previous=occupied(previous) if previous else None,
        occupancy_year_before=occupied(before) if before else None,
        labels={lang: labels_for(con, centre.centre_id, lang) for lang in LANGS},
    )
