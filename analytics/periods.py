"""Reporting periods and intervals, Gregorian and Hijri.

A manager asks for "September", "the first fortnight of September" or "Ramadan": a
*period* is a run of whole calendar days in the centre's time zone, both ends
included. Three spellings are accepted (docs/kpis.md):

* ``2024-09``              a Gregorian month;
* ``2024-09-01..2024-09-30`` a date range, both days included (a single ``2024-09-01``
  is the one-day range);
* ``1446-03H``             a Hijri month of the Umm al-Qura calendar (the official
  calendar of Saudi Arabia, from ``hijridate``), e.g. ``1445-09H`` is Ramadan 1445 =
  2024-03-11..2024-04-09;
* ``2024-01..2024-12``     a run of whole months (``1446-01H..1446-03H`` in Hijri);
* ``today``, ``yesterday``, ``this-week`` (Sunday to today), ``this-month`` (the 1st to
  today), ``last-month``: relative to a day the caller gives (the centre's local today),
  so a bookmark keeps meaning "today".

A period that runs from a month's 1st within that month (a month, ``last-month``,
``this-month``: ``month_run``) is compared with the same days of the month before and of
the same month a year before (``same_days_of_month``), whatever its spelling.

An *interval* cuts a period into reporting buckets: 15, 30 or 60 minutes, a day, a
week (starting Sunday, the first working day in the Gulf), a Gregorian month or a Hijri
month. Buckets are cut in the centre's local time, so a day is a local day even when
the store keeps instants in UTC.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass

from hijridate import Gregorian, Hijri

INTERVALS = ("15min", "30min", "60min", "day", "week", "month", "hijri-month")
# Fixed-length intervals in minutes; the others follow the calendar.
INTERVAL_MINUTES = {"15min": 15, "30min": 30, "60min": 60}

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_HIJRI_MONTH = re.compile(r"^(\d{4})-(\d{2})H$", re.IGNORECASE)
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Period:
    """Whole local days ``start``..``end`` (both included) and how a person names them."""

    start: dt.date
    end: dt.date
    label: str

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period {self.label!r}: end {self.end} is before start {self.start}")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self, tz: str | zoneinfo.ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
        """The instants [first local midnight, midnight after the last day) in ``tz``."""
        zone = zoneinfo.ZoneInfo(tz) if isinstance(tz, str) else tz
        return local_midnight(self.start, zone), local_midnight(
            self.end + dt.timedelta(days=1), zone
        )


def local_midnight(day: dt.date, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=zone)


def _date(text: str, whole: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"period {whole!r}: {text!r} is not a date (YYYY-MM-DD)") from None


def hijri_month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    """First and last Gregorian day of Umm al-Qura month ``year-month``."""
    if not 1 <= month <= 12:
        raise ValueError(f"Hijri month {month} is not 1..12")
    try:
        first = Hijri(year, month, 1)
        length = first.month_length()
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"Hijri month {year}-{month:02d}: {exc}") from None
    start = dt.date(*first.to_gregorian().datetuple())
    return start, start + dt.timedelta(days=length - 1)


@functools.lru_cache(maxsize=8192)
def hijri_date(day: dt.date) -> tuple[int, int, int] | None:
    """(Hijri year, month, day) of a Gregorian date (Umm al-Qura), None outside its range."""
    try:
        h = Gregorian(day.year, day.month, day.day).to_hijri()
    except (ValueError, OverflowError):
        return None
    return h.year, h.month, h.day


def hijri_month_of(day: dt.date) -> tuple[int, int]:
    """(Hijri year, Hijri month) of a Gregorian date (Umm al-Qura)."""
    try:
        h = Gregorian(day.year, day.month, day.day).to_hijri()
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"{day} has no Umm al-Qura date: {exc}") from None
    return h.year, h.month


def hijri_label(day: dt.date) -> str:
    """``1446-03H`` for any date inside that Hijri month."""
    year, month = hijri_month_of(day)
    return f"{year:04d}-{month:02d}H"


RELATIVE_PERIODS = ("today", "yesterday", "this-week", "this-month", "last-month")


def relative_period(name: str, today: dt.date) -> Period:
    """``today``, ``yesterday``, ``this-week``, ``this-month`` or ``last-month`` as the
    days they name when the local date is ``today``."""
    if name == "today":
        return Period(today, today, "today")
    if name == "yesterday":
        day = today - dt.timedelta(days=1)
        return Period(day, day, "yesterday")
    if name == "this-week":  # weeks start on Sunday, as the interval "week" does
        return Period(today - dt.timedelta(days=(today.weekday() + 1) % 7), today, name)
    if name == "this-month":
        return Period(today.replace(day=1), today, name)
    if name == "last-month":
        end = today.replace(day=1) - dt.timedelta(days=1)
        return Period(end.replace(day=1), end, name)
    raise ValueError(f"period {name!r} is not one of {', '.join(RELATIVE_PERIODS)}")


def month_run(period: Period) -> tuple[int, int] | None:
    """(year, month) when ``period`` runs from a Gregorian month's 1st to a day of the
    same month — the whole month (``2026-03``, ``last-month``, ``2026-03-01..2026-03-31``)
    or its first days (``this-month`` on the 10th: month to date) — else None."""
    start, end = period.start, period.end
    if start.day == 1 and (end.year, end.month) == (start.year, start.month):
        return start.year, start.month
    return None


def month_last_day(year: int, month: int) -> dt.date:
    """The last day of Gregorian month ``year-month``."""
    return dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)


def is_month_to_date(period: Period) -> bool:
    """Does ``period`` run from a month's 1st to a day before that month's last?"""
    run = month_run(period)
    return run is not None and period.end < month_last_day(*run)


def same_days_of_month(period: Period, year: int, month: int) -> Period:
    """The days of month ``year-month`` that match ``period`` (a ``month_run``): the whole
    month for a whole month, else its 1st to the same day of the month (cut at the
    month's last day: 1-30 March gives 1-28 February)."""
    last = month_last_day(year, month)
    if period.end == month_last_day(period.end.year, period.end.month):
        return Period(last.replace(day=1), last, f"{year:04d}-{month:02d}")
    end = min(last, dt.date(year, month, min(period.end.day, last.day)))
    first = end.replace(day=1)
    return Period(first, end, f"{first.isoformat()}..{end.isoformat()}")


def parse_period(text: str, today: dt.date | None = None) -> Period:
    """A period from ``2024-09``, ``2024-09-01..2024-09-30``, ``2024-09-01``, ``1446-03H``,
    ``2024-01..2024-12``, ``1446-01H..1446-03H`` or, given ``today`` (the local date), a
    relative name (``today``, ``yesterday``, ``this-week``, ``this-month``, ``last-month``).

    Raises ``ValueError`` naming the text and the accepted forms.
    """
    raw = text
    text = text.strip()
    if text.lower() in RELATIVE_PERIODS:
        if today is None:
            raise ValueError(f"period {raw!r} is relative: it needs the local date of today")
        return relative_period(text.lower(), today)
    if ".." in text:
        first, _, last = (part.strip() for part in text.partition(".."))
        months = (_MONTH.match(first) and _MONTH.match(last)) or (
            _HIJRI_MONTH.match(first) and _HIJRI_MONTH.match(last)
        )
        if months:
            start, end = parse_period(first).start, parse_period(last).end
            if end < start:
                raise ValueError(f"period {raw!r}: the end {last} is before the start {first}")
            return Period(start, end, f"{first}..{last}")
    if m := _HIJRI_MONTH.match(text):
        year, month = int(m.group(1)), int(m.group(2))
        try:
            start, end = hijri_month_bounds(year, month)
        except ValueError as exc:
            raise ValueError(f"period {raw!r}: {exc}") from None
        return Period(start, end, f"{year:04d}-{month:02d}H")
    if m := _MONTH.match(text):
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            raise ValueError(f"period {raw!r}: month {month:02d} is not 01..12")
        start = dt.date(year, month, 1)
        following = dt.date(year + month // 12, month % 12 + 1, 1)
        return Period(start, following - dt.timedelta(days=1), f"{year:04d}-{month:02d}")
    if ".." in text:
        first, _, last = text.partition("..")
        start, end = _date(first.strip(), raw), _date(last.strip(), raw)
        if end < start:
            raise ValueError(f"period {raw!r}: the end {end} is before the start {start}")
        return Period(start, end, f"{start.isoformat()}..{end.isoformat()}")
    if _DAY.match(text):
        day = _date(text, raw)
        return Period(day, day, day.isoformat())
    raise ValueError(
        f"period {raw!r} is not understood; use a month (2024-09), a date range "
        f"(2024-09-01..2024-09-30), a Hijri month (1446-03H), a run of months "
        f"(2024-01..2024-12) or {', '.join(RELATIVE_PERIODS)}"
    )


def check_interval(interval: str) -> str:
    if interval not in INTERVALS:
        raise ValueError(f"interval {interval!r} is not one of {', '.join(INTERVALS)}")
    return interval


def interval_start(moment: dt.datetime, interval: str) -> dt.datetime:
    """The local start of the bucket holding the naive local time ``moment``."""
    check_interval(interval)
    if interval in INTERVAL_MINUTES:
        step = INTERVAL_MINUTES[interval]
        return moment.replace(minute=moment.minute - moment.minute % step, second=0, microsecond=0)
    day = moment.date()
    if interval == "day":
        start = day
    elif interval == "week":
        # isoweekday: Sunday is 7; a week starting Sunday goes back (isoweekday % 7) days
        start = day - dt.timedelta(days=day.isoweekday() % 7)
    elif interval == "month":
        start = day.replace(day=1)
    else:
        start = hijri_month_bounds(*hijri_month_of(day))[0]
    return dt.datetime(start.year, start.month, start.day)


def interval_starts(first: dt.date, last: dt.date, interval: str) -> Iterator[dt.datetime]:
    """Naive local starts of every bucket overlapping the days ``first``..``last``."""
    moment = interval_start(dt.datetime(first.year, first.month, first.day), interval)
    stop = dt.datetime(last.year, last.month, last.day) + dt.timedelta(days=1)
    while moment < stop:
        yield moment
        moment = next_interval_start(moment, interval)


def next_interval_start(moment: dt.datetime, interval: str) -> dt.datetime:
    """The naive local start of the bucket after the one starting at ``moment``."""
    if interval in INTERVAL_MINUTES:
        return moment + dt.timedelta(minutes=INTERVAL_MINUTES[interval])
    if interval == "day":
        return moment + dt.timedelta(days=1)
    if interval == "week":
        return moment + dt.timedelta(days=7)
    if interval == "month":
        y, m = moment.year, moment.month
        return dt.datetime(y + m // 12, m % 12 + 1, 1)
    if interval == "hijri-month":
        end = hijri_month_bounds(*hijri_month_of(moment.date()))[1]
        nxt = end + dt.timedelta(days=1)
        return dt.datetime(nxt.year, nxt.month, nxt.day)
    raise ValueError(f"interval {interval!r} is not one of {', '.join(INTERVALS)}")
