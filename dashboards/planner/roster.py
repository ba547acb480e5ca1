"""Shifts and breaks covering the plan at the least paid hours (``simulation.planning.
rostering``, a MILP): a Gantt of shift groups, the cover against the need, and the
roster as CSV."""

from __future__ import annotations

import datetime as dt

import dash_mantine_components as dmc
import plotly.graph_objects as go
from dash import Input, Output, State, dcc, html, no_update

from analytics.translation import is_rtl, ngettext
from dashboards import charts
from dashboards.auth import require_page
from dashboards.callbacks import Callbacks
from dashboards.context import app_context
from dashboards.planner import PATH
from dashboards.planner.levers import checked_plan
from dashboards.planner.week import load_week, planner_source
from dashboards.planner.words import lang_of, ltr_input, t
from simulation.planning.rostering import parse_shifts, parse_window, roster

callbacks = Callbacks()

# What one planner may ask of the server: answered at once with a message, not minutes.
MAX_SHIFT_TEXT = 200  # characters of the shift templates
ROSTER_TIME_LIMIT_S = 5.0  # the roster's MILP solver, in a request's thread


def checked_shifts(shifts, window) -> None:
    """ValueError for shift or break-window text longer than anyone types."""
    if len(shifts or "") > MAX_SHIFT_TEXT or len(window or "") > 40:
        raise ValueError(f"shifts: at most {MAX_SHIFT_TEXT} characters")


def roster_panel(lang: str) -> html.Div:
    """The shift templates, the break window, "Roster the plan" and its CSV."""
    return html.Div(
        [
            html.Div(
                t("Roster: shifts and breaks covering the plan", lang), className="panel-title"
            ),
            html.Div(
                [
                    ltr_input("planner-shifts", t("shifts", lang), "8h:1h-break,6h:30m-break", 260),
                    ltr_input("planner-break-window", t("break window", lang), "2h-5h", 130),
                    dmc.Button(t("Roster the plan", lang), id="planner-roster", variant="light"),
                    dmc.Button(t("Roster (CSV)", lang), id="planner-dl-roster", variant="subtle"),
                ],
                className="filter-bar",
            ),
            html.Div(id="planner-roster-out"),
        ],
        className="panel",
    )


def gantt_figure(rows: list[dict], templates, summary: dict, lang: str) -> go.Figure:
    """One line a shift group, its break in yellow."""
    fig = go.Figure()
    breaks = {s.name: s.break_s for s in templates}
    for i, r in enumerate(rows):
        label = f"{r['shift']} ×{r['agents']}"
        fig.add_trace(
            go.Scatter(
                x=[r["start"], r["end"]],
                y=[i, i],
                mode="lines",
                line={"width": 9, "color": charts.PALETTE[0]},
                name=label,
                showlegend=False,
                hovertemplate=f"{label}: %{{x|%a %H:%M}}<extra></extra>",
            )
        )
        if r["break_start"] is not None and breaks.get(r["shift"]):
            b_end = r["break_start"] + dt.timedelta(seconds=breaks[r["shift"]])
            fig.add_trace(
                go.Scatter(
                    x=[r["break_start"], b_end],
                    y=[i, i],
                    mode="lines",
                    line={"width": 9, "color": "#ffd43b"},
                    showlegend=False,
                    hovertemplate=t("break", lang) + " %{x|%H:%M}<extra></extra>",
                )
            )
    fig.update_yaxes(visible=False)
    charts.base(
        fig,
        height=max(260, 14 * len(rows) + 80),
        title=ngettext(lang, "{n} shift group", "{n} shift groups", len(rows))
        + " · "
        + ngettext(lang, "{n} agent-shift", "{n} agent-shifts", summary["headcount"]),
    )
    return fig


def cover_figure(week, result, lang: str) -> go.Figure:
    """Agents on the phones under the roster against the plan's need, per interval."""
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
    return cover


def summary_line(summary: dict, lang: str) -> str:
    """Paid hours for the required agent-hours, over-coverage, the solver's gap and
    status, and the intervals no shift can cover."""
    over, gap = summary["over_coverage"], summary["gap"]
    status = f"{t('status', lang)} {t(summary['status'], lang)}"
    text = (
        f"{t('paid hours', lang)} {summary['paid_hours']:,.1f} {t('for', lang)} "
        f"{summary['required_agent_hours']:,.1f} {t('required agent-hours', lang)} · "
        f"{t('over-coverage', lang)} {over:.1%} · "
        f"{t('within {gap} of the best roster', lang).format(gap=f'{gap:.2%}')} · " + status
        if over is not None
        else status
    )
    if summary["uncovered_intervals"]:
        uncovered = ", ".join(str(u)[:16] for u in summary["uncovered_intervals"][:10])
        text += f" · {t('cannot cover', lang)}: {uncovered}"
    return text


@callbacks(
    Output("planner-roster-out", "children"),
    Output("planner-roster-hours", "data"),
    Input("planner-roster", "n_clicks"),
    State("planner-shifts", "value"),
    State("planner-break-window", "value"),
    State("planner-plan", "data"),
    State("planner-source", "data"),
    State("url", "search"),
    prevent_initial_call=True,
)
def roster_plan(_n, shifts, window, plan, source, search):
    """Roster the current plan: shifts with breaks covering it at the least paid hours;
    the paid hours, with the plan they cover, go to the comparison."""
    require_page(PATH)
    lang = lang_of(search)
    week = load_week(*planner_source(source))
    try:
        checked_shifts(shifts, window)
        plan = checked_plan(plan, week)
        templates = parse_shifts(shifts or "8h:1h-break")
        break_window = parse_window(window or "2h-5h")
        result = roster(
            plan,
            week.interval_s,
            templates,
            starts=week.starts,
            break_window_s=break_window,
            time_limit_s=ROSTER_TIME_LIMIT_S,
        )
    except ValueError as exc:
        return dmc.Alert(str(exc), color="red"), None
    summary = result.summary()
    gantt = gantt_figure(result.rows(), templates, summary, lang)
    cover = cover_figure(week, result, lang)
    if is_rtl(lang):
        for f in (gantt, cover):
            f.update_xaxes(autorange="reversed")
    return html.Div(
        [
            html.Div(
                summary_line(summary, lang),
                className="muted",
                id="planner-roster-summary",
                title="MIP gap: the solver's bound on how far from the cheapest roster this is",
            ),
            dcc.Graph(figure=gantt, config={"displayModeBar": False}, id="planner-gantt"),
            dcc.Graph(figure=cover, config={"displayModeBar": False}),
        ]
    ), {"plan": [int(a) for a in plan], "paid_hours": summary["paid_hours"]}


@callbacks(
    Output("planner-download", "data", allow_duplicate=True),
    Input("planner-dl-roster", "n_clicks"),
    State("planner-shifts", "value"),
    State("planner-break-window", "value"),
    State("planner-plan", "data"),
    State("planner-source", "data"),
    prevent_initial_call=True,
)
def roster_csv(_n, shifts, window, plan, source):
    """The roster as CSV: one line a shift group (audited with the centre and week)."""
    user = require_page(PATH)
    centre_id, source_text = planner_source(source)
    week = load_week(centre_id, source_text)
    try:
        checked_shifts(shifts, window)
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
