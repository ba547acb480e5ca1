"""The planner's own words: English is the key, ``PLANNER_AR`` the Arabic (``t``), and
the headings of its columns. KPI names are worded by the KPI layer's ``Labels``."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from analytics.exports.i18n import Labels

PLANNER_AR = {
    "volume ×%": "الحجم ×%",
    "handling ×%": "مدة المعالجة ×%",
    "patience ×%": "صبر المتصلين ×%",
    "shrinkage %": "نسبة التقلص %",
    "targets": "المستهدفات",
    "max abandon %": "أقصى نسبة ترك %",
    "± agents": "± موظفون",
    "from": "من",
    "to": "إلى",
    "Apply": "تطبيق",
    "Reset plan": "إعادة الخطة",
    "replications": "التكرارات",
    "Simulate": "محاكاة",
    "Find staffing": "إيجاد التوظيف",
    "Cancel": "إلغاء",
    "Save as what-if A": "حفظ كسيناريو أ",
    "Save as what-if B": "حفظ كسيناريو ب",
    "cost per agent-hour": "تكلفة ساعة الموظف",
    "week": "الأسبوع",
    "Levers": "المتغيرات",
    "Forecast: actual against forecast": "التنبؤ: الفعلي مقابل المتوقع",
    "method": "الطريقة",
    "Forecast this week": "تنبؤ هذا الأسبوع",
    "Roster: shifts and breaks covering the plan": "الجدولة: مناوبات واستراحات تغطي الخطة",
    "shifts": "المناوبات",
    "break window": "نافذة الاستراحة",
    "Roster the plan": "جدولة الخطة",
    "Scenarios side by side": "السيناريوهات جنباً إلى جنب",
    "calibrate on": "المعايرة على",
    "predict": "التنبؤ لـ",
    "Backtest": "اختبار رجعي",
    "Calls": "المكالمات",
    "Agent-hours": "ساعات الموظفين",
    "Paid hours": "الساعات المدفوعة",
    "Intervals green / amber / red": "الفترات خضراء / صفراء / حمراء",
    "Green": "خضراء",
    "Amber": "صفراء",
    "Red": "حمراء",
    "Closed": "مغلقة",
    "current": "الخطة الحالية",
    "what-if A": "السيناريو أ",
    "what-if B": "السيناريو ب",
    "Simulation 95% CI": "المحاكاة: فاصل ثقة 95%",
    "Simulation": "المحاكاة",
    "On phones": "على الهاتف",
    "Status": "الحالة",
    "Scenario": "السيناريو",
    "Δ agent-hours": "Δ ساعات الموظفين",
    "Δ paid hours": "Δ الساعات المدفوعة",
    "Δ cost": "Δ التكلفة",
    "actual": "الفعلي",
    "predicted": "المتوقع",
    "error (pp)": "الخطأ (نقطة)",
    "error %": "الخطأ %",
    "Day": "اليوم",
    "all": "الفترة كلها",
    "80% interval": "نطاق 80%",
    "forecast": "التنبؤ",
    "need (plan)": "الحاجة (الخطة)",
    "on the phones": "على الهاتف",
    "trained on": "تدرّب على",
    "calls": "مكالمة",
    "status": "الحالة",
    "optimal": "مثلى",
    "within gap": "ضمن الفجوة",
    "time limit": "انتهت المهلة",
    "paid hours": "الساعات المدفوعة",
    "for": "مقابل",
    "required agent-hours": "ساعة عمل مطلوبة",
    "over-coverage": "التغطية الزائدة",
    "cannot cover": "لا يمكن تغطية",
    "shift groups": "مجموعة مناوبات",
    "agent-shifts": "مناوبة موظف",
    # jobs: kinds and states
    "queued": "في الانتظار",
    "running": "قيد التشغيل",
    "done": "اكتملت",
    "cancelled": "أُلغيت",
    "failed": "فشلت",
    # templates (filled in with str.format)
    " · {hours} agent-hours": " · {hours} ساعة موظف",
    # targets, as a form
    "service level": "مستوى الخدمة",
    "of offered calls": "من المكالمات الواردة",
    "of answered calls": "من المكالمات المجابة",
    "incl. abandons within the time": "مع المتروكة خلال المدة",
    "excl. short abandons": "دون المتروكة مبكرًا",
    "answered within (s)": "الرد خلال (ث)",
    "at least %": "على الأقل %",
    "Service-level target: the share of calls answered within the time": (
        "مستهدف مستوى الخدمة: نسبة المكالمات التي يُرد عليها خلال المدة"
    ),
    # plain words for what used to show a command or a format
    "How well does the model predict this week?": "ما مدى دقة النموذج في التنبؤ بهذا الأسبوع؟",
    "Scenario file": "ملف السيناريو",
    "Plan (CSV)": "الخطة (CSV)",
    "Comparison (Excel)": "المقارنة (Excel)",
    "Roster (CSV)": "الجدولة (CSV)",
    "within {gap} of the best roster": "ضمن {gap} من أفضل جدولة",
    # jobs, in words
    "simulation": "المحاكاة",
    "finding staffing": "إيجاد التوظيف",
    "testing the model": "اختبار النموذج",
    # the simulation and Erlang A side by side
    "Erlang A and the simulation": "Erlang A والمحاكاة",
    "Erlang A (instant)": "Erlang A (فوري)",
    "Simulation (95% interval)": "المحاكاة (نطاق 95%)",
    "Agree?": "متفقان؟",
    "yes: inside the interval": "نعم: داخل النطاق",
    "no: outside the interval": "لا: خارج النطاق",
    "Why they differ: Erlang A treats every interval on its own, as if it lasted for ever "
    "at that rate, with exponential handling and patience times and one pool of agents. "
    "The simulation follows each call: a queue left at the end of an interval carries into "
    "the next, handling and patience follow the distributions fitted to the history, and "
    "caller categories keep their priorities.": (
        "سبب الاختلاف: يعامل Erlang A كل فترة وحدها كأنها تدوم بالمعدل نفسه بلا نهاية، "
        "بأزمنة معالجة وصبر أُسّية ومجموعة واحدة من الموظفين. أما المحاكاة فتتبع كل مكالمة: "
        "ما بقي في الطابور آخر الفترة ينتقل إلى التي تليها، وأزمنة المعالجة والصبر تتبع "
        "التوزيعات المعايرة من السجل، وتحتفظ فئات المتصلين بأولوياتها."
    ),
    "Which to trust: where they disagree, the simulation (within its 95% interval). "
    "Erlang A is instant, so use it to try levers, and the simulation to confirm a plan.": (
        "أيهما يُعتمد: حيث يختلفان فالمحاكاة (ضمن نطاق 95%). Erlang A فوري، فاستخدمه لتجربة "
        "المتغيرات، والمحاكاة لتأكيد الخطة."
    ),
    "The simulation below was of an earlier plan or levers and is no longer drawn: "
    "press Simulate again.": (
        "كانت المحاكاة لخطة أو متغيرات سابقة فلم تعد تُرسم: اضغط «محاكاة» من جديد."
    ),
    "Press Simulate to check Erlang A against the simulation.": (
        "اضغط «محاكاة» لمقارنة Erlang A بالمحاكاة."
    ),
    # found staffing, worded with both models
    "Found staffing: the simulation finds every interval meets the targets": (
        "التوظيف المقترح: تجد المحاكاة أن كل الفترات تحقق المستهدفات"
    ),
    "Found staffing: by the simulation {n} intervals cannot meet the targets: ": (
        "التوظيف المقترح: بحسب المحاكاة {n} فترة لا تستطيع تحقيق المستهدفات: "
    ),
    "; Erlang A puts {amber} in amber and {red} in red (see Erlang A and the simulation).": (
        "؛ ويضع Erlang A {amber} فترة في الأصفر و{red} في الأحمر (انظر Erlang A والمحاكاة)."
    ),
    "; Erlang A agrees: every interval green.": "؛ ويتفق Erlang A: كل الفترات خضراء.",
    "The plan has changed since Find staffing.": "تغيّرت الخطة منذ «إيجاد التوظيف».",
    # the comparison
    "previous plan": "الخطة السابقة",
    "scenario": "سيناريو",
    "target": "المستهدف",
    # forecast methods and the forecast's error, in words
    "weekly profile": "النمط الأسبوعي",
    "best of the methods (auto)": "أفضل الطرق (auto)",
    "exponential smoothing (ETS)": "التمهيد الأسي (ETS)",
    "seasonal decomposition (MSTL)": "التحليل الموسمي (MSTL)",
    "regression on the calendar (GLM)": "الانحدار على التقويم (GLM)",
    " · off by {wape} of the calls": " · بفارق {wape} من المكالمات",
    " · simulated: {kpi} {sl} (95% interval {low} to {high})": (
        " · بالمحاكاة: {kpi} {sl} (نطاق 95%: {low} إلى {high})"
    ),
    "Rostered paid hours": "الساعات المدفوعة في الجدولة",
}

# the planner's own columns (everything not a KPI of the KPI layer)
COLUMN_WORDS = {
    "calls": "Calls",
    "agent_hours": "Agent-hours",
    "paid_hours": "Paid hours",
    "intervals_green": "Green",
    "intervals_amber": "Amber",
    "intervals_red": "Red",
    "agent_hours_diff": "Δ agent-hours",
    "paid_hours_diff": "Δ paid hours",
    "cost_diff": "Δ cost",
    "rostered_paid_hours": "Rostered paid hours",
    "scenario": "Scenario",
    "status": "Status",
    "agents": "On phones",
    "day": "Day",
}


def t(text: str, lang: str) -> str:
    """The planner's own words in the reader's language (English is the key)."""
    return PLANNER_AR.get(text, text) if lang == "ar" else text


# a job's kind in words (the kind's name stays in the job's record)
KIND_WORDS = {
    "simulate": "simulation",
    "find_staffing": "finding staffing",
    "backtest": "testing the model",
}


def kind_word(kind: str, lang: str) -> str:
    """A job's kind as the reader says it, capitalised in English."""
    word = t(KIND_WORDS.get(kind, kind), lang)
    return word[:1].upper() + word[1:] if lang == "en" else word


def lang_of(search: str | None) -> str:
    """The reader's language from the page's query string (``?lang=ar``)."""
    return "ar" if dict(parse_qsl((search or "").lstrip("?"))).get("lang") == "ar" else "en"


def column_label(key: str, lang: str) -> str:
    """A column's or tile's heading: the KPI layer's short label for a KPI name (its
    formula is on the Overview's tiles), the planner's word for its own columns."""
    if key in COLUMN_WORDS:
        return t(COLUMN_WORDS[key], lang)
    return Labels(lang).short(key)


# long labels ("Service level within 12 s", Arabic ones) wrap instead of being cut
WRAPPED_HEADERS = {"wrapHeaderText": True, "autoHeaderHeight": True}


def words_formatter(words: dict[str, str]) -> dict:
    """An AG Grid valueFormatter showing a cell's key in the reader's words: the value
    stays the key (colours and saved scenarios go by it), unknown keys show as they are."""
    return {"function": f"({json.dumps(words, ensure_ascii=False)})[params.value] || params.value"}


def isolated(text: str) -> str:
    """Text that reads left to right (a period, a range of figures, a Latin name) kept so
    inside Arabic (a Unicode left-to-right isolate): "2026-09-20..2026-09-26" and
    "[71.8% – 77.0%]" do not read backwards. Invisible in English."""
    return f"\u2066{text}\u2069"


# dates, periods and shift patterns typed into a field read left to right in Arabic too
LTR_INPUT = {"input": {"direction": "ltr"}}


def pin_side(lang: str) -> str:
    """Where a grid's leading columns stay: the reader's start side (right in Arabic)."""
    return "right" if lang == "ar" else "left"
