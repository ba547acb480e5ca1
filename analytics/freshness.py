"""How old a centre's data are: the latest call against an instant, in opening hours.

A centre closed for the weekend is not "two days behind" on Sunday morning: the age
that matters is the centre's open time since its latest call (``analytics.calendars``).
When a whole working day of open time has passed without a call, the figures have
stopped: the dashboards warn on every page, the exports say where their data stop.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from analytics.calendars import BusinessCalendar
from analytics.centres import Centre


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


def latest_call(con, centre: Centre, before: dt.datetime | None = None) -> dt.datetime | None:
    """The latest call's arrival (local), before ``before`` if given."""
    sql = "SELECT max(arrived_at) FROM calls WHERE centre_id = ?"
    params: list = [centre.centre_id]
    if before is not None:
        sql += " AND arrived_at < ?"
        params.append(before)
    latest = con.execute(sql, params).fetchone()[0]
    return latest.astimezone(centre.tz) if latest is not None else None


def data_age(con, centre: Centre, now: dt.datetime, latest: dt.datetime | None = None) -> DataAge:
    """The age of ``centre``'s calls at ``now`` (aware), in opening hours; ``latest``
    spares the lookup when the caller has it."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime (an instant)")
    latest = latest if latest is not None else latest_call(con, centre, before=now)
    calendar = BusinessCalendar(centre)
    open_s = calendar.working_seconds(latest, now) if latest is not None else 0.0
    return DataAge(latest, now.astimezone(centre.tz), open_s, calendar.full_day_s)
