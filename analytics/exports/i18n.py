"""Words of the executive exports in English and Arabic.

An executive in Manama or Riyadh reads the monthly report in Arabic, right to left; the
same figures go to an English edition. Everything a reader sees that is not a number
comes from here: sheet and column titles, Gregorian and Hijri (Umm al-Qura) month names,
weekdays and the seed centres' caller categories; KPI labels, definitions and formats
come from the KPI catalogue (``analytics.kpi.catalogue``). Caller categories, topics,
queues, sites and channels are shown by the centre's own labels (``analytics.labels``,
stored with the data) when it has them, else by the seed names below or a readable form
of the code. KPI *names* (``sl_offered_12``) are the contract and are never translated:
they appear beside the labels so a reader can look them up.

``Labels(lang)`` is the one object the writers use: ``labels.kpi("sl_offered_12")`` gives
"Service level within 12 s (of offered)" or «مستوى الخدمة خلال 12 ث (من الواردة)».
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from analytics.kpi import catalogue
from analytics.kpi.catalogue import format_change, format_value
from analytics.labels import NOT_RECORDED, display
from analytics.periods import Period, hijri_date, hijri_month_of

LANGUAGES = ("en", "ar")

GREGORIAN_MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "ar": [
        "يناير",
        "فبراير",
        "مارس",
        "أبريل",
        "مايو",
        "يونيو",
        "يوليو",
        "أغسطس",
        "سبتمبر",
        "أكتوبر",
        "نوفمبر",
        "ديسمبر",
    ],
}
HIJRI_MONTHS = {
    "en": [
        "Muharram",
        "Safar",
        "Rabi al-Awwal",
        "Rabi al-Thani",
        "Jumada al-Ula",
        "Jumada al-Akhirah",
        "Rajab",
        "Shaban",
        "Ramadan",
        "Shawwal",
        "Dhu al-Qadah",
        "Dhu al-Hijjah",
    ],
    "ar": [
        "محرم",
        "صفر",
        "ربيع الأول",
        "ربيع الآخر",
        "جمادى الأولى",
        "جمادى الآخرة",
        "رجب",
        "شعبان",
        "رمضان",
        "شوال",
        "ذو القعدة",
        "ذو الحجة",
    ],
}
# ISO weekday (1 = Monday) -> name
WEEKDAYS = {
    "en": {
        1: "Monday",
        2: "Tuesday",
        3: "Wednesday",
        4: "Thursday",
        5: "Friday",
        6: "Saturday",
        7: "Sunday",
    },
    "ar": {
        1: "الاثنين",
        2: "الثلاثاء",
        3: "الأربعاء",
        4: "الخميس",
        5: "الجمعة",
        6: "السبت",
        7: "الأحد",
    },
}
WEEKDAYS_PLURAL = {
    "en": {d: f"{name}s" for d, name in WEEKDAYS["en"].items()},
    "ar": {
        1: "أيام الاثنين",
        2: "أيام الثلاثاء",
        3: "أيام الأربعاء",
        4: "أيام الخميس",
        5: "أيام الجمعة",
        6: "أيام السبت",
        7: "أيام الأحد",
    },
}
# The seed centres' caller categories, for a store without labels of its own (any other
# code without a label is shown as words, analytics.labels.readable).
CATEGORIES = {
    "en": {
        "employer": "Employers",
        "worker": "Workers",
        "other": "Others",
        None: NOT_RECORDED["en"],
    },
    "ar": {
        "employer": "أصحاب العمل",
        "worker": "العمال",
        "other": "أخرى",
        None: NOT_RECORDED["ar"],
    },
}
CATEGORY_CALLS = {
    "en": {"employer": "employer calls", "worker": "worker calls", "other": "other calls"},
    "ar": {
        "employer": "مكالمات أصحاب العمل",
        "worker": "مكالمات العمال",
        "other": "المكالمات الأخرى",
    },
}

_WORDS = {
    "en": {
        "title": "Monthly contact-centre report",
        "sheet_summary": "Summary",
        "sheet_category": "By category",
        "sheet_topic": "By topic",
        "sheet_daily": "Daily trend",
        "sheet_intraday": "Intraday profile",
        "sheet_tickets": "Tickets",
        "sheet_definitions": "Definitions",
        "kpi": "KPI",
        "name": "Name",
        "this_month": "This period",
        "target": "Target",
        "status": "Status",
        "previous": "Previous period",
        "year_before": "Same period a year before",
        "change": "Change",
        "category": "Caller category",
        "topic": "Topic",
        "date": "Date",
        "weekday": "Weekday",
        "hijri_date": "Hijri date",
        "slot": "Time of day",
        "all": "All",
        "as_of": "Data up to",
        "produced": "produced",
        "no_calls_yet": "no call",
        "data_stop": "The data stop on {date} at {time}, {days} days before the end of this period: these figures are incomplete.",
        "time_zone": "Time zone",
        "period": "Period",
        "centre": "Centre",
        "definition": "Definition",
        "unit": "Unit",
        "setting": "Setting",
        "value": "Value",
        "thresholds": "Service-level thresholds T",
        "short_abandon": "Short-abandon threshold S",
        "ticket_sla": "Ticket SLA",
        "full_day": "Full working day",
        "weekend": "Weekend",
        "opening_hours": "Opening hours",
        "holidays": "Public holidays of",
        "closed": "closed",
        "targets": "Targets (traffic lights: green meets, amber within tolerance, red misses)",
        "tolerance": "Amber tolerance",
        "seconds": "s",
        "working_days": "working days",
        "working_hours": "working hours",
        "hours": "hours",
        "unit_count": "count",
        "unit_ratio": "ratio (0–1)",
        "unit_seconds": "seconds",
        "unit_hours": "working hours",
        "unit_days": "working days",
        "headline": "Headline figures",
        "highlights": "Highlights",
        "calls": "Calls",
        "tickets": "E-support tickets",
        "daily_chart": "Calls offered per day and service level within {t} s",
        "intraday_chart": "Calls offered per {m} minutes over the period and service level within {t} s",
        "category_chart": "Calls offered by caller category",
        "topic_chart": "Calls offered by topic",
        "tickets_chart": "Tickets created and resolved per day",
        "vs": "vs",
        "points": "pts",
        "no_data": "no data",
        "page": "Page {n} of {total}",
        "source": "Every figure comes from the KPI layer (analytics.kpi); definitions on the last sheet.",
        "pdf_source": "Every figure comes from the one KPI layer; formulas and thresholds: Definitions sheet of the Excel edition.",
        "calls_offered_axis": "calls",
        "hijri": "Hijri",
        "gregorian": "Gregorian",
        "none": "none",
    },
    "ar": {
        "title": "التقرير الشهري لمركز الاتصال",
        "sheet_summary": "الملخص",
        "sheet_category": "حسب فئة المتصل",
        "sheet_topic": "حسب الموضوع",
        "sheet_daily": "الاتجاه اليومي",
        "sheet_intraday": "خلال اليوم",
        "sheet_tickets": "التذاكر",
        "sheet_definitions": "التعريفات",
        "kpi": "المؤشر",
        "name": "الاسم",
        "this_month": "هذه الفترة",
        "target": "المستهدف",
        "status": "الحالة",
        "previous": "الفترة السابقة",
        "year_before": "الفترة نفسها من العام السابق",
        "change": "التغير",
        "category": "فئة المتصل",
        "topic": "الموضوع",
        "date": "التاريخ",
        "weekday": "اليوم",
        "hijri_date": "التاريخ الهجري",
        "slot": "وقت اليوم",
        "all": "الكل",
        "as_of": "البيانات حتى",
        "produced": "أُعدّ في",
        "no_calls_yet": "لا مكالمات",
        "data_stop": "تتوقف البيانات في {date} الساعة {time}، قبل نهاية هذه الفترة بـ {days} يوماً: هذه الأرقام ناقصة.",
        "time_zone": "المنطقة الزمنية",
        "period": "الفترة",
        "centre": "المركز",
        "definition": "التعريف",
        "unit": "الوحدة",
        "setting": "الإعداد",
        "value": "القيمة",
        "thresholds": "حدود مستوى الخدمة T",
        "short_abandon": "حد الترك المبكر S",
        "ticket_sla": "اتفاقية مستوى خدمة التذاكر",
        "full_day": "يوم العمل الكامل",
        "weekend": "عطلة نهاية الأسبوع",
        "opening_hours": "ساعات العمل",
        "holidays": "العطل الرسمية في",
        "closed": "مغلق",
        "targets": "المستهدفات (الأخضر يحقق، الأصفر ضمن هامش السماح، الأحمر لا يحقق)",
        "tolerance": "هامش السماح",
        "seconds": "ث",
        "working_days": "أيام عمل",
        "working_hours": "ساعات عمل",
        "hours": "ساعات",
        "unit_count": "عدد",
        "unit_ratio": "نسبة (0–1)",
        "unit_seconds": "ثوانٍ",
        "unit_hours": "ساعات عمل",
        "unit_days": "أيام عمل",
        "headline": "الأرقام الرئيسية",
        "highlights": "أبرز النتائج",
        "calls": "المكالمات",
        "tickets": "تذاكر الدعم الإلكتروني",
        "daily_chart": "المكالمات الواردة يوميًا ومستوى الخدمة خلال {t} ث",
        "intraday_chart": "المكالمات الواردة لكل {m} دقيقة خلال الفترة ومستوى الخدمة خلال {t} ث",
        "category_chart": "المكالمات الواردة حسب فئة المتصل",
        "topic_chart": "المكالمات الواردة حسب الموضوع",
        "tickets_chart": "التذاكر المنشأة والمحلولة يوميًا",
        "vs": "مقابل",
        "points": "نقطة",
        "no_data": "لا بيانات",
        "page": "صفحة {n} من {total}",
        "source": "كل رقم مصدره طبقة المؤشرات (analytics.kpi)؛ التعريفات في الورقة الأخيرة.",
        "pdf_source": "كل رقم مصدره طبقة المؤشرات الموحدة؛ المعادلات والحدود في ورقة التعريفات من نسخة إكسل.",
        "calls_offered_axis": "مكالمات",
        "hijri": "هجري",
        "gregorian": "ميلادي",
        "none": "لا يوجد",
    },
}

# units of durations in narrow column headers
_UNIT_ABBREVIATIONS = {
    "en": {"seconds": "s", "hours": "wh", "days": "wd"},
    "ar": {"seconds": "ث", "hours": "ساعات عمل", "days": "أيام عمل"},
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
        self.rtl = lang == "ar"
        self.names = names or {}

    def __getitem__(self, key: str) -> str:
        return _WORDS[self.lang][key]

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
        return self["data_stop"].format(
            date=age.latest.strftime("%Y-%m-%d"), time=age.latest.strftime("%H:%M"), days=age.days
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
        unit = _UNIT_ABBREVIATIONS[self.lang].get(catalogue.fmt_of(name))
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
        if dimension == "category" and value in CATEGORIES[self.lang]:
            return CATEGORIES[self.lang][value]
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
        known = CATEGORY_CALLS[self.lang]
        label = self.category(value)
        if value in known and label == CATEGORIES[self.lang].get(value):
            return known[value]
        if self.lang == "ar":
            return f"مكالمات {label}"
        # Mid-sentence, a capitalised word label reads as a name ("Private customers");
        # an acronym ("VIP") keeps its capitals.
        if label[:1].isupper() and label[1:2].islower():
            label = label[0].lower() + label[1:]
        return f"calls from {label}"

    def weekday(self, iso_weekday: int) -> str:
        return WEEKDAYS[self.lang][iso_weekday]

    def weekdays(self, iso_weekday: int) -> str:
        return WEEKDAYS_PLURAL[self.lang][iso_weekday]

    def gregorian_month(self, year: int, month: int) -> str:
        return f"{GREGORIAN_MONTHS[self.lang][month - 1]} {year}"

    def hijri_month(self, year: int, month: int) -> str:
        suffix = "AH" if self.lang == "en" else "هـ"
        return f"{HIJRI_MONTHS[self.lang][month - 1]} {year} {suffix}"

    def date(self, day: dt.date) -> str:
        """'Sunday 1 September 2024' / 'الأحد 1 سبتمبر 2024'."""
        month = GREGORIAN_MONTHS[self.lang][day.month - 1]
        return f"{self.weekday(day.isoweekday())} {day.day} {month} {day.year}"

    def hijri_date(self, day: dt.date) -> str:
        hijri = hijri_date(day)
        if hijri is None:
            raise ValueError(f"{day} has no Umm al-Qura date")
        year, month, day_of_month = hijri
        return f"{day_of_month} {HIJRI_MONTHS[self.lang][month - 1]} {year}"

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
