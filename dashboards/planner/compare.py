"""Plans side by side: the current plan and up to two saved what-ifs (A, B), each judged
by exact Erlang A under its own levers, with the cost of the difference in agent-hours;
and the downloads — the plan as CSV (``cca simulate --staffing``), the scenario as TOML
(``cca simulate --scenario``), the comparison as Excel."""

from __future__ import annotations

import dash
import dash_mantine_components as dmc
from dash import Input, Output, State, dcc, html, no_update

from analytics.kpi.catalogue import is_share
from dashboards.auth import require_page
from dashboards.callbacks import Callbacks
from dashboards.context import app_context
from dashboards.grid import ag_grid
from dashboards.planner import PATH
from dashboards.planner.levers import (
    LEVER_STATES,
    TARGET_STATES,
    checked_plan,
    levers_data,
    levers_of,
    read_form,
)
from dashboards.planner.week import load_week, planner_source
from dashboards.planner.words import (
    WRAPPED_HEADERS,
    column_label,
    pin_side,
    t,
    words_formatter,
)
from simulation.planning.whatif import (
    Levers,
    compare_weeks,
    comparison_xlsx,
    erlang_week,
    plan_csv,
    scenario_toml_text,
    whatif_scenario,
)

callbacks = Callbacks()


def compare_panel(lang: str) -> html.Div:
    """Save the plan as what-if A or B, the cost of an agent-hour, the downloads, and the
    grid of plans side by side (filled by ``whatif.recompute``)."""
    bar = html.Div(
        [
            dmc.Button(t("Save as what-if A", lang), id="planner-save-a", variant="light"),
            dmc.Button(t("Save as what-if B", lang), id="planner-save-b", variant="light"),
            dmc.NumberInput(
                id="planner-cost", label=t("cost per agent-hour", lang), value=0, min=0, w=160
            ),
            # plain words on the button, the command that reads the file in its tooltip
            html.Span(
                dmc.Button(t("Plan (CSV)", lang), id="planner-dl-csv", variant="subtle"),
                title="cca simulate --staffing",
            ),
            html.Span(
                dmc.Button(t("Scenario file", lang), id="planner-dl-toml", variant="subtle"),
                title="TOML: cca simulate --scenario",
            ),
            dmc.Button(t("Comparison (Excel)", lang), id="planner-dl-xlsx", variant="subtle"),
            dcc.Download(id="planner-download"),
        ],
        className="filter-bar",
    )
    return html.Div(
        [
            html.Div(t("Scenarios side by side", lang), className="panel-title"),
            bar,
            ag_grid(
                lang,
                id="planner-compare",
                rowData=[],
                columnDefs=[{"field": "scenario", "headerName": column_label("scenario", lang)}],
                defaultColDef={
                    "flex": 1,
                    "minWidth": 80,  # 14 columns within 1440 px (narrow padding: CSS)
                    "resizable": True,
                    **WRAPPED_HEADERS,
                },
                dashGridOptions={
                    "domLayout": "autoHeight",
                    "suppressColumnVirtualisation": True,
                },
            ),
        ],
        className="panel",
    )


# the plans compared, in order: the current one first (the baseline of the differences)
PLAN_NAMES = ("current", "previous plan", "what-if A", "what-if B")


def comparison_rows(week, plan, levers, texts, cap, saved, cost, rostered=None) -> list[dict]:
    """One row a plan — the current one, the previous one (before Find staffing or a
    reset replaced it) and the saved what-ifs — with Erlang A's totals, the differences
    against the current plan and, for a plan the roster was made for, the roster's paid
    hours (shifts are whole, so they pay more than the plan's agent-hours)."""
    results = {"current": erlang_week(week, plan, levers, texts, max_abandon=cap)}
    plans = {"current": list(plan)}
    for name in PLAN_NAMES[1:]:
        entry = (saved or {}).get(name)
        if not isinstance(entry, dict):
            continue
        try:  # the page keeps saved plans: read them as the server reads any plan
            then = checked_plan(entry.get("plan"), week)
            levers_then = Levers(**entry["levers"])
        except (KeyError, TypeError, ValueError):
            continue
        results[name] = erlang_week(week, then, levers_then, texts, max_abandon=cap)
        plans[name] = then
    rows = compare_weeks(results, cost_per_agent_hour=float(cost or 0))
    rostered = rostered or {}
    for row in rows:
        same = rostered.get("plan") == plans[row["scenario"]]
        row["rostered_paid_hours"] = rostered.get("paid_hours") if same else None
    return rows


def format_js(key: str) -> str:
    """An AG Grid valueFormatter for a KPI or planner figure: a share in %, else a number."""
    if is_share(key):
        return "params.value == null ? '—' : (params.value * 100).toFixed(1) + '%'"
    # + 0 turns a difference of -0 into 0
    return "params.value == null ? '—' : (Number(params.value) + 0).toLocaleString('en', {maximumFractionDigits: 1})"


def figure_column(key: str, lang: str) -> dict:
    """A grid column of a KPI or planner figure: its heading, its name as the tooltip, its
    value formatted by ``format_js``."""
    return {
        "field": key,
        "headerName": column_label(key, lang),
        "headerTooltip": key,
        "valueFormatter": {"function": format_js(key)},
    }


# the comparison's columns, the cost of a plan first (each row's figures come from
# ``compare_weeks``; the three colour counts show as one column)
COMPARED = (
    "agent_hours",
    "paid_hours",
    "rostered_paid_hours",
    "agent_hours_diff",
    "paid_hours_diff",
    "cost_diff",
    "sl_offered_12",
    "sl_offered_30",
    "abandon_rate",
    "asa_s",
    "occupancy",
    "intervals_green",
    "calls",
)


def comparison_columns(compared: list[dict], lang: str) -> list[dict]:
    """The comparison grid's columns: the plan's name pinned, then its hours and their
    differences, Erlang A's figures and its colours (green / amber / red)."""
    columns = [
        {
            "field": "scenario",
            "pinned": pin_side(lang),
            "minWidth": 120,
            "headerName": column_label("scenario", lang),
            # the value stays the scenario's key (what-if A is saved under it)
            "valueFormatter": words_formatter({k: t(k, lang) for k in PLAN_NAMES}),
        }
    ]
    for k in COMPARED:
        column = figure_column(k, lang)
        if k == "intervals_green":
            column["headerName"] = t("Intervals green / amber / red", lang)
            column["headerTooltip"] = "intervals_green / intervals_amber / intervals_red"
            column["valueFormatter"] = {
                "function": "params.data.intervals_green + ' / ' + params.data.intervals_amber"
                " + ' / ' + params.data.intervals_red"
            }
            column["minWidth"] = 130
        if k == "occupancy":
            column["minWidth"] = 104  # "occupancy" is a long word: wrapped, not cut
        columns.append(column)
    return columns


@callbacks(
    Output("planner-saved", "data"),
    Input("planner-save-a", "n_clicks"),
    Input("planner-save-b", "n_clicks"),
    State("planner-saved", "data"),
    State("planner-plan", "data"),
    *LEVER_STATES,
    prevent_initial_call=True,
)
def save_whatif(_a, _b, saved, plan, volume, handling, patience, shrinkage, cat_ids, cat_values):
    """The plan and its levers saved as what-if A or B."""
    require_page(PATH)
    name = "what-if A" if dash.ctx.triggered_id == "planner-save-a" else "what-if B"
    try:
        levers = levers_of(volume, handling, patience, shrinkage, cat_ids, cat_values)
    except ValueError:
        return no_update
    saved = dict(saved or {})
    saved[name] = {"plan": plan, "levers": levers_data(levers)}
    return saved


@callbacks(
    Output("planner-download", "data"),
    Input("planner-dl-csv", "n_clicks"),
    Input("planner-dl-toml", "n_clicks"),
    Input("planner-dl-xlsx", "n_clicks"),
    State("planner-plan", "data"),
    State("planner-saved", "data"),
    State("planner-cost", "value"),
    *TARGET_STATES,
    State("planner-roster-hours", "data"),
    State("planner-source", "data"),
    *LEVER_STATES,
    prevent_initial_call=True,
)
def download(_csv, _toml, _xlsx, plan, saved, cost, *rest):
    """The plan as CSV, the what-if scenario as TOML or the comparison as Excel (audited
    with the centre and week)."""
    user = require_page(PATH)
    kpi, seconds, share, max_abandon, rostered, source, *lever_values = rest
    centre_id, source_text = planner_source(source)
    week = load_week(centre_id, source_text)
    try:
        plan, levers, texts, cap = read_form(
            week, plan, lever_values, (kpi, seconds, share, max_abandon)
        )
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
    rows = comparison_rows(week, plan, levers, texts, cap, saved, cost, rostered)
    data = comparison_xlsx(rows)
    return dcc.send_bytes(data, f"{name}-comparison.xlsx")
