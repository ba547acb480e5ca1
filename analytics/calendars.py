"""A centre's business calendar: when it is open, and working time between instants.

E-support tickets are promised "within 3 working days", so their clock runs only while
the centre is open. A centre's calendar (from its settings in ``centres``) is:

* weekly opening hours per ISO weekday (``"08:00"``-``"16:00"`` spans, local time);
* the weekend (Friday–Saturday in the Gulf seed centres), closed whatever the hours say;
* public holidays of ``holiday_country`` from the ``holidays`` package (SA, BH, ...);
* extra closures (dates the centre names itself).

A *working day* is a date that is not weekend, holiday or closure and has opening
hours. A *full working day* is the longest opening of any regular working weekday, so
``resolution_wd`` = working hours elapsed / hours of a full working day.

The *working clock* is the number of open seconds since the start of the calendar's
range: it stands still while the centre is closed. The working time between two
instants is the difference of their clocks, and a deadline "N working days after
created_at" is the instant where the clock reaches clock(created_at) + N × full day.
SQL gets the clock from the ``work_spans`` table (one row per open span, with the
clock at its start), joined with ASOF; Python gets the same from ``working_seconds``
and ``add_working_seconds``.

The date dimension (``date_dimension``) also carries each date's Umm al-Qura month so
that Hijri-month reporting is a join, not a loop.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import holidays as holidays_lib
import pyarrow as pa

from analytics.centres import Centre
from analytics.periods import hijri_month_bounds, hijri_month_of, local_midnight


@functools.lru_cache(maxsize=256)
def country_holidays(country: str, year: int) -> dict[dt.date, str]:
    try:
        found = holidays_lib.country_holidays(country, years=year)
    except NotImplementedError:
        raise ValueError(f"the holidays package knows no country {country!r}") from None
    return dict(found.items())


def _clock_time(text: str) -> dt.timedelta:
    hours, minutes = text.split(":")
    return dt.timedelta(hours=int(hours), minutes=int(minutes))


@dataclass(frozen=True)
class BusinessCalendar:
    """The opening calendar of one centre (see the module docstring)."""

    centre: Centre

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return self.centre.tz

    def holiday(self, day: dt.date) -> str | None:
        """The name of the public holiday on ``day``, or None."""
        if not self.centre.holiday_country:
            return None
        return country_holidays(self.centre.holiday_country, day.year).get(day)

    def is_closure(self, day: dt.date) -> bool:
        return day in self.centre.extra_closures

    def is_working_day(self, day: dt.date) -> bool:
        return (
            day.isoweekday() not in self.centre.weekend
            and bool(self.centre.opening_hours.get(day.isoweekday()))
            and self.holiday(day) is None
            and not self.is_closure(day)
        )

    def opening_spans(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """Open spans of ``day`` as aware instants (none on a non-working day)."""
        if not self.is_working_day(day):
            return []
        midnight = dt.datetime(day.year, day.month, day.day)
        spans = []
        for start, end in sorted(self.centre.opening_hours.get(day.isoweekday(), ())):
            # Local wall times; "24:00" is the next midnight.
            lo = (midnight + _clock_time(start)).replace(tzinfo=self.zone)
            hi = (midnight + _clock_time(end)).replace(tzinfo=self.zone)
            spans.append((lo, hi))
        return spans

    @functools.cached_property
    def full_day_s(self) -> float:
        """Seconds of a full working day: the longest regular working weekday's opening."""
        longest = 0.0
        for weekday, spans in self.centre.opening_hours.items():
            if weekday in self.centre.weekend:
                continue
            seconds = sum((_clock_time(e) - _clock_time(s)).total_seconds() for s, e in spans)
            longest = max(longest, seconds)
        return longest

    def working_seconds(self, start: dt.datetime, end: dt.datetime) -> float:
        """Open seconds between two aware instants (0 when ``end`` <= ``start``)."""
        if end <= start:
            return 0.0
        total = 0.0
        day = start.astimezone(self.zone).date() - dt.timedelta(days=1)
        last = end.astimezone(self.zone).date()
        while day <= last:
            for lo, hi in self.opening_spans(day):
                overlap = (min(hi, end) - max(lo, start)).total_seconds()
                total += max(overlap, 0.0)
            day += dt.timedelta(days=1)
        return total

    def add_working_seconds(
        self, start: dt.datetime, seconds: float, horizon_days: int = 3660
    ) -> dt.datetime | None:
        """The instant when ``seconds`` of open time have passed after ``start``.

        None if the calendar has no open time within ``horizon_days``.
        """
        remaining = seconds
        day = start.astimezone(self.zone).date()
        for _ in range(horizon_days):
            for lo, hi in self.opening_spans(day):
                lo = max(lo, start)
                if hi <= lo:
                    continue
                available = (hi - lo).total_seconds()
                if remaining <= available:
                    return lo + dt.timedelta(seconds=remaining)
                remaining -= available
            day += dt.timedelta(days=1)
        return None

    def date_dimension(self, first: dt.date, last: dt.date) -> pa.Table:
        """One row per date ``first``..``last``: weekday, working day, hours, Hijri month."""
        rows: dict[str, list] = {
            "date": [],
            "iso_weekday": [],
            "is_weekend": [],
            "holiday": [],
            "is_closure": [],
            "is_working_day": [],
            "open_s": [],
            "hijri_year": [],
            "hijri_month": [],
            "hijri_month_start": [],
        }
        day = first
        month_start: dt.date | None = None
        month_end: dt.date | None = None
        hijri = (0, 0)
        while day <= last:
            if month_end is None or day > month_end:
                hijri = hijri_month_of(day)
                month_start, month_end = hijri_month_bounds(*hijri)
            spans = self.opening_spans(day)
            rows["date"].append(day)
            rows["iso_weekday"].append(day.isoweekday())
            rows["is_weekend"].append(day.isoweekday() in self.centre.weekend)
            rows["holiday"].append(self.holiday(day))
            rows["is_closure"].append(self.is_closure(day))
            rows["is_working_day"].append(bool(spans))
            rows["open_s"].append(sum((hi - lo).total_seconds() for lo, hi in spans))
            rows["hijri_year"].append(hijri[0])
            rows["hijri_month"].append(hijri[1])
            rows["hijri_month_start"].append(month_start)
            day += dt.timedelta(days=1)
        return pa.table(
            rows,
            schema=pa.schema(
                [
                    ("date", pa.date32()),
                    ("iso_weekday", pa.int8()),
                    ("is_weekend", pa.bool_()),
                    ("holiday", pa.string()),
                    ("is_closure", pa.bool_()),
                    ("is_working_day", pa.bool_()),
                    ("open_s", pa.float64()),
                    ("hijri_year", pa.int16()),
                    ("hijri_month", pa.int8()),
                    ("hijri_month_start", pa.date32()),
                ]
            ),
        )

    def work_spans(self, first: dt.date, last: dt.date) -> pa.Table:
        """Open spans of the days ``first``..``last`` with the working clock at each start.

        Columns: span_start, span_end (UTC instants), span_s, clock_s (open seconds
        before span_start since ``first``). A sentinel span of length 0 at the first
        local midnight makes the clock defined (0) from the start of the range.
        """
        starts = [local_midnight(first, self.zone)]
        ends = [starts[0]]
        lengths = [0.0]
        clocks = [0.0]
        clock = 0.0
        day = first
        while day <= last:
            for lo, hi in self.opening_spans(day):
                seconds = (hi - lo).total_seconds()
                starts.append(lo)
                ends.append(hi)
                lengths.append(seconds)
                clocks.append(clock)
                clock += seconds
            day += dt.timedelta(days=1)
        utc = dt.UTC
        return pa.table(
            {
                "span_start": [s.astimezone(utc) for s in starts],
                "span_end": [e.astimezone(utc) for e in ends],
                "span_s": lengths,
                "clock_s": clocks,
            },
            schema=pa.schema(
                [
                    ("span_start", pa.timestamp("us", tz="UTC")),
                    ("span_end", pa.timestamp("us", tz="UTC")),
                    ("span_s", pa.float64()),
                    ("clock_s", pa.float64()),
                ]
            ),
        )


@contextmanager
def registered(con, **tables: pa.Table) -> Iterator[dict[str, str]]:
    """Register Arrow tables on ``con`` under unique names for one query; unregister after.

    Yields {given name: registered name}. Unique names let several queries share a
    connection without clobbering each other's calendars.
    """
    suffix = secrets.token_hex(4)
    names = {key: f"cca_{key}_{suffix}" for key in tables}
    if tables:
        # DuckDB 2 refuses register() while an earlier execute() on the connection
        # still has rows unread (e.g. a caller's fetchone()); a finished query ends it.
        con.execute("SELECT 1").fetchall()
    for key, table in tables.items():
        con.register(names[key], table)
    try:
        yield names
    finally:
        for name in names.values():
            try:
                con.unregister(name)
            except Exception:  # noqa: BLE001 - a closed connection has nothing to unregister
                pass
