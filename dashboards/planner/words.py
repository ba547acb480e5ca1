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
    "max abandon %": "أقصى تخلٍّ %",
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
    "Plan CSV": "الخطة CSV",
    "Scenario TOML": "السيناريو TOML",
    "Comparison Excel": "المقارنة Excel",
    "week": "الأسبوع",
    "Levers": "المتغيرات",
    "Forecast: actual against forecast": "التنبؤ: الفعلي مقابل المتوقع",
    "method": "الطريقة",
    "Forecast this week": "تنبؤ هذا الأسبوع",
    "Roster: shifts and breaks covering the plan": "الجدولة: مناوبات واستراحات تغطي الخطة",
    "shifts": "المناوبات",
    "break window": "نافذة الاستراحة",
    "Roster the plan": "جدولة الخطة",
    "Roster CSV": "الجدولة CSV",
    "Scenarios side by side": "السيناريوهات جنباً إلى جنب",
    "How good is the model here? (cca backtest)": "ما مدى دقة النموذج هنا؟ (cca backtest)",
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
    "MIP gap": "فجوة الحل",
    "cannot cover": "لا يمكن تغطية",
    "shift groups": "مجموعة مناوبات",
    "agent-shifts": "مناوبة موظف",
    # jobs: kinds and states
    "simulate": "المحاكاة",
    "find_staffing": "إيجاد التوظيف",
    "backtest": "اختبار رجعي",
    "queued": "في الانتظار",
    "running": "قيد التشغيل",
    "done": "اكتملت",
    "cancelled": "أُلغيت",
    "failed": "فشلت",
    # templates (filled in with str.format)
    " · simulated sl_offered_12 {sl} [{low}, {high}]": " · مستوى الخدمة خلال 12 ث بالمحاكاة {sl} [{low}، {high}]",
    "{n} intervals cannot meet the targets: ": "{n} فترة لا تستطيع تحقيق المستهدفات: ",
    "every interval meets the targets": "كل الفترات تحقق المستهدفات",
    " · {hours} agent-hours": " · {hours} ساعة موظف",
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
    "scenario": "Scenario",
    "status": "Status",
    "agents": "On phones",
    "day": "Day",
}


def t(text: str, lang: str) -> str:
    """The planner's own words in the reader's language (English is the key)."""
    return PLANNER_AR.get(text, text) if lang == "ar" else text


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


def pin_side(lang: str) -> str:
    """Where a grid's leading columns stay: the reader's start side (right in Arabic)."""
    return "right" if lang == "ar" else "left"
