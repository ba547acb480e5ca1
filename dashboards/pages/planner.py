"""``/planner``: what-if staffing — exact Erlang A at once, simulation with confidence
intervals behind it, plans compared side by side.

A planner picks a week: a week of the centre's history (``?week=YYYY-MM-DD``, calibrated
from the store as ``cca calibrate`` does; its plan is the staffing table, else the
calibration's staffing) or a scenario pack (``?scenario=NAME``). The plan is a chart and
an editable grid (agents per interval). Levers — volume ×, per caller category too,
handling time ×, patience ×, shrinkage, N agents added or removed over a time range,
targets — answer at once with exact Erlang A per interval (``simulation.planning.whatif``), each
interval red/amber/green. "Simulate" and "Find staffing" run in the background
(``simulation.operations.jobs.JobRunner``: progress, cancel, one job per user, found again after a
reload); the simulation's 95% bands are drawn over the Erlang A line, and a found plan
becomes the current one. Up to three plans are compared (current, what-if A, what-if B)
with the cost of the difference in agent-hours; the plan downloads as CSV (``cca simulate
--staffing``), the scenario as TOML (``cca simulate --scenario``), the comparison as Excel.
"""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import parse_qsl

import dash
import dash_ag_grid as dag
import dash_mantine_components as dmc
import plotly.graph_objects as go
from dash import ALL, Input, Output, State, dcc, html, no_update

from analytics.kpi.catalogue import is_share
from dashboards import charts
from dashboards.auth import Forbidden, require_page
from dashboards.context import app_context, centre_for
from dashboards.frame import PageContext, page
from dashboards.words import words

PATH = "/planner"
KPI_TILES = ("sl_offered_12", "sl_offered_30", "abandon_rate", "asa_s", "occupancy")
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


# where a week's agents came from, in Arabic (by the calibration's proxy name)
AGENTS_FROM_AR = {
    "table": "جدول المناوبات (متوسط الموظفين المتاحين)",
    "fit": "موظفو Erlang A الذين يفقدون نسبة المتخلّين المرصودة في كل فترة (لا جدول مناوبات)",
    "busy": "الموظفون المشغولون بالمكالمات (لا جدول مناوبات)",
    "shifts": "الموظفون الحاضرون من أول مكالمة إلى آخرها، دون فجوات تزيد على 30 دقيقة (لا جدول مناوبات)",
    "answering": "عدد الموظفين الذين ردّوا على مكالمات (لا جدول مناوبات)",
    "erlang_a": "Erlang A لمستوى خدمة 80% (لا جدول مناوبات ولا أرقام موظفين)",
}

# where a backtest's agents came from, in Arabic (by the backtest's staffing mode)
BACKTEST_AGENTS_AR = {
    "table": "جدول المناوبات لأيام الاختبار",
    "presence": "الموظفون الحاضرون في كل يوم اختبار × نسبة تُتعلَّم من أيام المعايرة",
    "day": "موظفو المعايرة لكل يوم من الأسبوع بحسب حمل اليوم",
    "weekday": "موظفو المعايرة لكل يوم من الأسبوع",
}


def week_source(week, lang: str, centre_name: str = "") -> str:
    """Where the week and its plan came from, in the reader's language."""
    if lang != "ar" or not week.origin:
        return week.source
    if week.origin[0] == "scenario":
        return f"سيناريو {week.origin[1]}"
    _, centre_id, period, proxy = week.origin
    agents = AGENTS_FROM_AR.get(proxy, proxy)
    return f"معايَر من سجل {centre_name or centre_id} للفترة {period}؛ الموظفون: {agents}"


def job_line(status: dict, lang: str) -> str:
    """A job's kind, state and how far it got, in the reader's language (an error's
    own text stays as the job wrote it)."""
    kind, state = status["kind"], status["state"]
    if lang != "ar":
        return f"{kind}: {state} — {status.get('message') or ''}"
    line = f"{t(kind, lang)}: {t(state, lang)}"
    if state == "failed":
        return f"{line} — {status.get('message') or ''}"
    if state == "running" and status.get("total"):
        line += f" — {status.get('done') or 0} من {status['total']}"
    return line


def backtest_note(result: dict, lang: str) -> str:
    """One line over the backtest table: what was calibrated and predicted, and the
    whole period's answer rate predicted (95% CI) against actual."""
    total = result["rows"][-1]
    predicted, low, high, actual = (
        total[f"answer_rate_{k}"] for k in ("predicted", "ci_low", "ci_high", "actual")
    )
    if lang == "ar":
        agents = BACKTEST_AGENTS_AR.get(result.get("staffing", ""), result["staffing_source"])
        return (
            f"المعايرة على {result['train']} والتنبؤ لـ {result['test']} "
            f"({result['replications']} تكرارات؛ الموظفون: {agents}). "
            f"الفترة كلها: نسبة الرد المتوقعة {predicted:.1%} [{low:.1%}، {high:.1%}] "
            f"مقابل {actual:.1%} فعلياً."
        )
    return (
        f"calibrated on {result['train']}, predicted {result['test']} "
        f"({result['replications']} replications; agents: {result['staffing_source']}). "
        f"Whole period: answer_rate {predicted:.1%} predicted [{low:.1%}, {high:.1%}] "
        f"against {actual:.1%} actual."
    )


# long labels ("Service level within 12 s", Arabic ones) wrap instead of being cut
WRAPPED_HEADERS = {"wrapHeaderText": True, "autoHeaderHeight": True}


def words_formatter(words: dict[str, str]) -> dict:
    """An AG Grid valueFormatter showing a cell's key in the reader's words: the value
    stays the key (colours and saved scenarios go by it), unknown keys show as they are."""
    return {"function": f"({json.dumps(words, ensure_ascii=False)})[params.value] || params.value"}


def lever_input(id_: str, label: str, value, *, low=0, high=None, w=110):
    """A percent lever (volume ×%, handling ×%, ...) in steps of 5."""
    return dmc.NumberInput(id=id_, label=label, value=value, min=low, max=high, step=5, w=w)


def pin_side(lang: str) -> str:
    """Where a grid's leading columns stay: the reader's start side (right in Arabic)."""
    return "right" if lang == "ar" else "left"


def column_label(key: str, lang: str) -> str:
    """A column's or tile's heading: the KPI layer's short label for a KPI name (its
    formula is on the Overview's tiles), the planner's word for its own columns."""
    from analytics.exports.i18n import Labels

    if key in COLUMN_WORDS:
        return t(COLUMN_WORDS[key], lang)
    return Labels(lang).short(key)


STATUS = {"green": charts.GOOD, "amber": charts.WARN, "red": charts.BAD, "closed": charts.MUTED}


# ------------------------------------------------------------------------------ the week


def store_weeks(con, centre, limit: int = 12) -> list[dt.date]:
    """Sundays that start a week with calls, newest first."""
    rows = con.execute(
        "SELECT min(arrived_at), max(arrived_at) FROM calls WHERE centre_id = ?",
        [centre.centre_id],
    ).fetchone()
    if rows[0] is None:
        return []
    first, last = (r.astimezone(centre.tz).date() for r in rows)
    sunday = last - dt.timedelta(days=(last.weekday() + 1) % 7)
    weeks = []
    while sunday + dt.timedelta(days=6) >= first and len(weeks) < limit:
        weeks.append(sunday)
        sunday -= dt.timedelta(days=7)
    return weeks


def scenario_names() -> list[str]:
    """The installed scenario packs, by name: the only scenarios a page loads (never a
    path a client sends)."""
    from simulation.queue.scenario import SCENARIO_DIR

    return sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))


def checked_source(source: str | None) -> str:
    """``week:YYYY-MM-DD`` or ``scenario:NAME`` of an installed pack, else ValueError
    (whose message names no file and echoes nothing of one)."""
    kind, _, value = str(source or "").partition(":")
    if kind == "week":
        try:
            return "week:" + dt.date.fromisoformat(value).isoformat()
        except ValueError:
            raise ValueError(f"week {value[:40]!r}: give a date as YYYY-MM-DD") from None
    if kind == "scenario" and value in scenario_names():
        return "scenario:" + value
    known = ", ".join(scenario_names())
    raise ValueError(f"scenario {value[:40]!r}: not a scenario pack (known: {known})")


def planner_source(source) -> tuple[str, str]:
    """(centre id, source) of the page's ``planner-source`` store, decided on the server:
    the centre must be one the signed-in user may see (``centre_for``), the source a week
    of history or an installed pack. Every planner callback starts here."""
    if not isinstance(source, dict):
        raise Forbidden("no planner source")
    centre_id = centre_for(source.get("centre"))
    try:
        return centre_id, checked_source(source.get("source"))
    except ValueError as exc:
        raise Forbidden(str(exc)) from None


def load_week(centre_id: str, source: str):
    """The planner's week for ``source`` (``week:YYYY-MM-DD`` or ``scenario:NAME``),
    built once per version of the store (calibrating a week takes a second or two)."""
    app = app_context()

    def build():
        from simulation.planning.whatif import week_from_scenario, week_from_store

        kind, _, value = checked_source(source).partition(":")
        if kind == "scenario":
            from simulation.queue.scenario import SCENARIO_DIR, load_scenario

            return week_from_scenario(load_scenario(SCENARIO_DIR / f"{value}.toml"), days=7)
        from analytics.centres import get_centre

        with app.store.reader() as con:
            centre = get_centre(con, centre_id)
            return week_from_store(con, centre, dt.date.fromisoformat(value))

    return app.memo(("planner-week", centre_id, source), build)


def source_of(query: dict, weeks: list[dt.date]) -> str | None:
    if query.get("scenario"):
        return "scenario:" + query["scenario"]
    if query.get("week"):
        return "week:" + query["week"]
    # the newest whole week of history (the latest may still be running)
    if len(weeks) > 1:
        return "week:" + weeks[1].isoformat()
    return "week:" + weeks[0].isoformat() if weeks else None


# ---------------------------------------------------------------------------- Erlang A


# What one planner may ask of the server: answered at once with a message, not minutes.
MAX_PERCENT = 1_000.0  # a lever: volume, handling or patience × up to 10
MAX_AGENTS = 5_000  # in one interval of a plan
MAX_SHIFT_TEXT = 200  # characters of the shift templates
ROSTER_TIME_LIMIT_S = 5.0  # the roster's MILP solver, in a request's thread
MAX_BACKTEST_DAYS = (92, 31)  # calibrate on, predict


def percent(value, name: str, default: float, high: float = MAX_PERCENT) -> float:
    """A lever's percentage as a fraction, within 0..``high`` (ValueError otherwise)."""
    try:
        number = float(default if value in (None, "") else value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: {str(value)[:20]!r} is not a number") from None
    if not 0 <= number <= high:
        raise ValueError(f"{name}: {number:g}% is not between 0 and {high:g}%")
    return number / 100


def levers_of(volume, handling, patience, shrinkage, cat_ids, cat_values):
    from simulation.planning.whatif import Levers

    by_cat = {}
    for i, v in zip((cat_ids or [])[:MAX_CATEGORIES], cat_values or [], strict=False):
        if v is not None and float(v) != 100:
            by_cat[str(i["cat"])[:100]] = percent(v, f"volume of {i['cat']}", 100)
    return Levers(
        volume=percent(volume, "volume", 100),
        volume_by_category=by_cat,
        handling=percent(handling, "handling", 100),
        patience=percent(patience, "patience", 100),
        shrinkage=percent(shrinkage, "shrinkage", 0, high=95),
    )


MAX_CATEGORIES = 50


def checked_plan(plan, week) -> list[int]:
    """The client's plan as agents per interval of ``week``: as many as it has intervals,
    each a whole number 0..``MAX_AGENTS`` (ValueError otherwise)."""
    if not isinstance(plan, list) or len(plan) != len(week.agents):
        raise ValueError(f"a plan has one number per interval of the week ({len(week.agents)})")
    try:
        agents = [int(a) for a in plan]
    except (TypeError, ValueError):
        raise ValueError("a plan's agents are whole numbers") from None
    if any(not 0 <= a <= MAX_AGENTS for a in agents):
        raise ValueError(f"agents per interval: between 0 and {MAX_AGENTS:,}")
    return agents


def targets_of(target: str | None, max_abandon) -> tuple[list[str], float | None]:
    texts = [t.strip() for t in (target or "sl_offered_12>=0.8").split(",") if t.strip()]
    return texts, (float(max_abandon) / 100 if max_abandon not in (None, "") else None)


def evaluate(week, plan, levers, targets, max_abandon):
    from simulation.planning.whatif import erlang_week

    return erlang_week(week, plan, levers, targets, max_abandon=max_abandon)


def grid_rows(result, lang: str) -> list[dict]:
    from analytics.exports.i18n import Labels

    labels = Labels(lang)
    rows = []
    for r in result.intervals:
        start = r["interval_start"]
        rows.append(
            {
                "index": r["index"],
                "row_id": str(r["index"]),  # AG Grid wants string row ids
                "day": labels.weekday(start.isoweekday()) + f" {start:%d/%m}",
                "time": f"{start:%H:%M}",
                "calls": r["calls"],
                "aht_s": r["aht_s"],
                "plan": r["plan"],
                "agents": r["agents"],
                "sl_offered_12": r.get("sl_offered_12"),
                "sl_offered_30": r.get("sl_offered_30"),
                "abandon_rate": r.get("abandon_rate"),
                "asa_s": r.get("asa_s"),
                "occupancy": r.get("occupancy"),
                "status": r["status"],
            }
        )
    return rows


def week_figure(result, lang: str, simulated: list[dict] | None = None) -> dict:
    """The week's plan as bars coloured by Erlang A's verdict, Erlang A's service level
    as a line, and the simulation's mean and 95% band over it when there is one."""
    from analytics.exports.i18n import Labels

    w = words(lang)
    starts = [r["interval_start"] for r in result.intervals]
    # open intervals side by side (no empty nights): one category per interval
    labels = Labels(lang)
    sl_label = labels.short("sl_offered_12")
    # two-line ticks (day, then time) so a week of half hours reads without overlap
    xs = [
        f"{labels.weekday(s.isoweekday())[:3] if lang == 'en' else labels.weekday(s.isoweekday())} {s:%d/%m}<br>{s:%H:%M}"
        for s in starts
    ]
    data = [
        {
            "type": "bar",
            "x": xs,
            "y": [r["plan"] for r in result.intervals],
            "name": w["agents"],
            "marker": {"color": [STATUS[r["status"]] for r in result.intervals]},
            "opacity": 0.45,
            "yaxis": "y2",
            "hovertemplate": "%{x}: %{y}<extra></extra>",
        }
    ]
    if simulated:
        by_start = {r["interval_start"]: r for r in simulated}
        keys = [x.isoformat() for x in starts]
        low = [by_start.get(k, {}).get("sl_offered_12_ci_low") for k in keys]
        high = [by_start.get(k, {}).get("sl_offered_12_ci_high") for k in keys]
        mean = [by_start.get(k, {}).get("sl_offered_12") for k in keys]
        data += [
            {
                "type": "scatter",
                "x": xs,
                "y": high,
                "mode": "lines",
                "line": {"width": 0},
                "showlegend": False,
            },
            {
                "type": "scatter",
                "x": xs,
                "y": low,
                "mode": "lines",
                "line": {"width": 0},
                "fill": "tonexty",
                "fillcolor": "rgba(174, 62, 201, 0.22)",
                "name": t("Simulation 95% CI", lang),
            },
            {
                "type": "scatter",
                "x": xs,
                "y": mean,
                "mode": "lines",
                "name": t("Simulation", lang),
                "line": {"color": "#ae3ec9", "width": 1},
            },
        ]
    data.append(
        {
            "type": "scatter",
            "x": xs,
            "y": [r.get("sl_offered_12") for r in result.intervals],
            "mode": "lines",
            "name": f"Erlang A · {sl_label}",
            "line": {"color": "#1b2559", "width": 2},
            "connectgaps": False,
        }
    )
    fig = charts.base(charts.figure(data), height=360)
    layout = fig["layout"]
    layout["yaxis"].update({"tickformat": ".0%", "range": [0, 1.05], "title": {"text": sl_label}})
    layout["yaxis2"] = {
        "overlaying": "y",
        "rangemode": "tozero",
        "tickformat": ",d",
        "side": "right",
        "showgrid": False,
        "title": {"text": w["agents"]},
    }
    layout["hovermode"] = "x unified"
    layout["xaxis"].update({"type": "category", "nticks": 10, "tickangle": 0})
    if lang == "ar":
        layout["xaxis"]["autorange"] = "reversed"
        layout["yaxis"]["side"] = "right"
        layout["yaxis2"]["side"] = "left"
    return fig


def totals_tiles(result, lang: str = "en") -> html.Div:
    from analytics.exports.i18n import Labels
    from analytics.kpi.catalogue import format_value

    labels = Labels(lang)
    totals = result.totals
    tiles = [
        html.Div(
            [
                html.Div(labels.kpi(name), className="kpi-label", title=name),
                html.Div(
                    format_value(name, totals.get(name), lang),
                    className="kpi-value",
                    **{"data-kpi": name, "id": f"planner-total-{name}"},
                ),
            ],
            className="kpi-tile",
        )
        for name in KPI_TILES
    ]
    tiles.append(
        html.Div(
            [
                html.Div(t("Agent-hours", lang), className="kpi-label"),
                html.Div(
                    f"{totals['agent_hours']:,.1f}", className="kpi-value", id="planner-hours"
                ),
            ],
            className="kpi-tile",
        )
    )
    tiles.append(
        html.Div(
            [
                html.Div(t("Intervals green / amber / red", lang), className="kpi-label"),
                html.Div(
                    f"{totals['intervals_green']} / {totals['intervals_amber']} / "
                    f"{totals['intervals_red']}",
                    className="kpi-value",
                    id="planner-rag",
                ),
            ],
            className="kpi-tile",
        )
    )
    return html.Div(tiles, className="tile-grid")


# ------------------------------------------------------------------------------ layout


def build_for(query: dict):
    def build(ctx: PageContext):
        w = ctx.w
        lang = ctx.lang
        weeks = store_weeks(ctx.con, ctx.centre)
        source = source_of(query, weeks)
        if source is None:
            return dmc.Alert(w["no_data"], color="blue")
        try:
            week = load_week(ctx.centre.centre_id, source)
        except (ValueError, FileNotFoundError) as exc:
            return dmc.Alert(str(exc), color="red")
        options = [{"value": "week:" + d.isoformat(), "label": ctx.labels.date(d)} for d in weeks]
        options += [{"value": "scenario:" + n, "label": f"scenario {n}"} for n in scenario_names()]
        runner = app_context().jobs
        active = next(
            (j for j in runner.jobs(ctx.user.username, 1) if j["state"] in ("queued", "running")),
            None,
        )
        day_options = sorted(
            {(s.date().isoformat(), ctx.labels.date(s.date())) for s in week.starts}
        )
        times = sorted({f"{s:%H:%M}" for s in week.starts})
        levers = html.Div(
            [
                lever_input("planner-volume", t("volume ×%", lang), 100),
                lever_input("planner-handling", t("handling ×%", lang), 100, low=10),
                lever_input("planner-patience", t("patience ×%", lang), 100, low=10),
                lever_input("planner-shrinkage", t("shrinkage %", lang), 0, high=95),
                dmc.TextInput(
                    id="planner-target", label=t("targets", lang), value="sl_offered_12>=0.8", w=190
                ),
                dmc.NumberInput(
                    id="planner-max-abandon",
                    label=t("max abandon %", lang),
                    value=None,
                    min=0,
                    max=100,
                    w=120,
                ),
                *[
                    lever_input(
                        {"type": "planner-cat-volume", "cat": c},
                        f"{ctx.labels.category(c)} ×%",
                        100,
                        w=130,
                    )
                    for c in week.categories
                ],
            ],
            className="filter-bar",
        )
        edit = html.Div(
            [
                dmc.NumberInput(
                    id="planner-delta", label=t("± agents", lang), value=1, step=1, w=100
                ),
                dmc.Select(
                    id="planner-delta-day",
                    label=w["day"],
                    data=[{"value": v, "label": lab} for v, lab in day_options],
                    value=day_options[0][0] if day_options else None,
                    w=230,
                ),
                dmc.Select(
                    id="planner-delta-from",
                    label=t("from", lang),
                    data=times,
                    value=times[0] if times else None,
                    w=100,
                ),
                dmc.Select(
                    id="planner-delta-to",
                    label=t("to", lang),
                    data=times,
                    value=times[-1] if times else None,
                    w=100,
                ),
                dmc.Button(t("Apply", lang), id="planner-apply-delta", variant="light"),
                dmc.Button(
                    t("Reset plan", lang), id="planner-reset", variant="subtle", color="gray"
                ),
            ],
            className="filter-bar",
        )
        jobs = html.Div(
            [
                dmc.NumberInput(
                    id="planner-replications",
                    label=t("replications", lang),
                    value=10,
                    min=2,
                    max=100,
                    w=120,
                ),
                dmc.Button(t("Simulate", lang), id="planner-simulate"),
                dmc.Button(t("Find staffing", lang), id="planner-find", variant="outline"),
                dmc.Button(t("Cancel", lang), id="planner-cancel", color="red", variant="subtle"),
                html.Div(
                    [
                        dmc.Progress(id="planner-progress", value=0, size="lg", w=260),
                        html.Div(id="planner-job-message", className="muted"),
                    ]
                ),
            ],
            className="filter-bar",
        )
        compare = html.Div(
            [
                dmc.Button(t("Save as what-if A", lang), id="planner-save-a", variant="light"),
                dmc.Button(t("Save as what-if B", lang), id="planner-save-b", variant="light"),
                dmc.NumberInput(
                    id="planner-cost", label=t("cost per agent-hour", lang), value=0, min=0, w=160
                ),
                dmc.Button(t("Plan CSV", lang), id="planner-dl-csv", variant="subtle"),
                dmc.Button(t("Scenario TOML", lang), id="planner-dl-toml", variant="subtle"),
                dmc.Button(t("Comparison Excel", lang), id="planner-dl-xlsx", variant="subtle"),
                dcc.Download(id="planner-download"),
            ],
            className="filter-bar",
        )
        grid = dag.AgGrid(
            id="planner-grid",
            rowData=[],
            getRowId="params.data.row_id",
            columnDefs=[
                {"field": "day", "headerName": w["day"], "pinned": pin_side(lang), "minWidth": 130},
                {
                    "field": "time",
                    "headerName": w["interval"],
                    "pinned": pin_side(lang),
                    "maxWidth": 90,
                },
                {
                    "field": "calls",
                    "headerName": column_label("calls", lang),
                    "valueFormatter": {
                        "function": "params.value == null ? '' : params.value.toFixed(1)"
                    },
                },
                {
                    "field": "aht_s",
                    "headerName": column_label("aht_s", lang),
                    "valueFormatter": {
                        "function": "params.value == null ? '—' : params.value.toFixed(0)"
                    },
                },
                {
                    "field": "plan",
                    "headerName": w["agents"] + " ✎",
                    "editable": True,
                    "cellDataType": "number",
                    "cellStyle": {"backgroundColor": "#edf2ff", "fontWeight": 600},
                },
                {"field": "agents", "headerName": column_label("agents", lang)},
                *[
                    {
                        "field": k,
                        "headerName": column_label(k, lang),
                        "headerTooltip": k,
                        "valueFormatter": {"function": _format_js(k)},
                    }
                    for k in ("sl_offered_12", "sl_offered_30", "abandon_rate", "occupancy")
                ],
                {
                    "field": "asa_s",
                    "headerName": column_label("asa_s", lang),
                    "valueFormatter": {
                        "function": "params.value == null ? '—' : params.value.toFixed(1)"
                    },
                },
                {
                    "field": "status",
                    "headerName": column_label("status", lang),
                    # the value stays the verdict's key (the colours test it); the reader
                    # sees it in their language
                    "valueFormatter": words_formatter({k: t(k.capitalize(), lang) for k in STATUS}),
                    "cellStyle": {
                        "styleConditions": [
                            {
                                "condition": f"params.value == '{k}'",
                                "style": {"color": v, "fontWeight": 600},
                            }
                            for k, v in STATUS.items()
                        ]
                    },
                },
            ],
            defaultColDef={
                "resizable": True,
                "sortable": False,
                "flex": 1,
                "minWidth": 80,
                **WRAPPED_HEADERS,
            },
            dashGridOptions={
                "enableRtl": ctx.lang == "ar",
                "stopEditingWhenCellsLoseFocus": True,
                # right to left, AG Grid's column virtualisation leaves headers blank
                "suppressColumnVirtualisation": ctx.lang == "ar",
            },
            style={"height": "420px"},
        )
        return html.Div(
            [
                dcc.Store(
                    id="planner-source", data={"centre": ctx.centre.centre_id, "source": source}
                ),
                dcc.Store(id="planner-plan", data=list(week.agents)),
                dcc.Store(id="planner-saved", data={}),
                dcc.Store(id="planner-job", data=active["job_id"] if active else None),
                dcc.Store(id="planner-sim", data=None),
                dcc.Store(id="planner-job-result", data=None),
                dcc.Interval(id="planner-poll", interval=700, disabled=active is None),
                html.Div(
                    [
                        dmc.Select(
                            id={"type": "view-filter", "name": "plan-source"},
                            label=t("week", lang),
                            data=options,
                            value=source,
                            w=300,
                            allowDeselect=False,
                        ),
                        html.Div(
                            week_source(week, lang, ctx.centre_name),
                            className="muted",
                            id="planner-week-source",
                        ),
                    ],
                    className="panel",
                ),
                html.Div(
                    [html.Div(t("Levers", lang), className="panel-title"), levers, edit],
                    className="panel",
                ),
                html.Div(id="planner-totals"),
                html.Div(
                    dcc.Graph(id="planner-chart", config={"displayModeBar": False}),
                    className="panel",
                ),
                html.Div([jobs, html.Div(id="planner-unmet")], className="panel"),
                html.Div([grid], className="panel"),
                backtest_panel(source, lang)
                if source.startswith("week:")
                else html.Div(id="planner-backtest-out"),
                html.Div(
                    [
                        html.Div(
                            t("Forecast: actual against forecast", lang), className="panel-title"
                        ),
                        html.Div(
                            [
                                dmc.Select(
                                    id="planner-forecast-method",
                                    label=t("method", lang),
                                    data=["profile", "auto", "ets", "mstl", "glm"],
                                    value="profile",
                                    w=130,
                                ),
                                dmc.Select(
                                    id="planner-forecast-category",
                                    label=w["category"],
                                    data=[{"value": "", "label": w["all"]}]
                                    + [
                                        {"value": c, "label": ctx.labels.category(c)}
                                        for c in week.categories
                                    ],
                                    value="",
                                    w=200,
                                ),
                                dmc.Button(
                                    t("Forecast this week", lang),
                                    id="planner-forecast",
                                    variant="light",
                                ),
                            ],
                            className="filter-bar",
                        ),
                        html.Div(id="planner-forecast-out"),
                    ],
                    className="panel",
                )
                if source.startswith("week:")
                else None,
                html.Div(
                    [
                        html.Div(
                            t("Roster: shifts and breaks covering the plan", lang),
                            className="panel-title",
                        ),
                        html.Div(
                            [
                                dmc.TextInput(
                                    id="planner-shifts",
                                    label=t("shifts", lang),
                                    value="8h:1h-break,6h:30m-break",
                                    w=260,
                                ),
                                dmc.TextInput(
                                    id="planner-break-window",
                                    label=t("break window", lang),
                                    value="2h-5h",
                                    w=130,
                                ),
                                dmc.Button(
                                    t("Roster the plan", lang), id="planner-roster", variant="light"
                                ),
                                dmc.Button(
                                    t("Roster CSV", lang), id="planner-dl-roster", variant="subtle"
                                ),
                            ],
                            className="filter-bar",
                        ),
                        html.Div(id="planner-roster-out"),
                    ],
                    className="panel",
                ),
                html.Div(
                    [
                        html.Div(t("Scenarios side by side", lang), className="panel-title"),
                        compare,
                        dag.AgGrid(
                            id="planner-compare",
                            rowData=[],
                            columnDefs=[{"field": "scenario"}],
                            defaultColDef={
                                "flex": 1,
                                "minWidth": 105,
                                "resizable": True,
                                **WRAPPED_HEADERS,
                            },
                            dashGridOptions={
                                "domLayout": "autoHeight",
                                "enableRtl": ctx.lang == "ar",
                                "suppressColumnVirtualisation": True,
                            },
                        ),
                    ],
                    className="panel",
                ),
            ]
        )

    return build


def layout(**query):
    return page(PATH, query, build_for(query), filters=())


# --------------------------------------------------------------------------- callbacks


LEVER_STATES = [
    State("planner-volume", "value"),
    State("planner-handling", "value"),
    State("planner-patience", "value"),
    State("planner-shrinkage", "value"),
    State({"type": "planner-cat-volume", "cat": ALL}, "id"),
    State({"type": "planner-cat-volume", "cat": ALL}, "value"),
]


def recompute(
    volume,
    handling,
    patience,
    shrinkage,
    cat_values,
    target,
    max_abandon,
    plan,
    sim,
    cost,
    saved,
    cat_ids,
    source,
    search,
):
    """Erlang A for the week under the levers and plan: totals, chart, grid, comparison."""
    require_page(PATH)
    lang = "ar" if dict(parse_qsl((search or "").lstrip("?"))).get("lang") == "ar" else "en"
    week = load_week(*planner_source(source))
    try:
        plan = checked_plan(plan, week)
        levers = levers_of(volume, handling, patience, shrinkage, cat_ids, cat_values)
        texts, cap = targets_of(target, max_abandon)
        result = evaluate(week, plan, levers, texts, cap)
    except ValueError as exc:
        alert = dmc.Alert(str(exc), color="red")
        return alert, no_update, no_update, no_update, no_update
    compared = comparison_rows(week, plan, levers, texts, cap, saved, cost)
    columns = [
        {
            "field": "scenario",
            "pinned": pin_side(lang),
            "minWidth": 120,
            "headerName": column_label("scenario", lang),
            # the value stays the scenario's key (what-if A is saved under it)
            "valueFormatter": words_formatter(
                {k: t(k, lang) for k in ("current", "what-if A", "what-if B")}
            ),
        }
    ] + [
        {
            "field": k,
            "headerName": column_label(k, lang),
            "headerTooltip": k,
            "valueFormatter": {"function": _format_js(k)},
        }
        for k in compared[0]
        if k != "scenario"
    ]
    return (
        totals_tiles(result, lang),
        week_figure(result, lang, (sim or {}).get("intervals")),
        grid_rows(result, lang),
        compared,
        columns,
    )


def _format_js(key: str) -> str:
    if is_share(key):
        return "params.value == null ? '—' : (params.value * 100).toFixed(1) + '%'"
    return "params.value == null ? '—' : Number(params.value).toLocaleString('en', {maximumFractionDigits: 1})"


def comparison_rows(week, plan, levers, texts, cap, saved, cost) -> list[dict]:
    from simulation.planning.whatif import Levers, compare_weeks, erlang_week

    results = {"current": erlang_week(week, plan, levers, texts, max_abandon=cap)}
    for name, entry in (saved or {}).items():
        results[name] = erlang_week(
            week, entry["plan"], Levers(**entry["levers"]), texts, max_abandon=cap
        )
    return compare_weeks(results, cost_per_agent_hour=float(cost or 0))


def edit_plan(cell, apply, reset, found, plan, delta, day, first, last, source):
    """The plan after a grid edit, N agents added over a range, a reset or a found plan."""
    require_page(PATH)
    from simulation.planning.whatif import add_agents, set_agents

    week = load_week(*planner_source(source))
    trigger = dash.ctx.triggered_id
    if trigger == "planner-reset":
        return list(week.agents)
    try:
        plan = checked_plan(plan, week)
    except ValueError:
        return no_update
    if trigger == "planner-grid" and cell:
        changes = {}
        for change in cell:
            value = change.get("value")
            try:
                changes[int(change["data"]["index"])] = int(value)
            except (TypeError, ValueError):
                return no_update
        try:
            return list(set_agents(plan, changes))
        except ValueError:
            return no_update
    if trigger == "planner-apply-delta" and day and first and last:
        start = dt.datetime.fromisoformat(f"{day}T{first}").replace(tzinfo=week.scenario.tz)
        end = dt.datetime.fromisoformat(f"{day}T{last}").replace(tzinfo=week.scenario.tz)
        try:
            return list(add_agents(week, plan, int(delta or 0), start, end))
        except ValueError:
            return no_update
    if trigger == "planner-reset":
        return list(week.agents)
    if trigger == "planner-job-result" and found:
        return found
    return no_update


def save_whatif(_a, _b, saved, plan, volume, handling, patience, shrinkage, cat_ids, cat_values):
    require_page(PATH)
    name = "what-if A" if dash.ctx.triggered_id == "planner-save-a" else "what-if B"
    levers = levers_of(volume, handling, patience, shrinkage, cat_ids, cat_values)
    saved = dict(saved or {})
    saved[name] = {
        "plan": plan,
        "levers": {
            "volume": levers.volume,
            "volume_by_category": dict(levers.volume_by_category),
            "handling": levers.handling,
            "patience": levers.patience,
            "shrinkage": levers.shrinkage,
        },
    }
    return saved


def start_job(_s, _f, plan, replications, target, max_abandon, source, *lever_values):
    """Hand "Simulate" or "Find staffing" to the job runner (one job per user)."""
    user = require_page(PATH)
    from simulation.operations.jobs import JobLimitError
    from simulation.planning.whatif import whatif_scenario

    centre_id, source_text = planner_source(source)
    week = load_week(centre_id, source_text)
    kind = "simulate" if dash.ctx.triggered_id == "planner-simulate" else "find_staffing"
    try:
        levers = levers_of(*lever_values)
        texts, cap = targets_of(target, max_abandon)
        scenario = whatif_scenario(week, checked_plan(plan, week), levers)
        params = {
            "scenario": scenario,
            "replications": replications if replications not in (None, "") else 10,
            "seed": 0,
            "centre": centre_id,
        }
        if kind == "find_staffing":
            params |= {"targets": texts, "max_abandon": cap}
        job_id = app_context().jobs.submit(user.username, kind, params)
    except (JobLimitError, ValueError) as exc:
        return no_update, True, str(exc)
    return job_id, False, f"{kind} queued"


def poll_job(_n, job_id, search=None):
    """Progress of the user's job; when it ends, its result."""
    user = require_page(PATH)
    lang = "ar" if dict(parse_qsl((search or "").lstrip("?"))).get("lang") == "ar" else "en"
    if not job_id:
        return 0, "", True, no_update, no_update, no_update, no_update
    runner = app_context().jobs
    status = own_job(job_id, user)
    progress = (status.get("progress") or 0) * 100
    message = job_line(status, lang)
    if status["state"] in ("queued", "running"):
        return progress, message, False, no_update, no_update, no_update, no_update
    result = runner.result(job_id) if status["state"] == "done" else None
    if result is None:
        return progress, message, True, no_update, no_update, no_update, no_update
    if result["kind"] == "backtest":
        return 100, message, True, no_update, no_update, no_update, backtest_table(result, lang)
    if result["kind"] == "simulate":
        s = result["summary"]
        message += t(" · simulated sl_offered_12 {sl} [{low}, {high}]", lang).format(
            sl=f"{s['sl_offered_12']:.1%}",
            low=f"{s['sl_offered_12_ci_low']:.1%}",
            high=f"{s['sl_offered_12_ci_high']:.1%}",
        )
        return 100, message, True, result, no_update, no_update, no_update
    unmet = result.get("unmet") or []
    note = (
        html.Div(
            [
                html.B(t("{n} intervals cannot meet the targets: ", lang).format(n=len(unmet))),
                ", ".join(u["interval_start"][:16].replace("T", " ") for u in unmet[:20]),
            ],
            id="planner-unmet-list",
        )
        if unmet
        else html.Div(t("every interval meets the targets", lang), id="planner-unmet-list")
    )
    message += t(" · {hours} agent-hours", lang).format(hours=f"{result['agent_hours']:.0f}")
    return 100, message, True, no_update, result["agents"], note, no_update


def own_job(job_id, user) -> dict:
    """The job's status if it is the user's own; else ``Forbidden`` (an id from another
    user's page, or made up)."""
    try:
        status = app_context().jobs.status(str(job_id))
    except KeyError:
        raise Forbidden("no such job of yours") from None
    if status["username"] != user.username:
        raise Forbidden("no such job of yours")
    return status


def cancel_job(_n, job_id):
    user = require_page(PATH)
    if job_id:
        own_job(job_id, user)
        app_context().jobs.cancel(job_id, user.username)
    return "cancelling …"


def download(_csv, _toml, _xlsx, plan, saved, cost, target, max_abandon, source, *lever_values):
    user = require_page(PATH)
    from simulation.planning.whatif import (
        comparison_xlsx,
        plan_csv,
        scenario_toml_text,
        whatif_scenario,
    )

    centre_id, source_text = planner_source(source)
    week = load_week(centre_id, source_text)
    try:
        plan = checked_plan(plan, week)
        levers = levers_of(*lever_values)
    except ValueError:
        return no_update
    trigger = dash.ctx.triggered_id
    name = f"{centre_id}-{source_text.split(':', 1)[1]}"
    app_context().state.audit(
        user.username,
        "download",
        {"page": "planner", "what": trigger, "centre": centre_id, "source": source_text},
    )
    if trigger == "planner-dl-csv":
        return {"content": plan_csv(week, plan), "filename": f"{name}-plan.csv"}
    if trigger == "planner-dl-toml":
        scenario = whatif_scenario(week, plan, levers)
        return {"content": scenario_toml_text(scenario), "filename": f"{name}-whatif.toml"}
    texts, cap = targets_of(target, max_abandon)
    rows = comparison_rows(week, plan, levers, texts, cap, saved, cost)
    data = comparison_xlsx(rows)
    return dcc.send_bytes(data, f"{name}-comparison.xlsx")


def backtest_panel(source: str, lang: str = "en") -> html.Div:
    """How good is the model here? Calibrate on the two weeks before the chosen week and
    simulate the week with its own arrivals (``cca backtest``), as a background job."""
    start = dt.date.fromisoformat(source.split(":", 1)[1])
    train = f"{start - dt.timedelta(days=14)}..{start - dt.timedelta(days=1)}"
    test = f"{start}..{start + dt.timedelta(days=6)}"
    return html.Div(
        [
            html.Div(
                t("How good is the model here? (cca backtest)", lang), className="panel-title"
            ),
            html.Div(
                [
                    dmc.TextInput(
                        id="planner-bt-train", label=t("calibrate on", lang), value=train, w=230
                    ),
                    dmc.TextInput(
                        id="planner-bt-test", label=t("predict", lang), value=test, w=230
                    ),
                    dmc.NumberInput(
                        id="planner-bt-replications",
                        label=t("replications", lang),
                        value=5,
                        min=1,
                        max=50,
                        w=120,
                    ),
                    dmc.Button(t("Backtest", lang), id="planner-backtest", variant="light"),
                ],
                className="filter-bar",
            ),
            html.Div(id="planner-backtest-out"),
        ],
        className="panel",
    )


BACKTEST_KPIS = ("answer_rate", "abandon_rate", "asa_s", "sl_offered_12", "sl_offered_30")


def backtest_table(result: dict, lang: str = "en") -> html.Div:
    """Predicted against actual per test day and for the whole period, with the 95%
    interval and the error (points for rates, % for ASA)."""
    columns = [
        {
            "field": "day",
            "headerName": column_label("day", lang),
            "pinned": pin_side(lang),
            "width": 120,
            "flex": 0,
            "valueGetter": {
                "function": "!params.data.day || params.data.day === 'all' ? "
                f"'{t('all', lang)}' : params.data.day"
            },
        }
    ]
    for k in BACKTEST_KPIS:
        share = is_share(k)
        fmt = (
            "params.value == null ? '—' : (params.value * 100).toFixed(1) + '%'"
            if share
            else "params.value == null ? '—' : params.value.toFixed(1)"
        )
        columns.append(
            {
                "headerName": column_label(k, lang),
                "headerTooltip": k,
                "children": [
                    {
                        "field": f"{k}_actual",
                        "headerName": t("actual", lang),
                        "valueFormatter": {"function": fmt},
                    },
                    {
                        "field": f"{k}_predicted",
                        "headerName": t("predicted", lang),
                        "valueFormatter": {"function": fmt},
                    },
                    {
                        "field": f"{k}_error",
                        "headerName": t("error (pp)" if share else "error %", lang),
                        "valueFormatter": {
                            "function": "params.value == null ? '—' : params.value.toFixed(1)"
                        },
                    },
                ],
            }
        )
    note = backtest_note(result, lang)
    return html.Div(
        [
            html.Div(note, className="muted", id="planner-backtest-note"),
            dag.AgGrid(
                id="planner-backtest-grid",
                rowData=result["rows"],
                columnDefs=columns,
                defaultColDef={"resizable": True, "minWidth": 96, "flex": 1, **WRAPPED_HEADERS},
                dashGridOptions={
                    "domLayout": "autoHeight",
                    "enableRtl": lang == "ar",
                    "suppressColumnVirtualisation": True,
                },
            ),
        ]
    )


def start_backtest(_n, train, test, replications, source):
    user = require_page(PATH)
    from simulation.operations.jobs import JobLimitError

    app = app_context()
    centre_id, _ = planner_source(source)
    params = {
        "db": str(app.store.path),
        "centre": centre_id,
        "train": train,
        "test": test,
        "replications": replications if replications not in (None, "") else 5,
        "seed": 0,
    }
    try:
        from analytics.periods import parse_period

        for name, text, most in zip(
            ("calibrate on", "predict"), (train, test), MAX_BACKTEST_DAYS, strict=True
        ):
            if len(str(text or "")) > 64 or parse_period(str(text or "")).days > most:
                raise ValueError(f"{name}: at most {most} days")
        job_id = app.jobs.submit(user.username, "backtest", params)
    except (JobLimitError, ValueError) as exc:
        return no_update, True, str(exc)
    return job_id, False, "backtest queued"


def forecast_week(_n, method, category, source, search):
    """Train on the eight weeks before the week, forecast its seven days by half hour,
    and draw the actual calls (KPI layer) against the forecast and its 80% band."""
    require_page(PATH)
    from analytics.centres import get_centre
    from analytics.kpi import call_kpis
    from analytics.periods import Period
    from simulation.forecasting.forecast import forecast

    lang = "ar" if "lang=ar" in (search or "") else "en"
    centre_id, source_text = planner_source(source)
    kind, _, value = source_text.partition(":")
    if kind != "week":
        return no_update
    start = dt.date.fromisoformat(value)
    train = Period(start - dt.timedelta(days=56), start - dt.timedelta(days=1), "train")
    week = Period(start, start + dt.timedelta(days=6), "week")
    with app_context().store.reader() as con:
        centre = get_centre(con, centre_id)
        try:
            result = forecast(
                con,
                centre,
                train=train,
                horizon_days=7,
                interval="30min",
                method=method or "profile",
                by=("category",) if category else (),
            )
        except ValueError as exc:
            return dmc.Alert(str(exc), color="red")
        filters = {"category": [category]} if category else None
        actual = call_kpis(con, centre, period=week, interval="30min", filters=filters)
    frame = result.frame
    if category:
        frame = frame[frame["category"] == category]
    frame = frame[frame["offered"] > 0.05]
    by_start = {r["interval_start"]: r["offered"] for r in actual}
    xs = [f"{t:%a %d/%m %H:%M}" for t in frame["interval_start"]]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=xs, y=list(frame["offered_high"]), mode="lines", line={"width": 0}, showlegend=False
        )
    )
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=list(frame["offered_low"]),
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor="rgba(28,126,214,0.18)",
            name=t("80% interval", lang),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=list(frame["offered"]),
            mode="lines",
            name=f"{t('forecast', lang)} ({result.method})",
            line={"color": "#1c7ed6"},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=[by_start.get(t.to_pydatetime(), 0) for t in frame["interval_start"]],
            mode="markers",
            name=t("actual", lang),
            marker={"color": "#e8590c", "size": 5},
        )
    )
    fig.update_xaxes(type="category", nticks=14)
    charts.base(fig, height=320)
    if lang == "ar":
        fig.update_xaxes(autorange="reversed")
    total_f = float(frame["offered"].sum())
    total_a = float(sum(by_start.get(t.to_pydatetime(), 0) for t in frame["interval_start"]))
    errors = sum(
        abs(by_start.get(t.to_pydatetime(), 0) - f)
        for t, f in zip(frame["interval_start"], frame["offered"], strict=True)
    )
    wape = errors / total_a if total_a else None
    note = (
        f"{t('trained on', lang)} {result.train.label} · {t('forecast', lang)} {total_f:,.0f} "
        f"{t('calls', lang)}, {t('actual', lang)} {total_a:,.0f}"
        + (f" · WAPE {wape:.1%}" if wape is not None else "")
    )
    return html.Div(
        [
            dcc.Graph(figure=fig, config={"displayModeBar": False}, id="planner-forecast-chart"),
            html.Div(note, className="muted", id="planner-forecast-note"),
        ]
    )


def roster_plan(_n, shifts, window, plan, source, search):
    """Roster the current plan: shifts with breaks covering it at the least paid hours."""
    require_page(PATH)
    from simulation.planning.rostering import parse_shifts, parse_window, roster

    lang = "ar" if "lang=ar" in (search or "") else "en"
    week = load_week(*planner_source(source))
    try:
        if len(shifts or "") > MAX_SHIFT_TEXT or len(window or "") > 40:
            raise ValueError(f"shifts: at most {MAX_SHIFT_TEXT} characters")
        templates = parse_shifts(shifts or "8h:1h-break")
        break_window = parse_window(window or "2h-5h")
        result = roster(
            checked_plan(plan, week),
            week.interval_s,
            templates,
            starts=week.starts,
            break_window_s=break_window,
            time_limit_s=ROSTER_TIME_LIMIT_S,
        )
    except ValueError as exc:
        return dmc.Alert(str(exc), color="red")
    summary = result.summary()
    rows = result.rows()
    fig = go.Figure()
    for i, r in enumerate(rows):
        label = f"{r['shift']} ×{r['agents']}"
        start, end = r["start"], r["end"]
        fig.add_trace(
            go.Scatter(
                x=[start, end],
                y=[i, i],
                mode="lines",
                line={"width": 9, "color": charts.PALETTE[0]},
                name=label,
                showlegend=False,
                hovertemplate=f"{label}: %{{x|%a %H:%M}}<extra></extra>",
            )
        )
        if r["break_start"] is not None:
            template = (
                next(t for t in templates if t.name == r["shift"])
                if any(t.name == r["shift"] for t in templates)
                else None
            )
            if template is not None and template.break_s:
                b_end = r["break_start"] + dt.timedelta(seconds=template.break_s)
                fig.add_trace(
                    go.Scatter(
                        x=[r["break_start"], b_end],
                        y=[i, i],
                        mode="lines",
                        line={"width": 9, "color": "#ffd43b"},
                        showlegend=False,
                        hovertemplate="break %{x|%H:%M}<extra></extra>",
                    )
                )
    fig.update_yaxes(visible=False)
    charts.base(
        fig,
        height=max(260, 14 * len(rows) + 80),
        title=f"{len(rows)} {t('shift groups', lang)}, {summary['headcount']} "
        f"{t('agent-shifts', lang)}",
    )
    cover = go.Figure(
        [
            go.Scatter(
                x=week.starts,
                y=list(result.need),
                name=t("need (plan)", lang),
                line={"shape": "hv", "color": charts.BAD},
            ),
            go.Scatter(
                x=week.starts,
                y=list(result.coverage),
                name=t("on the phones", lang),
                line={"shape": "hv", "color": charts.GOOD},
            ),
        ]
    )
    charts.base(cover, height=260)
    if lang == "ar":
        for f in (fig, cover):
            f.update_xaxes(autorange="reversed")
    over = summary["over_coverage"]
    status = f"{t('status', lang)} {t(summary['status'], lang)}"
    text = (
        f"{t('paid hours', lang)} {summary['paid_hours']:,.1f} {t('for', lang)} "
        f"{summary['required_agent_hours']:,.1f} {t('required agent-hours', lang)} · "
        f"{t('over-coverage', lang)} {over:.1%} · {t('MIP gap', lang)} {summary['gap']:.2%} · "
        + status
        if over is not None
        else status
    )
    if summary["uncovered_intervals"]:
        uncovered = ", ".join(str(u)[:16] for u in summary["uncovered_intervals"][:10])
        text += f" · {t('cannot cover', lang)}: {uncovered}"
    return html.Div(
        [
            html.Div(text, className="muted", id="planner-roster-summary"),
            dcc.Graph(figure=fig, config={"displayModeBar": False}, id="planner-gantt"),
            dcc.Graph(figure=cover, config={"displayModeBar": False}),
        ]
    )


def roster_csv(_n, shifts, window, plan, source):
    user = require_page(PATH)
    from simulation.planning.rostering import parse_shifts, parse_window, roster

    centre_id, source_text = planner_source(source)
    week = load_week(centre_id, source_text)
    try:
        if len(shifts or "") > MAX_SHIFT_TEXT or len(window or "") > 40:
            raise ValueError(f"shifts: at most {MAX_SHIFT_TEXT} characters")
        result = roster(
            checked_plan(plan, week),
            week.interval_s,
            parse_shifts(shifts or "8h:1h-break"),
            starts=week.starts,
            break_window_s=parse_window(window or "2h-5h"),
            time_limit_s=ROSTER_TIME_LIMIT_S,
        )
    except ValueError:
        return no_update
    lines = ["shift,start,break_start,end,agents"]
    for r in result.rows():
        brk = r["break_start"].isoformat() if r["break_start"] is not None else ""
        lines.append(
            f"{r['shift']},{r['start'].isoformat()},{brk},{r['end'].isoformat()},{r['agents']}"
        )
    app_context().state.audit(
        user.username,
        "download",
        {"page": "planner", "what": "roster", "centre": centre_id, "source": source_text},
    )
    return {"content": "\n".join(lines) + "\n", "filename": "roster.csv"}


def register_callbacks(app) -> None:
    app.callback(
        Output("planner-job", "data", allow_duplicate=True),
        Output("planner-poll", "disabled", allow_duplicate=True),
        Output("planner-job-message", "children", allow_duplicate=True),
        Input("planner-backtest", "n_clicks"),
        State("planner-bt-train", "value"),
        State("planner-bt-test", "value"),
        State("planner-bt-replications", "value"),
        State("planner-source", "data"),
        prevent_initial_call=True,
    )(start_backtest)
    app.callback(
        Output("planner-forecast-out", "children"),
        Input("planner-forecast", "n_clicks"),
        State("planner-forecast-method", "value"),
        State("planner-forecast-category", "value"),
        State("planner-source", "data"),
        State("url", "search"),
        prevent_initial_call=True,
    )(forecast_week)
    app.callback(
        Output("planner-roster-out", "children"),
        Input("planner-roster", "n_clicks"),
        State("planner-shifts", "value"),
        State("planner-break-window", "value"),
        State("planner-plan", "data"),
        State("planner-source", "data"),
        State("url", "search"),
        prevent_initial_call=True,
    )(roster_plan)
    app.callback(
        Output("planner-download", "data", allow_duplicate=True),
        Input("planner-dl-roster", "n_clicks"),
        State("planner-shifts", "value"),
        State("planner-break-window", "value"),
        State("planner-plan", "data"),
        State("planner-source", "data"),
        prevent_initial_call=True,
    )(roster_csv)
    lever_inputs = [
        Input("planner-volume", "value"),
        Input("planner-handling", "value"),
        Input("planner-patience", "value"),
        Input("planner-shrinkage", "value"),
        Input({"type": "planner-cat-volume", "cat": ALL}, "value"),
        Input("planner-target", "value"),
        Input("planner-max-abandon", "value"),
        Input("planner-plan", "data"),
        Input("planner-sim", "data"),
        Input("planner-cost", "value"),
        Input("planner-saved", "data"),
    ]
    app.callback(
        Output("planner-totals", "children"),
        Output("planner-chart", "figure"),
        Output("planner-grid", "rowData"),
        Output("planner-compare", "rowData"),
        Output("planner-compare", "columnDefs"),
        *lever_inputs,
        State({"type": "planner-cat-volume", "cat": ALL}, "id"),
        State("planner-source", "data"),
        State("url", "search"),
    )(recompute)
    app.callback(
        Output("planner-plan", "data"),
        Input("planner-grid", "cellValueChanged"),
        Input("planner-apply-delta", "n_clicks"),
        Input("planner-reset", "n_clicks"),
        Input("planner-job-result", "data"),
        State("planner-plan", "data"),
        State("planner-delta", "value"),
        State("planner-delta-day", "value"),
        State("planner-delta-from", "value"),
        State("planner-delta-to", "value"),
        State("planner-source", "data"),
        prevent_initial_call=True,
    )(edit_plan)
    app.callback(
        Output("planner-saved", "data"),
        Input("planner-save-a", "n_clicks"),
        Input("planner-save-b", "n_clicks"),
        State("planner-saved", "data"),
        State("planner-plan", "data"),
        *LEVER_STATES,
        prevent_initial_call=True,
    )(lambda a, b, saved, plan, *rest: save_whatif(a, b, saved, plan, *rest))
    app.callback(
        Output("planner-job", "data"),
        Output("planner-poll", "disabled"),
        Output("planner-job-message", "children"),
        Input("planner-simulate", "n_clicks"),
        Input("planner-find", "n_clicks"),
        State("planner-plan", "data"),
        State("planner-replications", "value"),
        State("planner-target", "value"),
        State("planner-max-abandon", "value"),
        State("planner-source", "data"),
        *LEVER_STATES,
        prevent_initial_call=True,
    )(_start_job_adapter)
    app.callback(
        Output("planner-progress", "value"),
        Output("planner-job-message", "children", allow_duplicate=True),
        Output("planner-poll", "disabled", allow_duplicate=True),
        Output("planner-sim", "data"),
        Output("planner-job-result", "data"),
        Output("planner-unmet", "children"),
        Output("planner-backtest-out", "children"),
        Input("planner-poll", "n_intervals"),
        State("planner-job", "data"),
        State("url", "search"),
        prevent_initial_call=True,
    )(poll_job)
    app.callback(
        Output("planner-job-message", "children", allow_duplicate=True),
        Input("planner-cancel", "n_clicks"),
        State("planner-job", "data"),
        prevent_initial_call=True,
    )(cancel_job)
    app.callback(
        Output("planner-download", "data"),
        Input("planner-dl-csv", "n_clicks"),
        Input("planner-dl-toml", "n_clicks"),
        Input("planner-dl-xlsx", "n_clicks"),
        State("planner-plan", "data"),
        State("planner-saved", "data"),
        State("planner-cost", "value"),
        State("planner-target", "value"),
        State("planner-max-abandon", "value"),
        State("planner-source", "data"),
        *LEVER_STATES,
        prevent_initial_call=True,
    )(download)


def _start_job_adapter(s, f, plan, replications, target, max_abandon, source, *levers):
    volume, handling, patience, shrinkage, cat_ids, cat_values = levers
    return start_job(
        s,
        f,
        plan,
        replications,
        target,
        max_abandon,
        source,
        volume,
        handling,
        patience,
        shrinkage,
        cat_ids,
        cat_values,
    )


dash.register_page(
    __name__,
    path=PATH,
    name="Planner",
    title="Planner",
    layout=layout,
    order=50,
    menu="planner",  # the menu's label: words(lang)["planner"]
    roles=("manager", "planner"),  # who opens it besides admins (dashboards.auth.may_open)
)
