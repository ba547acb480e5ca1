"""The KPI catalogue: every KPI declared once (docs/kpis.md is tested against it).

A declaration says what a KPI is — its name, kind (count, ratio, duration, percentile),
numerator and denominator, unit, display format, direction (is higher better?), how a
target on it reads, and its label, short label and definition in English and Arabic (one
Arabic term per KPI, used on every screen and in every export). Everything that names,
formats, labels or judges a KPI reads it here: the SQL builders' name lists, the Erlang
formulas and simulation reports, the exports, ``cca`` tables, dashboard tiles and their
formula tooltips, alert rules and staffing targets. The SQL that computes a KPI stays in
``calls.py``, ``tickets.py`` and ``occupancy.py``.

A service-level KPI is a *family*: ``sl_offered`` declares ``sl_offered_T`` for every
threshold T (``threshold_label`` spells T). ``kpi("sl_offered_12")`` finds the family;
so do a simulation's ``<name>_ci_low`` / ``_ci_high``, a forecast's ``<name>_low`` /
``_high``, a backtest's ``<name>_actual`` / ``_predicted`` and an intraday projection's
``<name>_p10`` / ``_p90`` (the same KPI's values).

Adding a KPI: one declaration below (under its subject, by the constructor of its kind:
``count``, ``share``, ``mean_s``, ``percentile``, ``service_level``) plus its SQL. What a
declaration holds and how it is checked is ``declaration.py``. The live KPIs of issue 23
(``calls_waiting``, ``oldest_wait_s``, ``agents_*``) go under ``subject="live"``.
"""

from __future__ import annotations

import re

from analytics.kpi.declaration import KPI, count, mean_s, percentile, service_level, share
from analytics.translation import for_reader, gettext, number, percent


def _l(en: str, ar: str) -> dict[str, str]:
    return {"en": en, "ar": ar}


# ------------------------------------------------------------------------- declarations
# Call KPIs (analytics.kpi.calls), in the order ``call_kpi_names`` lists them.
_CALLS = (
    count(
        "offered",
        "calls",
        "calls",
        "neither",
        _l("Calls offered", "المكالمات الواردة"),
        _l(
            "calls with outcome answered, abandoned or timeout",
            "المكالمات التي انتهت بالرد أو الترك أو انتهاء المهلة",
        ),
        short=_l("Offered", "الواردة"),
    ),
    count(
        "answered",
        "calls",
        "calls",
        "higher",
        _l("Calls answered", "المكالمات المجابة"),
        _l("calls answered by an agent", "المكالمات التي رد عليها موظف"),
        short=_l("Answered", "المجابة"),
    ),
    count(
        "abandoned",
        "calls",
        "calls",
        "lower",
        _l("Calls abandoned", "المكالمات المتروكة"),
        _l(
            "calls whose caller hung up while waiting",
            "المكالمات التي أنهاها المتصل أثناء الانتظار",
        ),
    ),
    count(
        "timed_out",
        "calls",
        "calls",
        "lower",
        _l("Calls timed out", "مكالمات انتهت مهلتها"),
        _l("calls whose wait the system ended", "المكالمات التي أنهى النظام انتظارها"),
    ),
    count(
        "short_abandoned",
        "calls",
        "calls",
        "neither",
        _l("Short abandons", "المكالمات المتروكة مبكرًا"),
        _l(
            "abandoned calls with wait_s < S ({s} s)", "المكالمات المتروكة بانتظار أقل من S ({s} ث)"
        ),
    ),
    share(
        "answer_rate",
        "calls",
        "higher",
        _l("Answer rate", "نسبة الرد"),
        _l("answered / offered", "المجابة ÷ الواردة"),
        short=_l("Answer rate", "نسبة الرد"),
        numerator=("answered",),
        denominator=("offered",),
    ),
    share(
        "answer_rate_excl_short",
        "calls",
        "higher",
        _l("Answer rate excl. short abandons", "نسبة الرد دون المتروكة مبكرًا"),
        _l("answered / (offered − short_abandoned)", "المجابة ÷ (الواردة − المتروكة مبكرًا)"),
        short=_l("Answer rate excl. short", "نسبة الرد دون المبكرة"),
        numerator=("answered",),
        denominator=("offered", "-short_abandoned"),
    ),
    share(
        "abandon_rate",
        "calls",
        "lower",
        _l("Abandon rate", "نسبة المكالمات المتروكة"),
        _l("abandoned / offered", "المتروكة ÷ الواردة"),
        short=_l("Abandon rate", "نسبة المتروكة"),
        numerator=("abandoned",),
        denominator=("offered",),
    ),
    service_level(
        "sl_answered",
        _l("Service level within {t} s (of answered)", "مستوى الخدمة خلال {t} ث (من المجابة)"),
        _l("answered with wait_s ≤ {t} s / answered", "المجابة بانتظار ≤ {t} ث ÷ المجابة"),
        short=_l("SL {t} s (answered)", "مستوى الخدمة {t} ث (المجابة)"),
        denominator=("answered",),
        what="answered within {t} s",
    ),
    service_level(
        "sl_offered",
        _l("Service level within {t} s (of offered)", "مستوى الخدمة خلال {t} ث (من الواردة)"),
        _l("answered with wait_s ≤ {t} s / offered", "المجابة بانتظار ≤ {t} ث ÷ الواردة"),
        short=_l("SL {t} s", "مستوى الخدمة {t} ث"),
        denominator=("offered",),
        what="answered within {t} s",
    ),
    service_level(
        "sl_excl_short",
        _l(
            "Service level within {t} s (excl. short abandons)",
            "مستوى الخدمة خلال {t} ث (دون المتروكة مبكرًا)",
        ),
        _l(
            "answered with wait_s ≤ {t} s / (offered − short_abandoned)",
            "المجابة بانتظار ≤ {t} ث ÷ (الواردة − المتروكة مبكرًا)",
        ),
        denominator=("offered", "-short_abandoned"),
        what="answered within {t} s",
    ),
    service_level(
        "sl_with_abandons",
        _l(
            "Service level within {t} s (incl. abandons within {t} s)",
            "مستوى الخدمة خلال {t} ث (مع المتروكة خلال {t} ث)",
        ),
        _l(
            "(answered with wait_s ≤ {t} s + abandoned with wait_s ≤ {t} s) / offered",
            "(المجابة بانتظار ≤ {t} ث + المتروكة بانتظار ≤ {t} ث) ÷ الواردة",
        ),
        denominator=("offered",),
        what="(answered + abandoned) within {t} s",
    ),
    mean_s(
        "asa_s",
        "calls",
        "lower",
        _l("Average speed of answer", "متوسط سرعة الرد"),
        _l("mean wait_s of answered calls (seconds)", "متوسط انتظار المكالمات المجابة (ثوانٍ)"),
        short=_l("ASA", "سرعة الرد"),
        denominator=("answered",),
        what="wait of answered calls",
    ),
    mean_s(
        "avg_abandon_wait_s",
        "calls",
        "neither",
        _l("Average wait before abandon", "متوسط الانتظار قبل الترك"),
        _l("mean wait_s of abandoned calls (seconds)", "متوسط انتظار المكالمات المتروكة (ثوانٍ)"),
        denominator=("abandoned",),
        what="wait of abandoned calls",
    ),
    mean_s(
        "aht_s",
        "calls",
        "neither",
        _l("Average handling time", "متوسط مدة المعالجة"),
        _l(
            "mean of talk_s + hold_s + acw_s over answered calls (seconds; missing parts 0)",
            "متوسط مدة المحادثة والتعليق والعمل اللاحق للمكالمات المجابة (ثوانٍ)",
        ),
        short=_l("AHT", "مدة المعالجة"),
        denominator=("answered",),
        what="talk + hold + after-call work of answered calls",
    ),
    percentile(
        "p90_wait_s",
        "calls",
        "seconds",
        "lower",
        _l("90th percentile wait (answered)", "الانتظار عند المئين 90 (المجابة)"),
        _l(
            "90th percentile of wait_s of answered calls (linear interpolation)",
            "المئين 90 لانتظار المكالمات المجابة (استيفاء خطي)",
        ),
        denominator=("answered",),
    ),
)

# Staffing KPIs (analytics.kpi.occupancy), in the order of ``OCCUPANCY_NAMES``.
_STAFFING = (
    count(
        "handled_s",
        "staffing",
        "seconds",
        "neither",
        _l("Handling time", "زمن المعالجة"),
        _l(
            "talk_s + hold_s + acw_s of the calls answered (seconds)",
            "مجموع المحادثة والتعليق والعمل اللاحق للمكالمات المجابة (ثوانٍ)",
        ),
    ),
    count(
        "staffed_s",
        "staffing",
        "seconds",
        "neither",
        _l("Staffed time", "زمن الموظفين المتاحين"),
        _l(
            "agents available × interval (seconds)",
            "الموظفون المتاحون × طول الفترة (ثوانٍ)",
        ),
    ),
    share(
        "occupancy",
        "staffing",
        "neither",
        _l("Agent occupancy", "نسبة إشغال الموظفين"),
        _l(
            "handling seconds of calls answered / staffed seconds (agents available × interval)",
            "ثواني معالجة المكالمات المجابة ÷ ثواني الموظفين المتاحين",
        ),
        numerator=("handled_s",),
        denominator=("staffed_s",),
    ),
)

# Ticket KPIs (analytics.kpi.tickets), in the order of ``TICKET_KPI_NAMES``.
_TICKETS = (
    count(
        "created",
        "tickets",
        "tickets",
        "neither",
        _l("Tickets created", "التذاكر المنشأة"),
        _l("tickets created in the period", "التذاكر المنشأة خلال الفترة"),
        short=_l("Created", "المنشأة"),
    ),
    count(
        "resolved",
        "tickets",
        "tickets",
        "higher",
        _l("Tickets resolved", "التذاكر المحلولة"),
        _l("tickets resolved in the period", "التذاكر المحلولة خلال الفترة"),
        short=_l("Resolved", "المحلولة"),
    ),
    percentile(
        "frt_wh_p50",
        "tickets",
        "working hours",
        "lower",
        _l("First response, median (working hours)", "أول رد، الوسيط (ساعات عمل)"),
        _l(
            "median first response time in working hours, tickets first answered in the period",
            "وسيط زمن أول رد بساعات العمل للتذاكر التي رُدَّ عليها خلال الفترة",
        ),
        short=_l("First response p50", "أول رد (الوسيط)"),
    ),
    percentile(
        "frt_wh_p90",
        "tickets",
        "working hours",
        "lower",
        _l("First response, 90th percentile (working hours)", "أول رد، المئين 90 (ساعات عمل)"),
        _l(
            "90th percentile of first response time in working hours",
            "المئين 90 لزمن أول رد بساعات العمل",
        ),
        short=_l("First response p90", "أول رد (المئين 90)"),
    ),
    percentile(
        "resolution_wd_p50",
        "tickets",
        "working days",
        "lower",
        _l("Resolution, median (working days)", "مدة الحل، الوسيط (أيام عمل)"),
        _l(
            "median working hours from creation to resolution / hours of a full working day",
            "وسيط ساعات العمل من الإنشاء إلى الحل ÷ ساعات يوم عمل كامل",
        ),
        short=_l("Resolution p50", "الحل (الوسيط)"),
    ),
    percentile(
        "resolution_wd_p90",
        "tickets",
        "working days",
        "lower",
        _l("Resolution, 90th percentile (working days)", "مدة الحل، المئين 90 (أيام عمل)"),
        _l(
            "90th percentile of resolution time in working days",
            "المئين 90 لمدة الحل بأيام العمل",
        ),
        short=_l("Resolution p90", "الحل (المئين 90)"),
    ),
    share(
        "sla_met_rate",
        "tickets",
        "higher",
        _l("Tickets within SLA", "التذاكر ضمن اتفاقية مستوى الخدمة"),
        _l(
            "of tickets created in the period that are resolved or past their deadline, "
            "the share resolved within {sla} working days",
            "من التذاكر المنشأة خلال الفترة والمحلولة أو المتجاوزة لموعدها، نسبة المحلولة "
            "خلال {sla} أيام عمل",
        ),
        short=_l("Within SLA", "ضمن الاتفاقية"),
        what="resolved within the SLA",
    ),
    count(
        "backlog",
        "tickets",
        "tickets",
        "lower",
        _l("Open tickets (backlog)", "التذاكر المفتوحة"),
        _l("tickets open at the end of the period", "التذاكر المفتوحة في نهاية الفترة"),
        short=_l("Open", "المفتوحة"),
    ),
    count(
        "at_risk",
        "tickets",
        "tickets",
        "lower",
        _l("Open tickets at risk", "تذاكر مفتوحة معرضة للتأخر"),
        _l(
            "open tickets whose deadline falls within the next working day",
            "التذاكر المفتوحة التي يحين موعدها خلال يوم العمل التالي",
        ),
        short=_l("At risk", "معرضة للتأخر"),
    ),
)

# Erlang formulas and staffing plans only (not measured from calls); the Erlang rows
# also carry the call ratios above under the same names.
_ERLANG = (
    count(
        "agents",
        "erlang",
        "agents",
        "neither",
        _l("Agents", "الموظفون"),
        _l("agents answering calls in the interval", "الموظفون الذين يردون على المكالمات"),
    ),
    count(
        "erlang_agents",
        "erlang",
        "agents",
        "neither",
        _l("Agents by Erlang A", "الموظفون حسب إرلانغ A"),
        _l(
            "the fewest agents Erlang A says meet the targets, before simulation",
            "أقل عدد من الموظفين يحقق المستهدفات حسب إرلانغ A، قبل المحاكاة",
        ),
    ),
    count(
        "headcount",
        "erlang",
        "agents",
        "neither",
        _l("Headcount", "عدد الموظفين المطلوب"),
        _l(
            "ceil(agents / (1 − shrinkage)): agents to roster for the agents answering",
            "سقف (الموظفون ÷ (1 − نسبة الغياب)): من يلزم جدولتهم",
        ),
    ),
    share(
        "p_wait",
        "erlang",
        "lower",
        _l("Probability of waiting", "احتمال الانتظار"),
        _l("probability that a call waits at all", "احتمال أن تنتظر المكالمة"),
    ),
    share(
        "p_abandon",
        "erlang",
        "lower",
        _l("Probability of abandoning", "احتمال ترك المكالمة"),
        _l(
            "probability that a caller hangs up before an answer (Erlang A; 0 for Erlang C); "
            "a simulation measures it as abandon_rate",
            "احتمال أن يُنهي المتصل المكالمة قبل الرد (إرلانغ A؛ صفر لإرلانغ C)",
        ),
    ),
)

# The queue now and agents' time, from a followed feed (analytics.kpi.live, agents; docs/live.md).
_LIVE = (
    count(
        "calls_waiting",
        "live",
        "calls",
        "lower",
        _l("Calls waiting", "المكالمات المنتظرة"),
        _l(
            "callers in a queue now, not yet answered",
            "المتصلون في قائمة الانتظار الآن ولم يُرد عليهم بعد",
        ),
        short=_l("Waiting", "المنتظرة"),
    ),
    mean_s(
        "oldest_wait_s",
        "live",
        "lower",
        _l("Longest wait now", "أطول انتظار الآن"),
        _l(
            "seconds the longest-waiting caller now has waited",
            "ثواني انتظار أقدم متصل منتظر الآن",
        ),
        short=_l("Longest wait", "أطول انتظار"),
    ),
    count(
        "agents_logged_in",
        "live",
        "agents",
        "neither",
        _l("Agents logged in", "الموظفون المسجلون"),
        _l(
            "agents logged in now (any state but logged out)",
            "الموظفون المسجلون الآن (أي حالة عدا الخروج)",
        ),
    ),
    count(
        "agents_available",
        "live",
        "agents",
        "higher",
        _l("Agents available", "الموظفون المتاحون"),
        _l(
            "agents logged in, not on a call, in wrap-up or on a break",
            "الموظفون المسجلون وليسوا في مكالمة أو عمل لاحق أو استراحة",
        ),
    ),
    count(
        "agents_on_call",
        "live",
        "agents",
        "neither",
        _l("Agents on a call", "الموظفون في مكالمة"),
        _l("agents on a call now (ringing included)", "الموظفون في مكالمة الآن (مع الرنين)"),
    ),
    count(
        "agents_wrap_up",
        "live",
        "agents",
        "neither",
        _l("Agents in wrap-up", "الموظفون في العمل اللاحق"),
        _l("agents doing after-call work now", "الموظفون في العمل اللاحق للمكالمة الآن"),
    ),
    count(
        "agents_paused",
        "live",
        "agents",
        "lower",
        _l("Agents on a break", "الموظفون في استراحة"),
        _l("agents on a break now (any reason)", "الموظفون في استراحة الآن (أي سبب)"),
    ),
    count(
        "logged_in_s",
        "live",
        "seconds",
        "neither",
        _l("Logged-in time", "مدة تسجيل الدخول"),
        _l(
            "seconds in any state but logged out",
            "الثواني في أي حالة عدا الخروج",
        ),
    ),
    count(
        "productive_s",
        "live",
        "seconds",
        "higher",
        _l("Time ready or handling", "مدة الجاهزية أو المعالجة"),
        _l(
            "seconds available, ringing, on a call or in wrap-up",
            "الثواني متاحًا أو في رنين أو مكالمة أو عمل لاحق",
        ),
    ),
    count(
        "handling_s",
        "live",
        "seconds",
        "neither",
        _l("Time ringing, on calls or in wrap-up", "مدة الرنين والمكالمات والعمل اللاحق"),
        _l(
            "seconds ringing, on a call or in wrap-up",
            "الثواني في رنين أو مكالمة أو عمل لاحق",
        ),
    ),
    count(
        "paused_s",
        "live",
        "seconds",
        "neither",
        _l("Pause time", "مدة الاستراحات"),
        _l(
            "seconds on a break (per reason as paused_s_<reason>)",
            "الثواني في استراحة (لكل سبب paused_s_<reason>)",
        ),
    ),
    count(
        "scheduled_s",
        "live",
        "seconds",
        "neither",
        _l("Scheduled time", "المدة المجدولة"),
        _l("seconds the roster schedules (work and breaks)", "الثواني المجدولة (عمل واستراحات)"),
    ),
    count(
        "adherent_s",
        "live",
        "seconds",
        "higher",
        _l("Time in adherence", "مدة الالتزام"),
        _l(
            "scheduled seconds doing what the roster says (or within the grace period)",
            "الثواني المجدولة المطابقة للجدول (أو ضمن مهلة السماح)",
        ),
    ),
    count(
        "planned_break_s",
        "live",
        "seconds",
        "neither",
        _l("Planned break time", "مدة الاستراحات المخططة"),
        _l("seconds the roster schedules away from the phones", "الثواني المجدولة بعيدًا عن الهاتف"),
    ),
    share(
        "adherence",
        "live",
        "higher",
        _l("Adherence to the roster", "الالتزام بالجدول"),
        _l("adherent_s / scheduled_s", "مدة الالتزام ÷ المدة المجدولة"),
        numerator=("adherent_s",),
        denominator=("scheduled_s",),
    ),
    count(
        "intervals_in_adherence",
        "live",
        "intervals",
        "higher",
        _l("Intervals in adherence", "الفترات الملتزمة"),
        _l(
            "scheduled intervals without a deviation beyond the grace period",
            "الفترات المجدولة دون انحراف يتجاوز مهلة السماح",
        ),
    ),
    count(
        "intervals_scheduled",
        "live",
        "intervals",
        "neither",
        _l("Intervals scheduled", "الفترات المجدولة"),
        _l("intervals the roster schedules", "الفترات التي يجدولها الجدول"),
    ),
    share(
        "shrinkage",
        "live",
        "lower",
        _l("Measured shrinkage", "نسبة الفاقد المقيسة"),
        _l(
            "1 − productive time within the scheduled time / scheduled_s",
            "1 − مدة الجاهزية أو المعالجة ضمن المجدول ÷ المدة المجدولة",
        ),
    ),
    share(
        "planned_shrinkage",
        "live",
        "neither",
        _l("Planned shrinkage (breaks)", "الفاقد المخطط (الاستراحات)"),
        _l("planned_break_s / scheduled_s", "مدة الاستراحات المخططة ÷ المدة المجدولة"),
        numerator=("planned_break_s",),
        denominator=("scheduled_s",),
    ),
    share(
        "unplanned_shrinkage",
        "live",
        "lower",
        _l("Unplanned shrinkage", "الفاقد غير المخطط"),
        _l("shrinkage − planned_shrinkage", "الفاقد المقيس − الفاقد المخطط"),
    ),
)

CATALOGUE: tuple[KPI, ...] = _CALLS + _STAFFING + _TICKETS + _ERLANG + _LIVE
_BY_NAME: dict[str, KPI] = {k.name: k for k in CATALOGUE}
assert len(_BY_NAME) == len(CATALOGUE), "a KPI is declared twice"

# Columns that commands print beside KPIs and that are not KPIs (keys, inputs, summaries).
# A command printing a column that is neither here nor a KPI fails tests/analytics/test_kpi_catalogue.py.
OTHER_COLUMNS: dict[str, tuple[str, ...]] = {
    "keys and dimensions": (
        *("centre_id", "category", "topic", "queue", "site", "channel", "agent_id"),
        *("priority", "scenario", "replication", "replications", "seed", "interval_start"),
        *("day", "weekday", "method", "fold", "test", "status", "missed", "summary"),
    ),
    "inputs of a plan (cca staff, cca roster)": (
        *("calls", "shifts", "shift", "start", "end", "break_start", "hours"),
    ),
    "a load's summary (cca generate, cca ingest)": (
        *("first_month", "last_month", "tickets", "staffing_rows", "calls_loaded"),
        *("calls_updated", "calls_unchanged", "removed", "seconds"),
    ),
    "forecast accuracy (cca forecast --backtest)": (
        *("wape", "mape", "poisson_floor", "actual", "forecast"),
    ),
    "a roster's cost and cover (cca roster)": (
        *("paid_hours", "required_agent_hours", "over_coverage", "gap"),
        "uncovered_intervals",
    ),
    "parts of a projection (cca intraday)": (
        *("rest_of_day", "intervals", "snapshot", "at", "source", "arrivals", "history"),
        *("actual_after", "staffing", "target", "changes"),
        *("model_error_days", "model_error_cut"),  # what the model's error was learnt from
    ),
    # The queue's state at an instant, as cca intraday reads it from the log (its
    # oldest_wait_s is the live KPI). The live KPIs name these calls_waiting and
    # agents_on_call / agents_available: renaming intraday's is for its owners.
    "the queue's state at an instant (cca intraday)": (
        *("waiting", "in_service", "available", "on_call"),
    ),
    "agents (cca kpi agents)": ("team", "in_adherence"),
    "fitted parameters (cca calibrate)": (
        *("calls_per_week", "handling_mu", "handling_sigma", "handling_mean_s"),
        *("handling_sd_s", "patience_km_mean_s", "patience_km_mean_restricted"),
        *("patience_km_median_s", "patience_exponential_mean_s", "patience_written"),
        *("staffing_proxy", "staffing_intervals", "staffing_agent_hours_week"),
        *("staffing_busy_agent_hours_week", "staffing_intervals_fit"),
        *("staffing_intervals_fit_floor", "staffing_intervals_fit_cap"),
        *("staffing_intervals_busy_few_calls", "staffing_intervals_busy_no_abandons"),
        *("staffing_fitted_agents_mean", "staffing_busy_agents_mean"),
    ),
}

SL_VARIANTS: tuple[str, ...] = tuple(k.name for k in CATALOGUE if k.per_threshold)
SL_NAME = re.compile(r"^(" + "|".join(SL_VARIANTS) + r")_(\d+(?:\.\d+)?)$")
_BOUND = re.compile(r"^(.+?)_(ci_low|ci_high|low|high|actual|predicted|p10|p90)$")
# a figure about a KPI named before it: the queue model's error (sd) of a projected KPI
_ABOUT = re.compile(r"^(model_error)_(.+)$")


class UnknownKPI(KeyError):
    def __str__(self) -> str:
        return f"{self.args[0]!r} is not a KPI of the catalogue (analytics/kpi/catalogue.py)"


def find(name: str, *, bounds: bool = True) -> tuple[KPI, str | None] | None:
    """The declaration of ``name`` and its threshold label (None if it has none); with
    ``bounds``, a bound ``<name>_ci_low`` etc. finds its KPI's. None for no KPI."""
    if name in _BY_NAME:
        return _BY_NAME[name], None
    if m := SL_NAME.match(name):
        return _BY_NAME[m.group(1)], m.group(2)
    if bounds and (m := _BOUND.match(name)):
        return find(m.group(1), bounds=False)
    if bounds and (m := _ABOUT.match(name)):
        return find(m.group(2), bounds=False)
    return None


def kpi(name: str) -> KPI:
    """The declaration of a KPI name (``sl_offered_12`` finds ``sl_offered``)."""
    found = find(name)
    if found is None:
        raise UnknownKPI(name)
    return found[0]


def is_kpi(name: str) -> bool:
    return find(name) is not None


def names(subject: str) -> tuple[str, ...]:
    """The declared names of a subject, in order (families as their stems)."""
    return tuple(k.name for k in CATALOGUE if k.subject == subject)


def fmt_of(name: str) -> str:
    """The display format of ``name``: a KPI's, else ``count`` (a plain number)."""
    found = find(name)
    return found[0].fmt if found else "count"


def is_share(name: str) -> bool:
    """Is ``name`` a KPI whose value is a share in [0, 1] (shown as a percentage)?"""
    found = find(name)
    return bool(found and found[0].is_share)


def label(name: str, lang: str, *, short: bool = False) -> str:
    """The reader's label of a KPI name, its threshold filled in (the name itself if it
    is no KPI, or a bound of one). ``short``: the narrow-column label, else the full one."""
    found = find(name, bounds=False)
    if found is None:
        return name
    k, t = found
    text = (k.short.get(lang) if short else None) or k.label[lang]
    return for_reader(text, lang).format(t=t)


def definition(name: str, lang: str, *, short_abandon_s: str = "S", sla_wd: str = "SLA") -> str:
    """The definition in words, with T, S and the SLA filled in ('' for no KPI)."""
    found = find(name, bounds=False)
    if found is None:
        return ""
    k, t = found
    return for_reader(k.definition[lang], lang).format(t=t, s=short_abandon_s, sla=sla_wd)


# ----------------------------------------------------------------------------- formats


def format_value(name: str, value: float | None, lang: str = "en") -> str:
    """A KPI value as a reader sees it: 78.4%, 12.3 s, 11,000, 1.75 working days
    (numbers by Babel for the reader's locale, units from the message catalogue)."""
    if value is None:
        return "—"
    fmt = fmt_of(name)
    if fmt == "ratio":
        return percent(value, lang, 1)
    if fmt == "seconds":
        return gettext(lang, "{value} s", value=number(value, lang, 1))
    if fmt == "hours":
        return gettext(lang, "{value} h", value=number(value, lang, 1))
    if fmt == "days":
        return gettext(lang, "{value} wd", value=number(value, lang, 2))
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
    if fmt_of(name) == "ratio":
        return gettext(lang, "{points} pts", points=format_points(delta))
    sign = "+" if delta > 0 else ("−" if delta < 0 else "±")
    return sign + format_value(name, abs(delta), lang)
