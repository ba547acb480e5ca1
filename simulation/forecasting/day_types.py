"""Day types: what kind of day each date of a forecast's history and horizon is.

Regular days by weekday (grouped), public holidays, Eid and the days around it, the days
around other holidays and Ramadan by day of Ramadan (``simulation.forecasting.forecast``
explains how each is learnt). ``DayCalendar`` names them from the centre's calendar,
``holidays`` and the Umm al-Qura calendar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from analytics.centres import Centre
from analytics.periods import hijri_date

SPECIAL_KINDS = ("holiday", "eid", "pre_eid", "post_eid", "pre_holiday", "post_holiday", "ramadan")
_EID = {10: range(1, 4), 12: range(10, 14)}  # Hijri month -> days of Eid


def _near_eid(day: dt.date, slack: int = 2) -> bool:
    for shift in range(-slack, slack + 1):
        h = hijri_date(day + dt.timedelta(days=shift))
        if h and h[1] in _EID and h[2] in _EID[h[1]]:
            return True
    return False


@dataclass(frozen=True)
class DayType:
    """What kind of day a date is: ``kind`` (``regular`` or one of ``SPECIAL_KINDS``),
    its ISO ``weekday`` and, in Ramadan, its ``ramadan_day`` (1–30)."""

    kind: str
    weekday: int
    ramadan_day: int | None = None


@dataclass(frozen=True)
class DayCalendar:
    """The day types of a centre's dates (see the module docstring).

    ``extra_holidays``: dates the planner declares holidays (date -> name);
    ``removed_holidays``: dates the holidays package names that are not."""

    centre: Centre
    extra_holidays: Mapping[dt.date, str] = field(default_factory=dict)
    removed_holidays: frozenset[dt.date] = frozenset()

    def holiday(self, day: dt.date) -> str | None:
        if day in self.removed_holidays:
            return None
        if day in self.extra_holidays:
            return self.extra_holidays[day] or "holiday"
        if day in self.centre.extra_closures:
            return "closure"
        if self.centre.holiday_country:
            from analytics.calendars import country_holidays

            return country_holidays(self.centre.holiday_country, day.year).get(day)
        return None

    def _is_eid(self, day: dt.date) -> bool:
        return self.holiday(day) is not None and _near_eid(day)

    def day_type(self, day: dt.date) -> DayType:
        weekday = day.isoweekday()
        one = dt.timedelta(days=1)
        if self.holiday(day) is not None:
            return DayType("eid" if self._is_eid(day) else "holiday", weekday)
        # around Eid: two days before the block, three after it
        for k in (1, 2):
            if self._is_eid(day + k * one) and all(
                self.holiday(day + j * one) is not None for j in range(1, k)
            ):
                return DayType("pre_eid", weekday)
            if self._is_eid(day - k * one) and all(
                self.holiday(day - j * one) is not None for j in range(1, k)
            ):
                return DayType("post_eid", weekday)
        if self._is_eid(day - 3 * one) and all(self.holiday(day - j * one) is None for j in (1, 2)):
            return DayType("post_eid", weekday)
        if self.holiday(day + one) is not None:
            return DayType("pre_holiday", weekday)
        back = day - one
        while back.isoweekday() in self.centre.weekend and self.holiday(back) is None:
            back -= one
            if (day - back).days > 3:
                break
        if self.holiday(back) is not None and day.isoweekday() not in self.centre.weekend:
            return DayType("post_holiday", weekday)
        h = hijri_date(day)
        if h and h[1] == 9:
            return DayType("ramadan", weekday, h[2])
        return DayType("regular", weekday)

    def day_types(self, first: dt.date, days: int) -> list[DayType]:
        return [self.day_type(first + dt.timedelta(days=i)) for i in range(days)]
