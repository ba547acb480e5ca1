"""What-if: exact Erlang A for the week at once. The plan is a chart and an editable grid
(agents per interval); the levers, a grid edit or "N agents over a range" answer at once
per interval (``simulation.planning.whatif.erlang_week``), each interval red, amber or
green against the targets; the simulation's 95% band is drawn over the Erlang A line
when there is one."""

from __future__ import annotations

import datetime as dt

import dash
import dash_mantine_components as dmc
from dash import ALL, Input, Output, State, html, no_update

from analytics.exports.i18n import Labels
from analytics.kpi import threshold_label
from analytics.kpi.catalogue import format_value
from analytics.translation import date, is_rtl, ngettext, percent, weekday_name
from dashboards import charts
from dashboards.auth import require_page
from dashboards.callbacks import Callbacks
from dashboards.frame import PageContext
from dashboards.grid import ag_grid
from dashboards.planner import PATH
from dashboards.planner.compare import comparison_columns, comparison_rows, figure_column
from dashboards.planner.levers import (
    LEVER_STATES,
    MAX_ABANDON,
    TARGET_IDS,
    basis_of,
    checked_plan,
    levers_data,
    levers_of,
    read_form,
)
from dashboards.planner.week import load_week, planner_source
from dashboards.planner.words import (
    WRAPPED_HEADERS,
    column_label,
    isolated,
    lang_of,
    pin_side,
    t,
    words_formatter,
)
from dashboards.targets import isolate
from dashboards.words import words
from simulation.planning.whatif import (
    add_agents,
    erlang_week,
    parse_targets,
    scheduled_for,
    set_agents,
)

callbacks = Callbacks()

KPI_TILES = ("sl_offered_12", "sl_offered_30", "abandon_rate", "asa_s", "occupancy")
STATUS = {"green": charts.GOOD, "amber": charts.WARN, "red": charts.BAD, "closed": charts.MUTED}


def evaluate(week, plan, levers, targets, max_abandon):
    return erlang_week(week, plan, levers, targets, max_abandon=max_abandon)


def grid_rows(result, lang: str) -> list[dict]:
    labels = Labels(lang)
    rows = []
    for r in result.intervals:
        start = r["interval_start"]
        rows.append(
            {
                "index": r["index"],
                "row_id": str(r["index"]),  # AG Grid wants string row ids
                "day": f"{labels.weekday(start.isoweekday())} {date(start, lang, 'day_month')}",
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


# long: one figure's traces (plan, Erlang A, the simulation's band) and its layout together
def week_figure(
    result,
    lang: str,
    simulated: list[dict] | None = None,
    key: str = "sl_offered_12",
    target: float | None = None,
) -> dict:
    """The week's plan as bars coloured by Erlang A's verdict, Erlang A's service level
    ``key`` as a line with its ``target`` dashed, and the simulation's mean and 95% band
    over it when there is one (of the plan and levers on screen)."""
    w = words(lang)
    starts = [r["interval_start"] for r in result.intervals]
    # open intervals side by side (no empty nights): one category per interval
    labels = Labels(lang)
    sl_label = labels.short(key)
    # two-line ticks (day, then time) so a week of half hours reads without overlap
    xs = [
        f"{weekday_name(s.isoweekday(), lang, 'abbreviated')} {date(s, lang, 'day_month')}<br>{s:%H:%M}"
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
            "customdata": [
                ngettext(lang, "{n} agent", "{n} agents", r["plan"]) for r in result.intervals
            ],
            "hovertemplate": "%{x}: %{customdata}<extra></extra>",
        }
    ]
    if simulated:
        by_start = {r["interval_start"]: r for r in simulated}
        keys = [x.isoformat() for x in starts]
        low = [by_start.get(k, {}).get(f"{key}_ci_low") for k in keys]
        high = [by_start.get(k, {}).get(f"{key}_ci_high") for k in keys]
        mean = [by_start.get(k, {}).get(key) for k in keys]
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
            "y": [r.get(key) for r in result.intervals],
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
    if target is not None:
        words_ = f"{t('target', lang)} {isolate('≥ ' + percent(target, lang), lang)}"
        data.append(charts.target_legend(xs, target, words_, charts.BAD))
    layout["hovermode"] = "x unified"
    # a label that would spill past the plot (the week's first, under the value axis's
    # "0%") is left out: the next tick names the same day
    layout["xaxis"].update(
        {"type": "category", "nticks": 10, "tickangle": 0, "ticklabeloverflow": "hide past domain"}
    )
    if is_rtl(lang):
        layout["xaxis"]["autorange"] = "reversed"
        layout["yaxis"]["side"] = "right"
        layout["yaxis2"]["side"] = "left"
    return fig


def totals_tiles(result, lang: str = "en") -> html.Div:
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


def plan_edit_bar(ctx: PageContext, week) -> html.Div:
    """N agents added (or removed) over a range of one day's intervals; reset the plan."""
    lang, w = ctx.lang, ctx.w
    day_options = sorted({(s.date().isoformat(), ctx.labels.date(s.date())) for s in week.starts})
    times = sorted({f"{s:%H:%M}" for s in week.starts})
    return html.Div(
        [
            # "no change" until the planner says how many to add or remove
            dmc.NumberInput(id="planner-delta", label=t("± agents", lang), value=0, step=1, w=100),
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
            dmc.Button(t("Reset plan", lang), id="planner-reset", variant="subtle", color="gray"),
        ],
        className="filter-bar",
    )


def plan_grid(ctx: PageContext):
    """One row an interval: calls, handling time, the plan (editable), agents on the
    phones, Erlang A's figures and its verdict (filled by ``recompute``)."""
    lang, w = ctx.lang, ctx.w
    columns = [
        {"field": "day", "headerName": w["day"], "pinned": pin_side(lang), "minWidth": 130},
        {"field": "time", "headerName": w["interval"], "pinned": pin_side(lang), "maxWidth": 90},
        {
            "field": "calls",
            "headerName": column_label("calls", lang),
            "valueFormatter": {"function": "params.value == null ? '' : params.value.toFixed(1)"},
        },
        {
            "field": "aht_s",
            "headerName": column_label("aht_s", lang),
            "valueFormatter": {"function": "params.value == null ? '—' : params.value.toFixed(0)"},
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
            figure_column(k, lang)
            for k in ("sl_offered_12", "sl_offered_30", "abandon_rate", "occupancy")
        ],
        {
            "field": "asa_s",
            "headerName": column_label("asa_s", lang),
            "valueFormatter": {"function": "params.value == null ? '—' : params.value.toFixed(1)"},
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
    ]
    return ag_grid(
        lang,
        id="planner-grid",
        rowData=[],
        getRowId="params.data.row_id",
        columnDefs=columns,
        defaultColDef={
            "resizable": True,
            "sortable": False,
            "flex": 1,
            "minWidth": 80,
            **WRAPPED_HEADERS,
        },
        dashGridOptions={
            "stopEditingWhenCellsLoseFocus": True,
            # right to left, AG Grid's column virtualisation leaves headers blank
            "suppressColumnVirtualisation": is_rtl(lang),
        },
        style={"height": "420px"},
    )


def found_note(found, plan, levers, result, lang: str):
    """What "Find staffing" found, worded with both models: the simulation's verdict
    (it verified the plan) and Erlang A's colours of the same plan, so the line never
    says "every interval meets the targets" beside an amber interval unexplained."""
    if not found or found.get("kind") != "find_staffing":
        return None
    basis = found.get("basis") or {}
    shrinkage = (basis.get("levers") or {}).get("shrinkage", 0.0)
    found_plan = list(scheduled_for(found.get("agents") or [], shrinkage))
    if found_plan != list(plan) or basis.get("levers") != levers_data(levers):
        text = t("The plan has changed since Find staffing.", lang)
        return html.Div(text, className="muted", id="planner-unmet-list")
    unmet = found.get("unmet") or []
    if unmet:
        head = [
            html.B(
                ngettext(
                    lang,
                    "Found staffing: by the simulation {n} interval cannot meet the targets: ",
                    "Found staffing: by the simulation {n} intervals cannot meet the targets: ",
                    len(unmet),
                )
            ),
            ", ".join(u["interval_start"][:16].replace("T", " ") for u in unmet[:20]),
        ]
    else:
        head = [t("Found staffing: the simulation finds every interval meets the targets", lang)]
    amber, red = result.totals["intervals_amber"], result.totals["intervals_red"]
    if amber == red == 0:
        tail = t("; Erlang A agrees: every interval green.", lang)
    else:
        words_ = (
            "; Erlang A puts {amber} in amber and {red} in red (see Erlang A and the simulation)."
        )
        tail = t(words_, lang).format(amber=amber, red=red)
    return html.Div([*head, tail], id="planner-unmet-list")


MODEL_KPIS = ("sl_offered_12", "sl_offered_30", "abandon_rate", "asa_s")


def models_panel(sim, basis, result, lang: str) -> html.Div:
    """Erlang A's week beside the simulation's (mean and 95% interval), whether Erlang A
    falls inside the interval, why the two differ and which to trust."""
    title = html.Div(t("Erlang A and the simulation", lang), className="panel-title")
    if not sim:
        note = t("Press Simulate to check Erlang A against the simulation.", lang)
        return html.Div([title, html.Div(note, className="muted")])
    if sim.get("basis") != basis:
        note = t(
            "The simulation below was of an earlier plan or levers and is no longer drawn: "
            "press Simulate again.",
            lang,
        )
        return html.Div([title, html.Div(note, className="muted", id="planner-sim-stale")])
    summary = sim.get("summary") or {}
    cell = {"padding": "6px 16px", "textAlign": "start", "borderBottom": "1px solid #e9ecef"}
    number = {**cell, "fontVariantNumeric": "tabular-nums"}
    head = html.Tr(
        [
            html.Th(t(name, lang), style={**cell, "fontWeight": 600, "color": "#495057"})
            for name in ("", "Erlang A (instant)", "Simulation (95% interval)", "Agree?")
        ]
    )
    body = []
    for k in MODEL_KPIS:
        erlang, mean = result.totals.get(k), summary.get(k)
        low, high = summary.get(f"{k}_ci_low"), summary.get(f"{k}_ci_high")
        inside = None not in (erlang, low, high) and low - 1e-9 <= erlang <= high + 1e-9
        body.append(
            html.Tr(
                [
                    html.Td(Labels(lang).kpi(k), title=k, style=cell),
                    html.Td(format_value(k, erlang, lang), style=number, **{"data-kpi": k}),
                    html.Td(
                        f"{format_value(k, mean, lang)} "
                        + isolated(
                            f"[{format_value(k, low, lang)} – {format_value(k, high, lang)}]"
                        ),
                        style=number,
                        **{"data-kpi": f"simulated_{k}"},
                    ),
                    html.Td(
                        t(
                            "yes: inside the interval" if inside else "no: outside the interval",
                            lang,
                        ),
                        style={**cell, "color": charts.GOOD if inside else charts.WARN},
                    ),
                ]
            )
        )
    why = t(
        "Why they differ: Erlang A treats every interval on its own, as if it lasted for ever "
        "at that rate, with exponential handling and patience times and one pool of agents. "
        "The simulation follows each call: a queue left at the end of an interval carries into "
        "the next, handling and patience follow the distributions fitted to the history, and "
        "caller categories keep their priorities.",
        lang,
    )
    trust = t(
        "Which to trust: where they disagree, the simulation (within its 95% interval). "
        "Erlang A is instant, so use it to try levers, and the simulation to confirm a plan.",
        lang,
    )
    return html.Div(
        [
            title,
            html.Table(
                [html.Thead(head), html.Tbody(body)],
                style={"borderCollapse": "collapse", "margin": "4px 0 10px"},
            ),
            html.P(why, className="muted", style={"maxWidth": "980px", "margin": "4px 0"}),
            html.P(trust, style={"maxWidth": "980px", "margin": "4px 0", "fontWeight": 500}),
        ],
        id="planner-models-table",
    )


@callbacks(
    Output("planner-totals", "children"),
    Output("planner-chart", "figure"),
    Output("planner-grid", "rowData"),
    Output("planner-compare", "rowData"),
    Output("planner-compare", "columnDefs"),
    Output("planner-unmet", "children"),
    Output("planner-models", "children"),
    Input("planner-volume", "value"),
    Input("planner-handling", "value"),
    Input("planner-patience", "value"),
    Input("planner-shrinkage", "value"),
    Input({"type": "planner-cat-volume", "cat": ALL}, "value"),
    *[Input(i, "value") for i in (*TARGET_IDS, MAX_ABANDON.input_id)],
    Input("planner-plan", "data"),
    Input("planner-sim", "data"),
    Input("planner-cost", "value"),
    Input("planner-saved", "data"),
    Input("planner-job-result", "data"),
    Input("planner-roster-hours", "data"),
    State({"type": "planner-cat-volume", "cat": ALL}, "id"),
    State("planner-source", "data"),
    State("url", "search"),
)
def recompute(volume, handling, patience, shrinkage, cat_values, *rest):
    """Erlang A for the week under the levers and plan: totals, chart, grid, comparison,
    what Find staffing found and Erlang A beside the simulation."""
    require_page(PATH)
    kpi, seconds, share, max_abandon, plan, sim, cost, saved, found, rostered = rest[:10]
    cat_ids, source, search = rest[10:]
    lang = lang_of(search)
    week = load_week(*planner_source(source))
    try:
        lever_values = (volume, handling, patience, shrinkage, cat_ids, cat_values)
        targets = (kpi, seconds, share, max_abandon)
        plan, levers, texts, cap = read_form(week, plan, lever_values, targets)
        result = evaluate(week, plan, levers, texts, cap)
    except ValueError as exc:
        alert = dmc.Alert(str(exc), color="red")
        return alert, *([no_update] * 6)
    compared = comparison_rows(week, plan, levers, texts, cap, saved, cost, rostered)
    basis = basis_of(plan, levers)
    fresh = sim if sim and sim.get("basis") == basis else None
    target = parse_targets(texts)[0]
    key = f"sl_offered_{threshold_label(target.threshold_s)}"
    line = target.value if target.kpi.startswith("sl_offered_") else None
    return (
        totals_tiles(result, lang),
        week_figure(result, lang, (fresh or {}).get("intervals"), key, line),
        grid_rows(result, lang),
        compared,
        comparison_columns(compared, lang),
        found_note(found, plan, levers, result, lang),
        models_panel(sim, basis, result, lang),
    )


@callbacks(
    Output("planner-plan", "data"),
    Output("planner-saved", "data", allow_duplicate=True),
    Input("planner-grid", "cellValueChanged"),
    Input("planner-apply-delta", "n_clicks"),
    Input("planner-reset", "n_clicks"),
    Input("planner-job-result", "data"),
    State("planner-plan", "data"),
    State("planner-delta", "value"),
    State("planner-delta-day", "value"),
    State("planner-delta-from", "value"),
    State("planner-delta-to", "value"),
    State("planner-saved", "data"),
    State("planner-source", "data"),
    *LEVER_STATES,
    prevent_initial_call=True,
)
def edit_plan(cell, apply, reset, found, plan, delta, day, first, last, saved, source, *levers):
    """The plan after a grid edit, N agents added over a range, a reset or a found plan;
    a plan replaced whole (a reset, a found plan) is kept as the previous plan."""
    require_page(PATH)
    week = load_week(*planner_source(source))
    try:
        plan = checked_plan(plan, week)
    except ValueError:
        # a plan the server cannot read: only a reset (to the week's own) answers
        plan = None
    new = changed_plan(week, cell, delta, day, first, last, plan, found)
    if new is None:
        return no_update, no_update
    if dash.ctx.triggered_id in ("planner-reset", "planner-job-result") and plan not in (None, new):
        try:
            kept = {"plan": plan, "levers": levers_data(levers_of(*levers))}
        except ValueError:
            return new, no_update
        return new, {**(saved or {}), "previous plan": kept}
    return new, no_update


def changed_plan(week, cell, delta, day, first, last, plan, found) -> list[int] | None:
    """The new plan for what fired, None for no change (or no plan to change)."""
    trigger = dash.ctx.triggered_id
    if trigger == "planner-reset":
        return list(week.agents)
    if plan is None:
        return None
    if trigger == "planner-grid" and cell:
        changes = {}
        for change in cell:
            value = change.get("value")
            try:
                changes[int(change["data"]["index"])] = int(value)
            except (TypeError, ValueError):
                return None
        try:
            return list(set_agents(plan, changes))
        except ValueError:
            return None
    if trigger == "planner-apply-delta" and day and first and last:
        start = dt.datetime.fromisoformat(f"{day}T{first}").replace(tzinfo=week.scenario.tz)
        end = dt.datetime.fromisoformat(f"{day}T{last}").replace(tzinfo=week.scenario.tz)
        try:
            return list(add_agents(week, plan, int(delta or 0), start, end))
        except ValueError:
            return None
    if trigger == "planner-job-result" and found and found.get("agents"):
        # agents on the phones found under the job's shrinkage, scheduled again
        shrinkage = ((found.get("basis") or {}).get("levers") or {}).get("shrinkage", 0.0)
        try:
            return checked_plan(list(scheduled_for(found["agents"], shrinkage)), week)
        except (TypeError, ValueError):
            return None
    return None
