"""The units of the charts' values, counted in the reader's language.

A chart's value is shown with its unit ("1 call", "208 calls", "0.97 working days"); the
unit is a counted word, and Arabic has six forms of it (مكالمة واحدة، مكالمتان، 3 مكالمات،
11 مكالمة ...), so each value's words come from the catalogue's plural forms
(``ngettext``), never from one word pasted after every number. ``Unit.words`` titles the
value axis; ``Unit.of(value, text)`` is ``value`` (already formatted as ``text``) with
its unit. ``dashboards.charts`` puts them on each bar, cell and point.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from analytics.kpi.catalogue import fmt_of
from analytics.translation import ngettext, pgettext


class Unit(NamedTuple):
    words: str  # the value axis's title ("calls")
    of: Callable[[float, str], str]  # (value, the value as text) -> "208 calls"


def calls(lang: str) -> Unit:
    return Unit(
        pgettext(lang, "axis", "calls"),
        lambda v, text: ngettext(lang, "{n} call", "{n} calls", v, n=text),
    )


def tickets(lang: str) -> Unit:
    return Unit(
        pgettext(lang, "axis", "tickets"),
        lambda v, text: ngettext(lang, "{n} ticket", "{n} tickets", v, n=text),
    )


def visits(lang: str) -> Unit:
    return Unit(
        pgettext(lang, "axis", "visits"),
        lambda v, text: ngettext(lang, "{n} visit", "{n} visits", v, n=text),
    )


def contacts(lang: str) -> Unit:
    return Unit(
        pgettext(lang, "axis", "contacts"),
        lambda v, text: ngettext(lang, "{n} contact", "{n} contacts", v, n=text),
    )


def working_hours(lang: str) -> Unit:
    return Unit(
        pgettext(lang, "axis", "working hours"),
        lambda v, text: ngettext(lang, "{n} working hour", "{n} working hours", v, n=text),
    )


def working_days(lang: str) -> Unit:
    return Unit(
        pgettext(lang, "axis", "working days"),
        lambda v, text: ngettext(lang, "{n} working day", "{n} working days", v, n=text),
    )


def of_kpi(name: str, lang: str) -> Unit:
    """The unit of a ticket time KPI (``frt_wh_*`` in working hours, ``resolution_wd_*``
    in working days)."""
    return {"hours": working_hours, "days": working_days}[fmt_of(name)](lang)
