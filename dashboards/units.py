"""The units of the charts' values, counted in the reader's language.

A chart's value is shown with its unit ("1 call", "208 calls", "0.97 working days"); the
unit is a counted word, and Arabic has six forms of it (مكالمة واحدة، مكالمتان، 3 مكالمات،
11 مكالمة ...), so each value's words come from the catalogue's plural forms
(``ngettext``), never from one word pasted after every number. ``Unit.words`` titles the
value axis; ``Unit.of(value, text)`` is ``value`` (already formatted as ``text``) with
its unit. ``dashboards.charts`` puts them on each bar, cell and point.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

from analytics.kpi.catalogue import fmt_of
from analytics.translation import NN_, NP_, ngettext, pgettext


class Unit(NamedTuple):
    words: str  # the value axis's title ("calls")
    of: Callable[[float, str], str]  # (value, the value as text) -> "208 calls"


# each unit: the value axis's word and the two English forms of a counted value
UNITS = {
    "calls": (NP_("axis", "calls"), NN_("{n} call", "{n} calls")),
    "tickets": (NP_("axis", "tickets"), NN_("{n} ticket", "{n} tickets")),
    "visits": (NP_("axis", "visits"), NN_("{n} visit", "{n} visits")),
    "contacts": (NP_("axis", "contacts"), NN_("{n} contact", "{n} contacts")),
    "hours": (NP_("axis", "working hours"), NN_("{n} working hour", "{n} working hours")),
    "days": (NP_("axis", "working days"), NN_("{n} working day", "{n} working days")),
}


def unit(kind: str, lang: str) -> Unit:
    """The unit ``kind`` (a key of ``UNITS``) in ``lang``."""
    axis, (one, many) = UNITS[kind]
    return Unit(pgettext(lang, *axis), lambda v, text: ngettext(lang, one, many, v, n=text))


calls = functools.partial(unit, "calls")
tickets = functools.partial(unit, "tickets")
visits = functools.partial(unit, "visits")
contacts = functools.partial(unit, "contacts")
working_hours = functools.partial(unit, "hours")
working_days = functools.partial(unit, "days")


def of_kpi(name: str, lang: str) -> Unit:
    """The unit of a ticket time KPI (``frt_wh_*`` in working hours, ``resolution_wd_*``
    in working days)."""
    return unit(fmt_of(name), lang)
