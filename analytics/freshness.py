"""How old a centre's data are: the latest call against an instant, in opening hours.

A centre closed for the weekend is not "two days behind" on Sunday morning: the age
that matters is the centre's open time since its latest call (``analytics.calendars``).
When a whole working day of open time has passed without a call, the figures have
stopped: the dashboards warn on every page, the exports say where their data stop.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass

from analytics import direct_reads, snapshot_cache
from analytics.calendars import BusinessCalendar
from analytics.centres import Centre
from analytics.kpi import rollup
from analytics.periods import Period

# what an answer about a centre's calls reads: the calls, the rollup and its cut
CALL_TABLES = ("calls", "call_interval_deltas", "call_interval_state")


@dataclass(frozen=True)
class DataAge:
    """The latest call (local, None without calls), the instant it is measured at
    (local) and the open seconds between them."""

    latest: dt.datetime | None
    now: dt.datetime
    open_s: float
    full_day_s: float

    @property
    def days(self) -> int | None:
        """Calendar days from the latest call's day to ``now``'s day."""
        return None if self.latest is None else (self.now.date() - self.latest.date()).days

    @property
    def stale(self) -> bool:
        """A whole working day (at least an hour) of opening hours without a call."""
        return self.latest is not None and self.open_s >= max(self.full_day_s, 3600.0)


def call_span(con, centre: Centre) -> tuple[dt.datetime, dt.datetime] | None:
    """The first and the last call's arrival (UTC); None without calls. Read once per
    snapshot of the store (``snapshot_cache.read``): every page asks for it, and on a lake
    store each read of the calls costs tens of milliseconds of catalogue reads."""

    def compute():
        quarters = rollup.quarter_span(con, centre.centre_id)
        if quarters is None:  # no rollup: every call's arrival is read
            return con.execute(
                "SELECT min(arrived_at), max(arrived_at) FROM calls WHERE centre_id = ?",
                [centre.centre_id],
            ).fetchone()
        if quarters[0] is None:
            return None, None
        # the first and the last quarter-hour with calls: their files' statistics leave
        # a few thousand calls to read
        first, last = (rollup.quarter_start(q) for q in quarters)
        quarter = dt.timedelta(seconds=rollup.QUARTER_S)
        return con.execute(
            "SELECT (SELECT min(arrived_at) FROM calls WHERE centre_id = ? AND arrived_at >= ? "
            "AND arrived_at < ?), (SELECT max(arrived_at) FROM calls WHERE centre_id = ? "
            "AND arrived_at >= ? AND arrived_at < ?)",
            [centre.centre_id, first, first + quarter, centre.centre_id, last, last + quarter],
        ).fetchone()

    def grow(old, first_snapshot: int, last_snapshot: int):
        # calls only added since (a feed's commits): the span widens to the new ones
        rows, params = direct_reads.inserted(con, "calls", first_snapshot, last_snapshot)
        lo, hi = con.execute(
            f"SELECT min(arrived_at), max(arrived_at) FROM {rows} WHERE centre_id = ?",
            [*params, centre.centre_id],
        ).fetchone()
        if lo is None:
            return old
        if old[0] is None:
            return lo, hi
        return min(old[0], lo), max(old[1], hi)

    # the span is the calls' alone (the rollup only finds it faster)
    first, last = snapshot_cache.read(
        con, ("call span", centre.centre_id), compute, tables=("calls",), grows=("calls", grow)
    )
    if first is None:
        return None
    return first.astimezone(dt.UTC), last.astimezone(dt.UTC)


def has_calls_in(con, centre: Centre, period: Period) -> bool | None:
    """Whether ``period`` has calls of the centre, from the rollup's list of its
    quarter-hours with calls (kept per snapshot and grown by a feed's commits; the
    dashboards read it on every page for their filters): no query. None when that
    cannot tell (no rollup, a period that does not start and end on a quarter-hour)."""
    summary = rollup.summary(con, centre.centre_id)
    if summary is None:
        return None
    lo, hi = period.bounds(centre.tz)
    first, last = rollup.quarter_of(lo), rollup.quarter_of(hi)
    if rollup.quarter_start(first) != lo or rollup.quarter_start(last) != hi:
        return None
    quarters = summary[1]
    at = bisect.bisect_left(quarters, first)
    return at < len(quarters) and quarters[at] < last


def first_ticket(con, centre: Centre) -> dt.datetime | None:
    """When the centre's first ticket was created (UTC); None without tickets. Read once
    per snapshot (``snapshot_cache.read``)."""
    return snapshot_cache.read(
        con,
        ("first ticket", centre.centre_id),
        lambda: con.execute(
            "SELECT min(created_at) FROM tickets WHERE centre_id = ?", [centre.centre_id]
        ).fetchone()[0],
        tables=("tickets",),
    )


def latest_call(con, centre: Centre, before: dt.datetime | None = None) -> dt.datetime | None:
    """The latest call's arrival (local), before ``before`` if given."""
    span = call_span(con, centre)
    if span is None or (before is not None and span[0] >= before):
        return None
    if before is None or span[1] < before:
        return span[1].astimezone(centre.tz)

    # a cut inside the data (a report's end, a past day)
    def grow(old, first_snapshot: int, last_snapshot: int):
        rows, params = direct_reads.inserted(con, "calls", first_snapshot, last_snapshot)
        added = con.execute(
            f"SELECT max(arrived_at) FROM {rows} WHERE centre_id = ? AND arrived_at < ?",
            [*params, centre.centre_id, before],
        ).fetchone()[0]
        return old if added is None or (old is not None and old >= added) else added

    latest = snapshot_cache.read(
        con,
        ("latest call before", centre.centre_id, before),
        lambda: _latest(con, centre, before),
        tables=("calls",),
        grows=("calls", grow),
    )
    return latest.astimezone(centre.tz) if latest is not None else None


def _latest(con, centre: Centre, before: dt.datetime) -> dt.datetime | None:
    """The latest arrival before ``before``: the rollup names the last quarter-hour with
    calls up to it (``rollup.summary``'s list), and only that quarter-hour's calls are read (the one before too, when
    ``before`` cuts through it ahead of its first call)."""
    if not rollup.kept_for(con, centre.centre_id):  # no rollup: read every arrival
        return con.execute(
            "SELECT max(arrived_at) FROM calls WHERE centre_id = ? AND arrived_at < ?",
            [centre.centre_id, before],
        ).fetchone()[0]
    quarters = rollup.summary(con, centre.centre_id)[1]  # every quarter-hour with calls
    up_to = rollup.quarter_of(before)
    for _ in range(2):
        at = bisect.bisect_right(quarters, up_to)
        if not at:
            return None
        quarter = quarters[at - 1]
        start = rollup.quarter_start(quarter)
        end = min(before, start + dt.timedelta(seconds=rollup.QUARTER_S))
        latest = con.execute(
            "SELECT max(arrived_at) FROM calls WHERE centre_id = ? AND arrived_at >= ? "
            "AND arrived_at < ?",
            [centre.centre_id, start, end],
        ).fetchone()[0]
        if latest is not None or quarter < up_to:
            return latest
        up_to = quarter - 1  # ``before`` fell in this quarter-hour before its calls
    return None


def data_age(con, centre: Centre, now: dt.datetime, latest: dt.datetime | None = None) -> DataAge:
    """The age of ``centre``'s calls at ``now`` (aware), in opening hours; ``latest``
    spares the lookup when the caller has it."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime (an instant)")
    latest = latest if latest is not None else latest_call(con, centre, before=now)
    calendar = BusinessCalendar(centre)
    open_s = calendar.working_seconds(latest, now) if latest is not None else 0.0
    return DataAge(latest, now.astimezone(centre.tz), open_s, calendar.full_day_s)
