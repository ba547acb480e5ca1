"""``/categories``: every KPI by caller category and topic, 12 s and 30 s side by side.

Volumes stacked by category over the period; a table of every KPI per category (click a
row to drill in: the URL gains ``category=…``, so the drill-down is bookmarkable too);
with one category chosen, its topics and its half-hour intervals against the target.
"""

from __future__ import annotations

import dash_mantine_components as dmc
from dash import Input, Output, State, dcc, html, no_update

from analytics.kpi import threshold_label
from analytics.translation import gettext, moment, ngettext, start_side
from dashboards import charts, queries, targets, units
from dashboards.auth import require_page
from dashboards.frame import PageContext, filtered_href, page, register_page
from dashboards.grid import ag_grid, kpi_grid

PATH = "/categories"


def table_kpis(ctx: PageContext) -> list[str]:
    """The table's KPIs, the ones a manager reads first on the first screen: volumes,
    the answer and abandon rates, the service levels, ASA, AHT and the 90th-percentile
    wait; then the other variants (12 s and 30 s side by side)."""
    labels = [threshold_label(t) for t in ctx.centre.sl_thresholds_s]
    names = ["offered", "answered", "answer_rate_excl_short", "abandon_rate"]
    names += [f"sl_offered_{t}" for t in labels]
    names += ["asa_s", "aht_s", "p90_wait_s"]
    names += ["answer_rate", "abandoned", "short_abandoned"]
    for variant in ("sl_answered", "sl_excl_short"):
        names += [f"{variant}_{t}" for t in labels]
    names += ["avg_abandon_wait_s"]
    return names


# the first screen's KPIs end at the 90th-percentile wait: the rest are in the grid hidden,
# shown by the "More figures" chooser, so every column fits 1440 px (issue #25)
FIRST_SCREEN_LAST = "p90_wait_s"


def more_kpis(ctx: PageContext) -> list[str]:
    """The table's KPIs after the first screen's (``table_kpis``)."""
    names = table_kpis(ctx)
    return names[names.index(FIRST_SCREEN_LAST) + 1 :]


def kpi_table(ctx: PageContext, grid_id: str, rows: list[dict], dim: str, min_width: int):
    """A KPI grid of ``rows`` by ``dim`` (category or topic): its name first, pinned on the
    reader's start side, then the first screen's KPIs with a chooser of the others."""
    label = f"{dim}_label"
    rows = [{**r, label: ctx.labels.dimension(dim, r[dim])} for r in rows]
    key = [
        {
            "field": label,
            "headerName": ctx.w[dim],
            "pinned": start_side(ctx.lang),
            "minWidth": min_width,
        }
    ]
    more = more_kpis(ctx)
    chooser = dmc.MultiSelect(
        id=f"{grid_id}-more",
        label=gettext(ctx.lang, "More figures"),
        placeholder=gettext(ctx.lang, "Add columns to the table"),
        data=[{"value": n, "label": ctx.labels.column(n)} for n in more],
        value=[],
        clearable=True,
        className="grid-columns",
    )
    grid = kpi_grid(
        grid_id,
        rows,
        key,
        table_kpis(ctx),
        ctx.labels,
        hidden=more,
        row_selection=grid_id == "categories-grid",
    )
    return [chooser, grid]


def show_columns(chosen, options, columns):
    """The grid's columns with the chooser's KPIs shown and its other options hidden."""
    require_page(PATH)
    optional = {o["value"] for o in options or []}
    shown = set(chosen or [])
    return [
        {**c, "hide": c.get("field") in optional and c.get("field") not in shown}
        for c in columns or []
    ]


def volume_interval(ctx: PageContext) -> str:
    days = ctx.period.days
    return "day" if days <= 62 else ("week" if days <= 370 else "month")


def build(ctx: PageContext):
    w, labels = ctx.w, ctx.labels
    chosen = ctx.view.filters.get("category", [])
    drill = chosen[0] if len(chosen) == 1 else None
    interval = volume_interval(ctx)
    data = queries.categories(
        ctx.con, ctx.centre, ctx.period, ctx.view.filters, category=drill, interval=interval
    )
    series: dict[str, dict] = {}
    for row in data["over_time"]:
        series.setdefault(labels.category(row["category"]), {})[row["interval_start"]] = row[
            "offered"
        ]
    x = sorted({row["interval_start"] for row in data["over_time"]})
    volume = charts.stacked_bars(
        x,
        {name: [values.get(t, 0) for t in x] for name, values in series.items()},
        ctx.lang,
        title=w["volume_over_time"],
        unit=units.calls(ctx.lang),
    )
    parts = [
        html.Div(dcc.Graph(figure=volume, config={"displayModeBar": False}), className="panel"),
        html.Div(
            [
                html.Div(w["kpis_by_category"], className="panel-title"),
                html.Div(w["pick_category"], className="muted"),
                html.Div(
                    gettext(
                        ctx.lang,
                        "The 90th-percentile wait is shown for periods of up to 3 months.",
                    ),
                    className="muted",
                    id="categories-no-p90",
                )
                if not data["percentile"]
                else None,
                *kpi_table(ctx, "categories-grid", data["by_category"], "category", 150),
            ],
            className="panel",
        ),
    ]
    if drill is not None:
        name = labels.category(drill)
        first = f"sl_offered_{threshold_label(ctx.centre.sl_thresholds_s[0])}"
        target = ctx.targets.get(first)
        ints = data["intervals"]
        parts += [
            html.Div(
                [
                    html.Div(f"{w['topics_of']} {name}", className="panel-title"),
                    *kpi_table(ctx, "categories-topics", data["topics"], "topic", 200),
                ],
                className="panel",
                id="categories-drill",
            ),
            html.Div(
                dcc.Graph(
                    figure=charts.bars_with_target(
                        [f"{r['interval_start']:%H:%M}" for r in ints],
                        [r[first] for r in ints],
                        [
                            charts.STATUS_COLOURS[target.status(r[first]) if target else None]
                            for r in ints
                        ],
                        ctx.lang,
                        title=f"{w['intervals_of']} {name} — {labels.short(first)}",
                        target=target.value if target else None,
                        target_label=(
                            targets.target_text(first, target, ctx.lang, w["target"])
                            if target
                            else None
                        ),
                    ),
                    config={"displayModeBar": False},
                    id="categories-intervals",
                ),
                className="panel",
            ),
        ]
    parts.append(calls_panel(ctx))
    return html.Div(parts)


def calls_panel(ctx: PageContext):
    """The calls behind this page's figures: the period and every filter, caller ids never
    shown (the KPI layer's ``call_list`` does not read them)."""
    w, labels = ctx.w, ctx.labels
    total, rows = queries.calls_behind(ctx.con, ctx.centre, ctx.period, ctx.view.filters)
    outcomes = {"answered": w["answered_call"], "abandoned": w["abandoned_call"]}
    outcomes["timeout"] = w["timed_out_call"]
    data = [
        {
            # ISO values sort; the reader sees the one date format (valueFormatter)
            "arrived_at": r["arrived_at"].isoformat(),
            "arrived_at_shown": moment(r["arrived_at"], ctx.lang),
            "outcome": outcomes.get(r["outcome"], r["outcome"]),
            "wait_s": round(r["wait_s"]),
            "handle_s": round(r["handle_s"]) if r["handle_s"] is not None else None,
            "category": labels.category(r["category"]),
            "topic": labels.topic(r["topic"]) if r["topic"] else "",
            "queue": labels.dimension("queue", r["queue"]) if r["queue"] else "",
            "channel": labels.dimension("channel", r["channel"]) if r["channel"] else "",
            "agent_id": r["agent_id"] or "",
        }
        for r in rows
    ]
    seconds = "params.value == null ? '—' : params.value.toLocaleString('en')"
    columns = [
        {
            "field": "arrived_at",
            "headerName": w["arrived"],
            "minWidth": 190,  # the whole date and time ("30 سبتمبر 2026 23:57")
            "valueFormatter": {"function": "params.data.arrived_at_shown"},
        },
        {"field": "outcome", "headerName": w["outcome"], "minWidth": 110},
        {
            "field": "wait_s",
            "headerName": f"{w['wait']} ({w['unit_s']})",
            "type": "numericColumn",
            "valueFormatter": {"function": seconds},
        },
        {
            "field": "handle_s",
            "headerName": f"{w['handling']} ({w['unit_s']})",
            "type": "numericColumn",
            "valueFormatter": {"function": seconds},
        },
        {"field": "category", "headerName": w["category"], "minWidth": 120},
        {"field": "topic", "headerName": w["topic"], "minWidth": 150},
        {"field": "queue", "headerName": w["queue"]},
        {"field": "channel", "headerName": w["channel"]},
        {"field": "agent_id", "headerName": w["agent"]},
    ]
    chosen = [
        f"{w[dim]}: " + ", ".join(labels.dimension(dim, v) for v in values)
        for dim, values in ctx.view.filters.items()
    ]
    scope = " · ".join([labels.period_name(ctx.period), *(chosen or [w["no_filters"]])])
    return html.Div(
        [
            html.Div(w["calls_behind"], className="panel-title"),
            html.Div(
                ngettext(
                    ctx.lang, "{n} call in {scope}.", "{n} calls in {scope}.", total, scope=scope
                )
                + " "
                + ngettext(
                    ctx.lang,
                    "The newest {n} is listed; caller numbers are never shown.",
                    "The newest {n} are listed; caller numbers are never shown.",
                    len(rows),
                ),
                className="muted",
                id="calls-behind-scope",
            ),
            ag_grid(
                ctx.lang,
                id="calls-behind",
                rowData=data,
                columnDefs=columns,
                defaultColDef={"sortable": True, "resizable": True, "flex": 1, "minWidth": 90},
                dashGridOptions={
                    "pagination": True,
                    "paginationPageSize": 20,
                },
                style={"height": "460px"},
            ),
        ],
        className="panel",
        id="calls-behind-panel",
    )


def drill_href(selected, href):
    """Choosing a category row filters the page to it (and shows its topics)."""
    require_page(PATH)
    if not selected or not href:
        return no_update
    return filtered_href(href, {"category": [selected[0]["category"]]})


def register_callbacks(app) -> None:
    for grid_id in ("categories-grid", "categories-topics"):
        app.callback(
            Output(grid_id, "columnDefs"),
            Input(f"{grid_id}-more", "value"),
            State(f"{grid_id}-more", "data"),
            State(grid_id, "columnDefs"),
            prevent_initial_call=True,
        )(show_columns)
    app.callback(
        Output("url", "href", allow_duplicate=True),
        Input("categories-grid", "selectedRows"),
        State("url", "href"),
        prevent_initial_call=True,
    )(drill_href)


def layout(**query):
    return page(PATH, query, build)


register_page(__name__, PATH, "categories", order=10, roles=("manager", "planner"), layout=layout)
