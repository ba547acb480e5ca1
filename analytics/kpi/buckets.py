"""Grouping calls and tickets into reporting buckets in the centre's local time.

Every instant in the store is a TIMESTAMPTZ. A manager's "9:00–9:30" or "Sunday" is
local, so a bucket is cut on the local wall-clock time: ``local_us_sql`` turns an
instant into local microseconds by epoch arithmetic over the period's UTC-offset
changes, ``interval_key_sql`` cuts the bucket, and its start is returned as a local
datetime carrying the centre's zone. Call KPIs and occupancy share this one path.

The SQL here only formats identifiers and interval literals taken from fixed
whitelists; every value (time zone, bounds, thresholds) is bound with ``?``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from collections.abc import Mapping, Sequence

from analytics.periods import INTERVALS, local_midnight

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_dimensions(by: Sequence[str], allowed: Sequence[str], what: str) -> tuple[str, ...]:
    """``by`` as a tuple, after checking every name against the whitelist ``allowed``."""
    if isinstance(by, str):
        by = tuple(d for d in by.split(",") if d)
    dims = tuple(d.strip() for d in by)
    for d in dims:
        if d not in allowed:
            raise ValueError(f"cannot break {what} down by {d!r}; use any of {', '.join(allowed)}")
    if len(set(dims)) != len(dims):
        raise ValueError(f"breakdown {','.join(dims)} names a dimension twice")
    return dims


def check_filters(
    filters: Mapping[str, Sequence[str] | str] | None, allowed: Sequence[str], what: str
) -> dict[str, list[str]]:
    """``filters`` ({dimension: values to keep}) with names checked against ``allowed``
    and every value list made a list of strings; dimensions with no value are dropped."""
    checked: dict[str, list[str]] = {}
    for dim, values in (filters or {}).items():
        if dim not in allowed:
            raise ValueError(f"cannot filter {what} by {dim!r}; use any of {', '.join(allowed)}")
        if isinstance(values, str):
            values = [values]
        values = [str(v) for v in values if v is not None and str(v) != ""]
        if values:
            checked[dim] = values
    return checked


def filter_sql(filters: Mapping[str, Sequence[str]], alias: str = "c") -> tuple[str, list]:
    """`` AND list_contains(?, c.dim)`` for each checked filter, and its list parameters
    (the values are bound, never formatted into the text)."""
    sql = "".join(f" AND list_contains(?, {alias}.{dim})" for dim in filters)
    return sql, [list(values) for values in filters.values()]


# Profiles fold a period onto one week (weekday × time of day) or one day (time of day):
# "which half hours of which weekdays are busy", straight from the rollup. Their rows'
# interval_start lies in the reference week of Sunday 1970-01-04 (weekly) or on
# 1970-01-01 (daily): read the weekday and the time of day, not the date.
PROFILE_INTERVALS = (
    "weekly-15min",
    "weekly-30min",
    "weekly-60min",
    "daily-15min",
    "daily-30min",
    "daily-60min",
)


def check_interval(interval: str | None, *, profiles: bool = False) -> str | None:
    allowed = INTERVALS + (PROFILE_INTERVALS if profiles else ())
    if interval is not None and interval not in allowed:
        raise ValueError(f"interval {interval!r} is not one of {', '.join(allowed)}")
    return interval


def quoted_identifier(name: str, what: str) -> str:
    """A table or view name, checked and quoted for formatting into SQL."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"{what} {name!r} is not a plain table or view name")
    return f'"{name}"'


def offset_changes(
    zone: zoneinfo.ZoneInfo, first: dt.date, last: dt.date
) -> list[tuple[int | None, int]]:
    """The zone's UTC offsets over the local days ``first``..``last``: see
    ``_offset_changes`` (cached: every query asks, and a year with DST is slow to scan)."""
    return list(_offset_changes(zone, first, last))


@functools.lru_cache(maxsize=512)
def _offset_changes(
    zone: zoneinfo.ZoneInfo, first: dt.date, last: dt.date
) -> tuple[tuple[int | None, int], ...]:
    """The zone's UTC offsets over the local days ``first``..``last``, as
    [(None, offset before), (instant of a change in µs since the epoch, offset after), ...]
    in µs: one pair for a fixed-offset range, two more per DST change.

    Offsets are compared at every local midnight (a change shows as a new offset at the
    next midnight); each change is then found to the second by bisection.
    """

    def offset_us(epoch_s: int) -> int:
        delta = dt.datetime.fromtimestamp(epoch_s, zone).utcoffset()
        return (delta.days * 86_400 + delta.seconds) * 1_000_000

    day = first - dt.timedelta(days=1)
    previous = int(local_midnight(day, zone).timestamp())
    changes: list[tuple[int | None, int]] = [(None, offset_us(previous))]
    while day <= last:
        day += dt.timedelta(days=1)
        moment = int(local_midnight(day, zone).timestamp())
        after = offset_us(moment)
        if after != changes[-1][1]:
            lo, hi = previous, moment  # offset(lo) is the old one, offset(hi) the new one
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if offset_us(mid) == after:
                    hi = mid
                else:
                    lo = mid
            changes.append((hi * 1_000_000, after))
        previous = moment
    return tuple(changes)


# Above this many offset changes a CASE per row costs more than ICU's conversion.
MAX_OFFSET_CHANGES = 24


def local_us_sql(
    zone: zoneinfo.ZoneInfo,
    first: dt.date,
    last: dt.date,
    instant: str,
    *,
    epoch_us: str | None = None,
) -> tuple[str, list]:
    """SQL (and its ``?`` parameters) of the local wall-clock time of ``instant`` in µs
    since the local epoch, valid for instants within the local days ``first``..``last``.
    ``epoch_us``, if given, is SQL of the instant's µs since the epoch (e.g. the start
    of a rollup's quarter-hour) and is used in place of ``epoch_us(instant)``.

    Epoch arithmetic, not a per-row time-zone conversion (much slower): a
    fixed-offset range adds one offset; a range with DST changes picks the offset with
    a CASE over the few changes, newest first. Only a range with very many changes
    falls back to ICU's ``timezone()``.
    """
    changes = offset_changes(zone, first, last)
    epoch = epoch_us or f"epoch_us({instant})"
    if len(changes) == 1:
        return f"{epoch} + ?", [changes[0][1]]
    if len(changes) - 1 > MAX_OFFSET_CHANGES:
        if epoch_us is not None:
            raise ValueError("too many offset changes for epoch arithmetic")
        return f"epoch_us(timezone(?, {instant}))", [zone.key]
    whens, params = [], []
    for at, offset in reversed(changes[1:]):
        whens.append(f"WHEN {epoch} >= ? THEN ?")
        params += [at, offset]
    params.append(changes[0][1])
    return f"{epoch} + CASE {' '.join(whens)} ELSE ? END", params


_DAY_US = 86_400_000_000
# 1970-01-04 was a Sunday: weeks are cut from it.
_SUNDAY_US = 3 * _DAY_US
_WIDTH_US = {"15min": 900_000_000, "30min": 1_800_000_000, "60min": 3_600_000_000, "day": _DAY_US}


def interval_key_sql(interval: str, local_us: str, hijri_month_start: str | None = None) -> str:
    """SQL of a grouping key for the bucket of local time ``local_us`` (µs since the
    local epoch): integer microseconds for fixed widths and weeks, a TIMESTAMP for
    months. ``interval_start_of`` turns the key into the bucket's local start."""
    if interval in _WIDTH_US:
        width = _WIDTH_US[interval]
        return f"(({local_us}) // {width}) * {width}"
    if interval == "week":
        width = 7 * _DAY_US
        return f"(({local_us}) - {_SUNDAY_US}) // {width} * {width} + {_SUNDAY_US}"
    if interval == "month":
        return f"date_trunc('month', make_timestamp({local_us}))"
    if interval == "hijri-month":
        if hijri_month_start is None:
            raise ValueError("hijri-month buckets need the date dimension")
        return f"CAST({hijri_month_start} AS TIMESTAMP)"
    if interval in PROFILE_INTERVALS:
        fold, _, step = interval.partition("-")
        width = _WIDTH_US[step]
        if fold == "daily":
            return f"((({local_us}) % {_DAY_US}) // {width}) * {width}"
        week = 7 * _DAY_US
        return f"(((({local_us}) - {_SUNDAY_US}) % {week}) // {width}) * {width} + {_SUNDAY_US}"
    raise ValueError(f"interval {interval!r} is not one of {', '.join(INTERVALS)}")


_LOCAL_EPOCH = dt.datetime(1970, 1, 1)


def interval_start_of(interval: str, key) -> dt.datetime | None:
    """The naive local start of the bucket with grouping key ``key`` (from
    ``interval_key_sql``): µs since the local epoch, or already a TIMESTAMP."""
    if key is None or isinstance(key, dt.datetime):
        return key
    return _LOCAL_EPOCH + dt.timedelta(microseconds=int(key))


def as_local(value: dt.datetime | None, zone: zoneinfo.ZoneInfo) -> dt.datetime | None:
    """A naive local bucket start from SQL as an aware datetime in the centre's zone."""
    if value is None:
        return None
    return value.replace(tzinfo=zone)


def records(cursor) -> list[dict]:
    """The rows of an executed DuckDB cursor as dicts keyed by column name."""
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
