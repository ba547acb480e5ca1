"""Words of the executive exports in English and Arabic.

An executive in Manama or Riyadh reads the monthly report in Arabic, right to left; the
same figures go to an English edition. Everything a reader sees that is not a number
comes from here: KPI labels and their definitions (the formulas of docs/kpis.md in words),
sheet and column titles, Gregorian and Hijri (Umm al-Qura) month names, weekdays and the
seed centres' caller categories. Caller categories, topics, queues, sites and channels
are shown by the centre's own labels (``analytics.labels``, stored with the data) when it
has them, else by the seed names below or a readable form of the code. KPI *names* (``sl_offered_12``) are the contract and are
never translated: they appear beside the labels so a reader can look them up.

``Labels(lang)`` is the one object the writers use: ``labels.kpi("sl_offered_12")`` gives
"Service level within 12 s (of offered)" or «مستوى الخدمة خلال 12 ث (من المعروضة)».
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from analytics.labels import NOT_RECORDED, display
from analytics.periods import Period, hijri_month_of

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
        # live operations (analytics.kpi.live)
        "calls_waiting": "Calls waiting",
        "oldest_wait_s": "Longest wait now",
        "agents_logged_in": "Agents logged in",
        "agents_available": "Agents available",
        "agents_on_call": "Agents on a call",
        "agents_wrap_up": "Agents in wrap-up",
        "agents_paused": "Agents on a break",
        # agents (analytics.kpi.agents)
        "logged_in_s": "Logged-in time",
        "productive_s": "Time ready or handling",
        "handling_s": "Handling time",
        "paused_s": "Pause time",
        "scheduled_s": "Scheduled time",
        "adherence": "Adherence to the roster",
        "intervals_in_adherence": "Intervals in adherence",
        "shrinkage": "Measured shrinkage",
        "planned_shrinkage": "Planned shrinkage (breaks)",
        "unplanned_shrinkage": "Unplanned shrinkage",
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
        "calls_waiting": "المكالمات المنتظرة",
        "oldest_wait_s": "أطول انتظار الآن",
        "agents_logged_in": "الموظفون المسجلون",
        "agents_available": "الموظفون المتاحون",
        "agents_on_call": "الموظفون في مكالمة",
        "agents_wrap_up": "الموظفون في العمل اللاحق",
        "agents_paused": "الموظفون في استراحة",
        "logged_in_s": "مدة تسجيل الدخول",
        "productive_s": "مدة الجاهزية أو المعالجة",
        "handling_s": "مدة المعالجة",
        "paused_s": "مدة الاستراحات",
        "scheduled_s": "المدة المجدولة",
        "adherence": "الالتزام بالجدول",
        "intervals_in_adherence": "الفترات الملتزمة",
        "shrinkage": "نسبة الفاقد المقيسة",
        "planned_shrinkage": "الفاقد المخطط (الاستراحات)",
        "unplanned_shrinkage": "الفاقد غير المخطط",
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
        "calls_waiting": "callers in a queue now, not yet answered",
        "oldest_wait_s": "seconds the longest-waiting caller now has waited",
        "agents_logged_in": "agents logged in now (any state but logged out)",
        "agents_available": "agents logged in, not on a call, in wrap-up or on a break",
        "agents_on_call": "agents on a call now (ringing included)",
        "agents_wrap_up": "agents doing after-call work now",
        "agents_paused": "agents on a break now (any reason)",
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
        "calls_waiting": "المتصلون في قائمة الانتظار الآن ولم يُرد عليهم بعد",
        "oldest_wait_s": "ثواني انتظار أقدم متصل منتظر الآن",
        "agents_logged_in": "الموظفون المسجلون الآن (أي حالة عدا الخروج)",
        "agents_available": "الموظفون المسجلون وليسوا في مكالمة أو عمل لاحق أو استراحة",
        "agents_on_call": "الموظفون في مكالمة الآن (مع الرنين)",
        "agents_wrap_up": "الموظفون في العمل اللاحق للمكالمة الآن",
        "agents_paused": "الموظفون في استراحة الآن (أي سبب)",
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
        "as_of": "Figures as of",
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
        "as_of": "الأرقام حتى",
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

_SL_NAME = re.compile(r"^(sl_answered|sl_offered|sl_excl_short|sl_with_abandons)_(.+)$")


# units of durations in narrow column headers
_UNIT_ABBREVIATIONS = {
    "en": {"seconds": "s", "hours": "wh", "days": "wd"},
    "ar": {"seconds": "ث", "hours": "ساعات عمل", "days": "أيام عمل"},
}


def kpi_kind(name: str) -> str:
    """How a KPI is measured: count, ratio, seconds, hours (working) or days (working)."""
    if name.startswith("sl_") or "_rate" in name or name in ("occupancy", "adherence"):
        return "ratio"
    if name.endswith("shrinkage"):
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
        self.rtl = lang == "ar"
        self.names = names or {}

    def __getitem__(self, key: str) -> str:
        return _WORDS[self.lang][key]

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
        unit = _UNIT_ABBREVIATIONS[self.lang].get(kpi_kind(name))
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
        from hijridate import Gregorian

        h = Gregorian(day.year, day.month, day.day).to_hijri()
        return f"{h.day} {HIJRI_MONTHS[self.lang][h.month - 1]} {h.year}"

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
    """A KPI value as a reader sees it: 78.4%, 12.3 s, 11,000, 1.75 working days."""
    if value is None:
        return "—"
    kind = kpi_kind(name)
    if kind == "ratio":
        return f"{value * 100:.1f}%"
    if kind == "seconds":
        return f"{value:,.1f} " + ("s" if lang == "en" else "ث")
    if kind == "hours":
        return f"{value:,.1f} " + ("h" if lang == "en" else "س")
    if kind == "days":
        return f"{value:,.2f} " + ("wd" if lang == "en" else "يوم عمل")
    return f"{int(round(value)):,}"


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
        return format_points(delta) + (" pts" if lang == "en" else " نقطة")
    sign = "+" if delta > 0 else ("−" if delta < 0 else "±")
    return sign + format_value(name, abs(delta), lang)
