"""Words of the executive exports in English and Arabic.

An executive in Manama or Riyadh reads the monthly report in Arabic, right to left; the
same figures go to an English edition. ``Labels`` gathers what a reader sees that is not
a number: KPI labels and their definitions (the formulas of docs/kpis.md in words), sheet
and column titles, month names (Gregorian by Babel, Hijri from the catalogue), weekdays
and the seed centres' caller categories. The English words below are message ids; their
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

from hijridate import Gregorian

from analytics.labels import display
from analytics.periods import Period, hijri_month_of
from analytics.translation import LANGUAGES, N_, NP_, number, percent, translator, weekday_name
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

# KPI labels with {t} for a service-level threshold (seconds).
_KPI_LABELS = {
    "en": {
        "offered": "Calls offered",
        "answered": "Calls answered",
        "abandoned": "Calls abandoned",
        "timed_out": "Calls timed out",
        "short_abandoned": "Short abandons",
        "answer_rate": "Answer rate",
        "answer_rate_excl_short": "Answer rate excl. short abandons",
        "abandon_rate": "Abandon rate",
        "sl_answered": "Service level within {t} s (of answered)",
        "sl_offered": "Service level within {t} s (of offered)",
        "sl_excl_short": "Service level within {t} s (excl. short abandons)",
        "sl_with_abandons": "Service level within {t} s (incl. abandons within {t} s)",
        "asa_s": "Average speed of answer",
        "avg_abandon_wait_s": "Average wait before abandon",
        "aht_s": "Average handling time",
        "p90_wait_s": "90th percentile wait (answered)",
        "occupancy": "Agent occupancy",
        "created": "Tickets created",
        "resolved": "Tickets resolved",
        "frt_wh_p50": "First response, median (working hours)",
        "frt_wh_p90": "First response, 90th percentile (working hours)",
        "resolution_wd_p50": "Resolution, median (working days)",
        "resolution_wd_p90": "Resolution, 90th percentile (working days)",
        "sla_met_rate": "Tickets within SLA",
        "backlog": "Open tickets (backlog)",
        "at_risk": "Open tickets at risk",
    },
    "ar": {
        "offered": "المكالمات الواردة",
        "answered": "المكالمات المجابة",
        "abandoned": "المكالمات المتروكة",
        "timed_out": "مكالمات انتهت مهلتها",
        "short_abandoned": "المكالمات المتروكة مبكرًا",
        "answer_rate": "نسبة الرد",
        "answer_rate_excl_short": "نسبة الرد دون المتروكة مبكرًا",
        "abandon_rate": "نسبة المكالمات المتروكة",
        "sl_answered": "مستوى الخدمة خلال {t} ث (من المجابة)",
        "sl_offered": "مستوى الخدمة خلال {t} ث (من الواردة)",
        "sl_excl_short": "مستوى الخدمة خلال {t} ث (دون المتروكة مبكرًا)",
        "sl_with_abandons": "مستوى الخدمة خلال {t} ث (مع المتروكة خلال {t} ث)",
        "asa_s": "متوسط سرعة الرد",
        "avg_abandon_wait_s": "متوسط الانتظار قبل الترك",
        "aht_s": "متوسط مدة المعالجة",
        "p90_wait_s": "الانتظار عند المئين 90 (المجابة)",
        "occupancy": "نسبة إشغال الموظفين",
        "created": "التذاكر المنشأة",
        "resolved": "التذاكر المحلولة",
        "frt_wh_p50": "أول رد، الوسيط (ساعات عمل)",
        "frt_wh_p90": "أول رد، المئين 90 (ساعات عمل)",
        "resolution_wd_p50": "مدة الحل، الوسيط (أيام عمل)",
        "resolution_wd_p90": "مدة الحل، المئين 90 (أيام عمل)",
        "sla_met_rate": "التذاكر ضمن اتفاقية مستوى الخدمة",
        "backlog": "التذاكر المفتوحة",
        "at_risk": "تذاكر مفتوحة معرضة للتأخر",
    },
}
# Short labels for narrow table columns (PDF); others fall back to the full label.
_SHORT_LABELS = {
    "en": {
        "offered": "Offered",
        "answered": "Answered",
        "answer_rate": "Answer rate",
        "answer_rate_excl_short": "Answer rate excl. short",
        "abandon_rate": "Abandon rate",
        "sl_offered": "SL {t} s",
        "sl_answered": "SL {t} s (answered)",
        "asa_s": "ASA",
        "aht_s": "AHT",
        "created": "Created",
        "resolved": "Resolved",
        "frt_wh_p50": "First response p50",
        "frt_wh_p90": "First response p90",
        "resolution_wd_p50": "Resolution p50",
        "resolution_wd_p90": "Resolution p90",
        "sla_met_rate": "Within SLA",
        "backlog": "Open",
        "at_risk": "At risk",
    },
    "ar": {
        "offered": "الواردة",
        "answered": "المجابة",
        "answer_rate": "نسبة الرد",
        "answer_rate_excl_short": "نسبة الرد دون المبكرة",
        "abandon_rate": "نسبة الترك",
        "sl_offered": "مستوى الخدمة {t} ث",
        "sl_answered": "مستوى الخدمة {t} ث (المجابة)",
        "asa_s": "سرعة الرد",
        "aht_s": "مدة المعالجة",
        "created": "المنشأة",
        "resolved": "المحلولة",
        "frt_wh_p50": "أول رد (الوسيط)",
        "frt_wh_p90": "أول رد (المئين 90)",
        "resolution_wd_p50": "الحل (الوسيط)",
        "resolution_wd_p90": "الحل (المئين 90)",
        "sla_met_rate": "ضمن المهلة",
        "backlog": "المفتوحة",
        "at_risk": "معرضة للتأخر",
    },
}
# Definitions (docs/kpis.md) in words; {t} = T, {s} = S, {sla} = SLA in working days.
_KPI_DEFINITIONS = {
    "en": {
        "offered": "calls with outcome answered, abandoned or timeout",
        "answered": "calls answered by an agent",
        "abandoned": "calls whose caller hung up while waiting",
        "timed_out": "calls whose wait the system ended",
        "short_abandoned": "abandoned calls with wait_s < S ({s} s)",
        "answer_rate": "answered / offered",
        "answer_rate_excl_short": "answered / (offered − short_abandoned)",
        "abandon_rate": "abandoned / offered",
        "sl_answered": "answered with wait_s ≤ {t} s / answered",
        "sl_offered": "answered with wait_s ≤ {t} s / offered",
        "sl_excl_short": "answered with wait_s ≤ {t} s / (offered − short_abandoned)",
        "sl_with_abandons": "(answered with wait_s ≤ {t} s + abandoned with wait_s ≤ {t} s) / offered",
        "asa_s": "mean wait_s of answered calls (seconds)",
        "avg_abandon_wait_s": "mean wait_s of abandoned calls (seconds)",
        "aht_s": "mean of talk_s + hold_s + acw_s over answered calls (seconds; missing parts 0)",
        "p90_wait_s": "90th percentile of wait_s of answered calls (linear interpolation)",
        "occupancy": "handling seconds of calls answered / staffed seconds (agents available × interval)",
        "created": "tickets created in the period",
        "resolved": "tickets resolved in the period",
        "frt_wh_p50": "median first response time in working hours, tickets first answered in the period",
        "frt_wh_p90": "90th percentile of first response time in working hours",
        "resolution_wd_p50": "median working hours from creation to resolution / hours of a full working day",
        "resolution_wd_p90": "90th percentile of resolution time in working days",
        "sla_met_rate": "of tickets created in the period that are resolved or past their deadline, the share resolved within {sla} working days",
        "backlog": "tickets open at the end of the period",
        "at_risk": "open tickets whose deadline falls within the next working day",
    },
    "ar": {
        "offered": "المكالمات التي انتهت بالرد أو الترك أو انتهاء المهلة",
        "answered": "المكالمات التي رد عليها موظف",
        "abandoned": "المكالمات التي أنهاها المتصل أثناء الانتظار",
        "timed_out": "المكالمات التي أنهى النظام انتظارها",
        "short_abandoned": "المكالمات المتروكة بانتظار أقل من S ({s} ث)",
        "answer_rate": "المجابة ÷ الواردة",
        "answer_rate_excl_short": "المجابة ÷ (الواردة − المتروكة مبكرًا)",
        "abandon_rate": "المتروكة ÷ الواردة",
        "sl_answered": "المجابة بانتظار ≤ {t} ث ÷ المجابة",
        "sl_offered": "المجابة بانتظار ≤ {t} ث ÷ الواردة",
        "sl_excl_short": "المجابة بانتظار ≤ {t} ث ÷ (الواردة − المتروكة مبكرًا)",
        "sl_with_abandons": "(المجابة بانتظار ≤ {t} ث + المتروكة بانتظار ≤ {t} ث) ÷ الواردة",
        "asa_s": "متوسط انتظار المكالمات المجابة (ثوانٍ)",
        "avg_abandon_wait_s": "متوسط انتظار المكالمات المتروكة (ثوانٍ)",
        "aht_s": "متوسط مدة المحادثة والتعليق والعمل اللاحق للمكالمات المجابة (ثوانٍ)",
        "p90_wait_s": "المئين 90 لانتظار المكالمات المجابة (استيفاء خطي)",
        "occupancy": "ثواني معالجة المكالمات المجابة ÷ ثواني الموظفين المتاحين",
        "created": "التذاكر المنشأة خلال الفترة",
        "resolved": "التذاكر المحلولة خلال الفترة",
        "frt_wh_p50": "وسيط زمن أول رد بساعات العمل للتذاكر التي رُدَّ عليها خلال الفترة",
        "frt_wh_p90": "المئين 90 لزمن أول رد بساعات العمل",
        "resolution_wd_p50": "وسيط ساعات العمل من الإنشاء إلى الحل ÷ ساعات يوم عمل كامل",
        "resolution_wd_p90": "المئين 90 لمدة الحل بأيام العمل",
        "sla_met_rate": "من التذاكر المنشأة خلال الفترة والمحلولة أو المتجاوزة لموعدها، نسبة المحلولة خلال {sla} أيام عمل",
        "backlog": "التذاكر المفتوحة في نهاية الفترة",
        "at_risk": "التذاكر المفتوحة التي يحين موعدها خلال يوم العمل التالي",
    },
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
    "as_of": N_("Figures as of"),
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

_SL_NAME = re.compile(r"^(sl_answered|sl_offered|sl_excl_short|sl_with_abandons)_(.+)$")


# units of durations in narrow column headers
_UNIT_ABBREVIATIONS = {
    "seconds": NP_("column unit", "s"),
    "hours": NP_("column unit", "wh"),
    "days": NP_("column unit", "wd"),
}


def kpi_kind(name: str) -> str:
    """How a KPI is measured: count, ratio, seconds, hours (working) or days (working)."""
    if name.startswith("sl_") or "_rate" in name or name == "occupancy":
        return "ratio"
    if name.endswith("_s"):
        return "seconds"
    if name.startswith("frt_wh"):
        return "hours"
    if name.startswith("resolution_wd"):
        return "days"
    return "count"


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

    def kpi(self, name: str) -> str:
        """The reader's label of a KPI name, thresholds filled in."""
        if m := _SL_NAME.match(name):
            return _KPI_LABELS[self.lang][m.group(1)].format(t=m.group(2))
        return _KPI_LABELS[self.lang].get(name, name)

    def short(self, name: str) -> str:
        """A short label for a narrow column (no unit: ``column`` adds it)."""
        short = _SHORT_LABELS[self.lang]
        if (m := _SL_NAME.match(name)) and m.group(1) in short:
            return short[m.group(1)].format(t=m.group(2))
        return short.get(name) or self.kpi(name)

    def column(self, name: str) -> str:
        """A table column's header: the short label and, for a duration, its unit
        abbreviated ("ASA (s)", "Resolution p50 (wd)"); a full label that names its unit
        keeps it as it is."""
        label = self.short(name)
        unit = _UNIT_ABBREVIATIONS.get(kpi_kind(name))
        if unit is not None:
            unit = self.tr.pgettext(*unit)
        if unit is None or label.endswith(f"({self.unit(name)})"):
            return label
        return f"{label} ({unit})"

    def definition(self, name: str, *, short_abandon_s: float, sla_wd: float) -> str:
        s = _number(short_abandon_s)
        sla = _number(sla_wd)
        if m := _SL_NAME.match(name):
            return _KPI_DEFINITIONS[self.lang][m.group(1)].format(t=m.group(2), s=s, sla=sla)
        return _KPI_DEFINITIONS[self.lang].get(name, "").format(s=s, sla=sla)

    def unit(self, name: str) -> str:
        return self[f"unit_{kpi_kind(name)}"]

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
        h = Gregorian(day.year, day.month, day.day).to_hijri()
        return f"{h.day} {self.tr.gettext(HIJRI_MONTHS[h.month - 1])} {h.year}"

    def period_name(self, period: Period) -> str:
        """'September 2024', 'Rabi al-Awwal 1446 AH' or '2024-09-01 – 2024-09-15'."""
        label = period.label
        if re.fullmatch(r"\d{4}-\d{2}H", label):
            return self.hijri_month(int(label[:4]), int(label[5:7]))
        if re.fullmatch(r"\d{4}-\d{2}", label):
            return self.gregorian_month(int(label[:4]), int(label[5:7]))
        return f"{period.start.isoformat()} – {period.end.isoformat()}"

    def period_span(self, period: Period) -> str:
        """The other calendar's view of a period: its Gregorian days and Hijri months."""
        first = hijri_month_of(period.start)
        last = hijri_month_of(period.end)
        hijri = self.hijri_month(*first)
        if last != first:
            hijri += f" – {self.hijri_month(*last)}"
        days = f"{period.start.isoformat()} – {period.end.isoformat()}"
        if period.label.endswith("H"):
            return days
        return f"{days} · {hijri}"


def _number(value: float) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:g}"


def format_value(name: str, value: float | None, lang: str = "en") -> str:
    """A KPI value as a reader sees it: 78.4%, 12.3 s, 11,000, 1.75 working days
    (numbers by Babel for the reader's locale, units from the catalogue)."""
    if value is None:
        return "—"
    kind = kpi_kind(name)
    if kind == "ratio":
        return percent(value, lang, 1)
    tr = translator(lang)
    if kind == "seconds":
        return tr.gettext("{value} s", value=number(value, lang, 1))
    if kind == "hours":
        return tr.gettext("{value} h", value=number(value, lang, 1))
    if kind == "days":
        return tr.gettext("{value} wd", value=number(value, lang, 2))
    return number(round(value), lang)


def format_points(delta: float) -> str:
    """A change of a ratio in percentage points, signed: +2.1, −4.0."""
    points = delta * 100
    sign = "+" if points > 0.05 else ("−" if points < -0.05 else "±")
    return f"{sign}{abs(points):.1f}"


def format_change(name: str, delta: float | None, lang: str = "en") -> str:
    """The change of a KPI between two periods: points for ratios, units otherwise."""
    if delta is None:
        return "—"
    if kpi_kind(name) == "ratio":
        return translator(lang).gettext("{points} pts", points=format_points(delta))
    sign = "+" if delta > 0 else ("−" if delta < 0 else "±")
    return sign + format_value(name, abs(delta), lang)
