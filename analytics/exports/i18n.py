"""Words of the executive exports in English and Arabic.

An executive in Manama or Riyadh reads the monthly report in Arabic, right to left; the
same figures go to an English edition. ``Labels`` gathers what a reader sees that is not
a number: sheet and column titles, month names (Gregorian by Babel, Hijri from the
catalogue), weekdays and the seed centres' caller categories; KPI labels, definitions and
formats come from the KPI catalogue (``analytics.kpi.catalogue``). The English words below are message ids; their
Arabic is in the one message catalogue (``analytics.translation``). Caller categories,
topics, queues, sites and channels are shown by the centre's own labels
(``analytics.labels``, stored with the data) when it has them, else by the seed names
below or a readable form of the code. KPI *names* (``sl_offered_12``) are the contract
and are never translated: they appear beside the labels so a reader can look them up.

``Labels(lang)`` is the one object the writers use: ``labels.kpi("sl_offered_12")`` gives
"Service level within 12 s (of offered)" or «مستوى الخدمة خلال 12 ث (من الواردة)».
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from analytics.kpi import catalogue
from analytics.kpi.catalogue import format_change, format_value
from analytics.labels import display
from analytics.periods import Period, hijri_date, hijri_month_of
from analytics.translation import LANGUAGES, N_, NP_, translator, weekday_name
from analytics.translation import date as format_date

# Hijri (Umm al-Qura) month names: Babel knows only the Gregorian calendar's.
HIJRI_MONTHS = [
    N_("Muharram"),
    N_("Safar"),
    N_("Rabi al-Awwal"),
    N_("Rabi al-Thani"),
    N_("Jumada al-Ula"),
    N_("Jumada al-Akhirah"),
    N_("Rajab"),
    N_("Shaban"),
    N_("Ramadan"),
    N_("Shawwal"),
    N_("Dhu al-Qadah"),
    N_("Dhu al-Hijjah"),
]
# ISO weekday (1 = Monday) -> "Mondays" (a weekday's calls over the month)
WEEKDAYS_PLURAL = {
    1: N_("Mondays"),
    2: N_("Tuesdays"),
    3: N_("Wednesdays"),
    4: N_("Thursdays"),
    5: N_("Fridays"),
    6: N_("Saturdays"),
    7: N_("Sundays"),
}
# The seed centres' caller categories, for a store without labels of its own (any other
# code without a label is shown as words, analytics.labels.readable).
CATEGORIES = {
    "employer": N_("Employers"),
    "worker": N_("Workers"),
    "other": N_("Others"),
}
CATEGORY_CALLS = {
    "employer": N_("employer calls"),
    "worker": N_("worker calls"),
    "other": N_("other calls"),
}

_MESSAGES = {
    "title": N_("Monthly contact-centre report"),
    "sheet_summary": N_("Summary"),
    "sheet_category": N_("By category"),
    "sheet_topic": N_("By topic"),
    "sheet_daily": N_("Daily trend"),
    "sheet_intraday": N_("Intraday profile"),
    "sheet_tickets": N_("Tickets"),
    "sheet_definitions": N_("Definitions"),
    "kpi": N_("KPI"),
    "name": N_("Name"),
    "this_month": N_("This period"),
    "target": N_("Target"),
    "status": N_("Status"),
    "previous": N_("Previous period"),
    "year_before": N_("Same period a year before"),
    "change": N_("Change"),
    "category": N_("Caller category"),
    "topic": N_("Topic"),
    "date": N_("Date"),
    "weekday": N_("Weekday"),
    "hijri_date": N_("Hijri date"),
    "slot": N_("Time of day"),
    "all": N_("All"),
    "as_of": N_("Data up to"),
    "produced": N_("produced"),
    "no_calls_yet": N_("no call"),
    "time_zone": N_("Time zone"),
    "period": N_("Period"),
    "centre": N_("Centre"),
    "definition": N_("Definition"),
    "unit": N_("Unit"),
    "setting": N_("Setting"),
    "value": N_("Value"),
    "thresholds": N_("Service-level thresholds T"),
    "short_abandon": N_("Short-abandon threshold S"),
    "ticket_sla": N_("Ticket SLA"),
    "full_day": N_("Full working day"),
    "weekend": N_("Weekend"),
    "opening_hours": N_("Opening hours"),
    "holidays": N_("Public holidays of"),
    "closed": N_("closed"),
    "targets": N_("Targets (traffic lights: green meets, amber within tolerance, red misses)"),
    "tolerance": N_("Amber tolerance"),
    "seconds": N_("s"),
    "working_days": N_("working days"),
    "working_hours": N_("working hours"),
    "hours": N_("hours"),
    "unit_count": N_("count"),
    "unit_ratio": N_("ratio (0–1)"),
    "unit_seconds": N_("seconds"),
    "unit_hours": N_("working hours"),
    "unit_days": N_("working days"),
    "headline": N_("Headline figures"),
    "highlights": N_("Highlights"),
    "calls": N_("Calls"),
    "tickets": N_("E-support tickets"),
    "daily_chart": N_("Calls offered per day and service level within {t} s"),
    "intraday_chart": N_(
        "Calls offered per {m} minutes over the period and service level within {t} s"
    ),
    "category_chart": N_("Calls offered by caller category"),
    "topic_chart": N_("Calls offered by topic"),
    "tickets_chart": N_("Tickets created and resolved per day"),
    "vs": N_("vs"),
    "points": N_("pts"),
    "no_data": N_("no data"),
    "page": N_("Page {n} of {total}"),
    "source": N_(
        "Every figure comes from the KPI layer (analytics.kpi); definitions on the last sheet."
    ),
    "pdf_source": N_(
        "Every figure comes from the one KPI layer; formulas and thresholds: Definitions sheet of the Excel edition."
    ),
    "calls_offered_axis": NP_("axis", "calls"),
    "hijri": N_("Hijri"),
    "gregorian": N_("Gregorian"),
    "none": N_("none"),
}

# units of durations in narrow column headers
_UNIT_ABBREVIATIONS = {
    "seconds": NP_("column unit", "s"),
    "hours": NP_("column unit", "wh"),
    "days": NP_("column unit", "wd"),
}


class Labels:
    """The words of one edition (``en`` or ``ar``).

    ``names`` are the centre's labels of dimension codes in this language,
    ``{dimension: {code: label}}`` as ``analytics.labels.labels_for`` returns them.
    """

    def __init__(self, lang: str = "en", names: Mapping[str, Mapping[str, str]] | None = None):
        if lang not in LANGUAGES:
            raise ValueError(f"language {lang!r} is not one of {', '.join(LANGUAGES)}")
        self.lang = lang
        self.tr = translator(lang)
        self.rtl = self.tr.rtl
        self.names = names or {}

    def __getitem__(self, key: str) -> str:
        message = _MESSAGES[key]
        if isinstance(message, tuple):
            return self.tr.pgettext(*message)
        return self.tr.gettext(message)

    def data_up_to(self, report) -> str:
        """'Data up to 2026-09-30 16:57 (Asia/Bahrain) · produced 2026-12-06 09:12': the
        latest call the figures hold, not the day the file was written."""
        zone = report.centre.tz
        until = report.data_until
        held = until.astimezone(zone).strftime("%Y-%m-%d %H:%M") if until else self["no_calls_yet"]
        made = report.as_of.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        return f"{self['as_of']} {held} ({report.centre.timezone}) · {self['produced']} {made}"

    def data_stop(self, report) -> str | None:
        """The warning when the data stop a working day or more before the period ends."""
        age = report.data_stop
        if age is None or age.latest is None:
            return None
        return self.tr.ngettext(
            "The data stop on {date} at {time}, {n} day before the end of this period: these "
            "figures are incomplete.",
            "The data stop on {date} at {time}, {n} days before the end of this period: these "
            "figures are incomplete.",
            age.days,
            date=age.latest.strftime("%Y-%m-%d"),
            time=age.latest.strftime("%H:%M"),
        )

    def kpi(self, name: str) -> str:
        """The reader's label of a KPI name (the catalogue's), thresholds filled in."""
        return catalogue.label(name, self.lang)

    def short(self, name: str) -> str:
        """A short label for a narrow column (no unit: ``column`` adds it)."""
        return catalogue.label(name, self.lang, short=True)

    def column(self, name: str) -> str:
        """A table column's header: the short label and, for a duration, its unit
        abbreviated ("ASA (s)", "Resolution p50 (wd)"); a full label that names its unit
        keeps it as it is."""
        label = self.short(name)
        unit = _UNIT_ABBREVIATIONS.get(catalogue.fmt_of(name))
        if unit is not None:
            unit = self.tr.pgettext(*unit)
        if unit is None or label.endswith(f"({self.unit(name)})"):
            return label
        return f"{label} ({unit})"

    def definition(self, name: str, *, short_abandon_s: float, sla_wd: float) -> str:
        return catalogue.definition(
            name, self.lang, short_abandon_s=_number(short_abandon_s), sla_wd=_number(sla_wd)
        )

    def unit(self, name: str) -> str:
        return self[f"unit_{catalogue.fmt_of(name)}"]

    def value(self, name: str, value: float | None) -> str:
        return format_value(name, value, self.lang)

    def change(self, name: str, delta: float | None) -> str:
        return format_change(name, delta, self.lang)

    def dimension(self, dimension: str, value: str | None) -> str:
        """The reader's name of a code of ``dimension`` (category, topic, queue, site,
        channel): the centre's label, a seed category's name, else the code as words."""
        stored = self.names.get(dimension) or {}
        if value in stored:
            return stored[value]
        if dimension == "category" and value in CATEGORIES:
            return self.tr.gettext(CATEGORIES[value])
        return display(value, dimension, None, self.lang)

    def category(self, value: str | None) -> str:
        return self.dimension("category", value)

    def centre(self, centre) -> str:
        """The centre's name in the reader's language (``[labels.centre]``), else the name
        in its settings, else its id."""
        named = self.names.get("centre", {}).get(centre.centre_id)
        return named or centre.name or centre.centre_id

    def topic(self, value: str | None) -> str:
        return self.dimension("topic", value)

    def category_calls(self, value: str | None) -> str:
        """'employer calls' / «مكالمات أصحاب العمل»: a category's calls in a sentence."""
        label = self.category(value)
        if value in CATEGORY_CALLS and label == self.tr.gettext(CATEGORIES[value]):
            return self.tr.gettext(CATEGORY_CALLS[value])
        # Mid-sentence, a capitalised word label reads as a name ("Private customers");
        # an acronym ("VIP") keeps its capitals. (Arabic has no capitals.)
        if label[:1].isupper() and label[1:2].islower():
            label = label[0].lower() + label[1:]
        return self.tr.gettext("calls from {label}", label=label)

    def weekday(self, iso_weekday: int) -> str:
        return weekday_name(iso_weekday, self.lang)

    def weekdays(self, iso_weekday: int) -> str:
        return self.tr.gettext(WEEKDAYS_PLURAL[iso_weekday])

    def gregorian_month(self, year: int, month: int) -> str:
        return format_date(dt.date(year, month, 1), self.lang, "month")

    def hijri_month(self, year: int, month: int) -> str:
        return self.tr.gettext(
            "{month} {year} AH", month=self.tr.gettext(HIJRI_MONTHS[month - 1]), year=year
        )

    def date(self, day: dt.date) -> str:
        """'Sunday 1 September 2024' / 'الأحد 1 سبتمبر 2024'."""
        return format_date(day, self.lang, "long")

    def hijri_date(self, day: dt.date) -> str:
        hijri = hijri_date(day)
        if hijri is None:
            raise ValueError(f"{day} has no Umm al-Qura date")
        year, month, day_of_month = hijri
        return f"{day_of_month} {self.tr.gettext(HIJRI_MONTHS[month - 1])} {year}"

    def period_name(self, period: Period) -> str:
        """'September 2024', 'Rabi al-Awwal 1446 AH' or '2024-09-01 – 2024-09-15'."""
        label = period.label
        if re.fullmatch(r"\d{4}-\d{2}H", label):
            return self.hijri_month(int(label[:4]), int(label[5:7]))
        if re.fullmatch(r"\d{4}-\d{2}", label):
            return self.gregorian_month(int(label[:4]), int(label[5:7]))
        return f"{period.start.isoformat()} – {period.end.isoformat()}"

    def period_span(self, period: Period) -> str:
        """The other calendar's view of a period: its Gregorian days and Hijri months
        (days only where the Umm al-Qura calendar has no date, before 1924 or after 2077)."""
        days = f"{period.start.isoformat()} – {period.end.isoformat()}"
        if period.label.endswith("H"):
            return days
        try:
            first = hijri_month_of(period.start)
            last = hijri_month_of(period.end)
        except ValueError:
            return days
        hijri = self.hijri_month(*first)
        if last != first:
            hijri += f" – {self.hijri_month(*last)}"
        return f"{days} · {hijri}"


def _number(value: float) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:g}"
