"""Contact centres and their settings.

A centre carries what its KPIs depend on: the time zone in which its calls are
grouped, its service-level thresholds T (seconds), its short-abandon threshold S
(seconds), its ticket SLA (working days) and its business calendar (opening hours per
ISO weekday, weekend, public-holiday country for the ``holidays`` package, extra
closures) and, for a centre with branches, the counters of each branch. A centre that an ingest names for the first time is created with the
defaults of docs/stores.md: UTC, T = 12 and 30 s, S = 5 s.

This module reads and writes the ``centres`` rows only. Changing an existing centre's
settings goes through ``analytics.call_log.save_centre``, which also keeps the
quarter-hour rollup (cut at the centre's thresholds) in step; this module imports
nothing of the KPI layer, which imports it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zoneinfo
from dataclasses import dataclass, field, replace

import duckdb

from analytics import snapshot_cache
from analytics.clock import is_hhmm

ISO_WEEKDAYS = {1: "Mon", 2: "Tue", 3: "Wed", 4: "Thu", 5: "Fri", 6: "Sat", 7: "Sun"}
_CENTRE_ID = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")

DEFAULT_OPENING_HOURS: dict[int, tuple[tuple[str, str], ...]] = {
    d: ((("08:00", "17:00"),) if d <= 5 else ()) for d in range(1, 8)
}


@dataclass(frozen=True)
class Centre:
    """One contact centre's identity and settings."""

    centre_id: str
    name: str = ""
    timezone: str = "UTC"
    sl_thresholds_s: tuple[float, ...] = (12.0, 30.0)
    short_abandon_s: float = 5.0
    ticket_sla_wd: float = 3.0
    # ISO weekday (1 = Monday) -> opening spans ("HH:MM", "HH:MM"); "24:00" closes at midnight
    opening_hours: dict[int, tuple[tuple[str, str], ...]] = field(
        default_factory=lambda: dict(DEFAULT_OPENING_HOURS)
    )
    weekend: tuple[int, ...] = (6, 7)
    holiday_country: str | None = None
    extra_closures: tuple[dt.date, ...] = ()
    # branch (site) -> counters open while it is open: walk-in visits per counter
    counters: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not _CENTRE_ID.match(self.centre_id):
            raise ValueError(
                f"centre id {self.centre_id!r}: use lower-case letters, digits, '_' or '-'"
            )
        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"centre {self.centre_id}: unknown time zone {self.timezone!r}"
            ) from exc
        if not self.sl_thresholds_s or any(t < 0 for t in self.sl_thresholds_s):
            raise ValueError(
                f"centre {self.centre_id}: thresholds must be a non-empty list of seconds >= 0"
            )
        if self.short_abandon_s < 0:
            raise ValueError(f"centre {self.centre_id}: short_abandon_s must be >= 0")
        if self.ticket_sla_wd <= 0:
            raise ValueError(f"centre {self.centre_id}: ticket_sla_wd must be > 0")
        for day, spans in self.opening_hours.items():
            if day not in ISO_WEEKDAYS:
                raise ValueError(f"centre {self.centre_id}: opening_hours day {day} is not 1..7")
            for start, end in spans:
                if not (is_hhmm(start) and is_hhmm(end)) or start >= end:
                    raise ValueError(
                        f"centre {self.centre_id}: opening span {start}-{end} on "
                        f"{ISO_WEEKDAYS[day]} is not HH:MM-HH:MM with start < end"
                    )
        for site, n in self.counters.items():
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise ValueError(f"centre {self.centre_id}: counters of {site!r} must be >= 1")
        if any(d not in ISO_WEEKDAYS for d in self.weekend):
            raise ValueError(f"centre {self.centre_id}: weekend days must be ISO weekdays 1..7")

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def with_overrides(
        self,
        thresholds_s: tuple[float, ...] | None = None,
        short_abandon_s: float | None = None,
    ) -> Centre:
        """The same centre with thresholds overridden for one command."""
        changes: dict = {}
        if thresholds_s is not None:
            changes["sl_thresholds_s"] = tuple(float(t) for t in thresholds_s)
        if short_abandon_s is not None:
            changes["short_abandon_s"] = float(short_abandon_s)
        return replace(self, **changes)


class UnknownCentre(LookupError):
    pass


def _row_to_centre(row: tuple) -> Centre:
    (cid, name, tz, thresholds, short_s, sla_wd, hours_json, weekend, country, closures) = row[:10]
    hours_raw = json.loads(hours_json) if isinstance(hours_json, str) else hours_json
    counters = json.loads(row[10]) if isinstance(row[10], str) else (row[10] or {})
    hours = {int(k): tuple(tuple(span) for span in v) for k, v in hours_raw.items()}
    return Centre(
        centre_id=cid,
        name=name,
        timezone=tz,
        sl_thresholds_s=tuple(float(t) for t in thresholds),
        short_abandon_s=float(short_s),
        ticket_sla_wd=float(sla_wd),
        opening_hours=hours,
        weekend=tuple(int(d) for d in weekend),
        holiday_country=country,
        extra_closures=tuple(closures or ()),
        counters={str(k): int(v) for k, v in counters.items()},
    )


_SELECT = """
SELECT centre_id, name, timezone, sl_thresholds_s, short_abandon_s, ticket_sla_wd,
       opening_hours, weekend, holiday_country, extra_closures, counters
FROM centres
"""


def get_centre(con: duckdb.DuckDBPyConnection, centre_id: str) -> Centre:
    """The centre's settings; ``UnknownCentre`` names the centres that exist. Read once
    per snapshot of the store (``analytics.snapshot_cache``)."""
    rows = snapshot_cache.value(
        con,
        ("centre", centre_id),
        lambda: con.execute(_SELECT + " WHERE centre_id = ?", [centre_id]).fetchall(),
        tables=("centres",),
    )
    row = rows[0] if rows else None
    if row is None:
        known = [r[0] for r in con.execute("SELECT centre_id FROM centres ORDER BY 1").fetchall()]
        raise UnknownCentre(
            f"unknown centre {centre_id!r}; the database has: {', '.join(known) or 'none'}"
        )
    return _row_to_centre(row)


def list_centres(con: duckdb.DuckDBPyConnection) -> list[Centre]:
    """Every centre's settings, by id (read once per snapshot by readers)."""
    rows = snapshot_cache.read(
        con,
        ("centres",),
        lambda: tuple(con.execute(_SELECT + " ORDER BY centre_id").fetchall()),
        tables=("centres",),
    )
    return [_row_to_centre(r) for r in rows]


def write_centre_row(con: duckdb.DuckDBPyConnection, centre: Centre) -> None:
    """Insert or replace a centre's settings row (inside a writer), nothing more: use
    ``analytics.call_log.save_centre``, which rebuilds a rollup cut at other thresholds."""
    hours = json.dumps({str(k): [list(s) for s in v] for k, v in centre.opening_hours.items()})
    snapshot_cache.forget(con, ("centre", centre.centre_id))
    con.execute("DELETE FROM centres WHERE centre_id = ?", [centre.centre_id])
    con.execute(
        """
        INSERT INTO centres (centre_id, name, timezone, sl_thresholds_s, short_abandon_s,
                             ticket_sla_wd, opening_hours, weekend, holiday_country,
                             extra_closures, counters)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
            centre.centre_id,
            centre.name or centre.centre_id,
            centre.timezone,
            list(centre.sl_thresholds_s),
            centre.short_abandon_s,
            centre.ticket_sla_wd,
            hours,
            list(centre.weekend),
            centre.holiday_country,
            list(centre.extra_closures),
            json.dumps(centre.counters),
        ],
    )


def ensure_centre(
    con: duckdb.DuckDBPyConnection, centre_id: str, timezone: str | None = None
) -> Centre:
    """The centre, created with default settings if this is the first time it is named."""
    try:
        centre = get_centre(con, centre_id)
    except UnknownCentre:
        centre = Centre(centre_id=centre_id, name=centre_id, timezone=timezone or "UTC")
        write_centre_row(con, centre)  # a new centre has no calls, so no rollup to rebuild
        return centre
    if timezone and timezone != centre.timezone:
        raise ValueError(
            f"centre {centre_id} already uses time zone {centre.timezone}, not {timezone}"
        )
    return centre
