"""``/categories``: every KPI by caller category and topic, 12 s and 30 s side by side.

Volumes stacked by category over the period; a table of every KPI per category (click a
row to drill in: the URL gains ``category=…``, so the drill-down is bookmarkable too);
with one category chosen, its topics and its half-hour intervals against the target.
"""

from __future__ import annotations

import dash
from dash import Input, Output, State, dcc, html, no_update

from analytics.kpi import threshold_label
from dashboards import charts, queries
from dashboards.auth import require_page
from dashboards.frame import PageContext, filtered_href, page
from dashboards.grid import kpi_grid

PATH = "/categories"


def table_kpis(ctx: PageContext) -> list[str]:
    labels = [threshold_label(t) for t in ctx.centre.sl_thresholds_s]
    names = ["offered", "answered", "abandoned", "short_abandoned"]
    names += ["answer_rate", "answer_rate_excl_short", "abandon_rate"]
    for variant in ("sl_offered", "sl_answered", "sl_excl_short"):
        names += [f"{variant}_{t}" for t in labels]  # 12 s and 30 s side by side
    names += ["asa_s", "aht_s", "avg_abandon_wait_s", "p90_wait_s"]
    return names


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
    )
    rows = [{**r, "category_label": labels.category(r["category"])} for r in data["by_category"]]
    key = [
        {"field": "category_label", "headerName": w["category"], "pinned": "left", "minWidth": 150}
    ]
    parts = [
        html.Div(dcc.Graph(figure=volume, config={"displayModeBar": False}), className="panel"),
        html.Div(
            [
                html.Div(w["kpis_by_category"], className="panel-title"),
                html.Div(w["pick_category"], className="muted"),
                html.Div(
                    "p90_wait_s: periods up to 3 months (it reads every answered call); "
                    "cca kpi gives it for any period.",
                    className="muted",
                    id="categories-no-p90",
                )
                if not data["percentile"]
                else None,
                kpi_grid("categories-grid", rows, key, table_kpis(ctx), labels, row_selection=True),
            ],
            className="panel",
        ),
    ]
    if drill is not None:
        name = labels.category(drill)
        topics = [{**r, "topic_label": labels.topic(r["topic"])} for r in data["topics"]]
        tkey = [
            {"field": "topic_label", "headerName": w["topic"], "pinned": "left", "minWidth": 200}
        ]
        first = f"sl_offered_{threshold_label(ctx.centre.sl_thresholds_s[0])}"
        target = ctx.targets.get(first)
        ints = data["intervals"]
        parts += [
            html.Div(
                [
                    html.Div(f"{w['topics_of']} {name}", className="panel-title"),
                    kpi_grid("categories-topics", topics, tkey, table_kpis(ctx), labels),
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
                    ),
                    config={"displayModeBar": False},
                    id="categories-intervals",
                ),
                className="panel",
            ),
        ]
    return html.Div(parts)


def drill_href(selected, href):
    """Choosing a category row filters the page to it (and shows its topics)."""
    require_page(PATH)
    if not selected or not href:
        return no_update
    return filtered_href(href, {"category": [selected[0]["category"]]})


def register_callbacks(app) -> None:
    app.callback(
        Output("url", "href", allow_duplicate=True),
        Input("categories-grid", "selectedRows"),
        State("url", "href"),
        prevent_initial_call=True,
    )(drill_href)


def layout(**query):
    return page(PATH, query, build)


dash.register_page(
    __name__,
    path=PATH,
    name="Categories",
    title="Categories",
    layout=layout,
    order=10,
    menu="categories",  # the menu's label: words(lang)["categories"]
    roles=("manager", "planner"),  # who opens it besides admins (dashboards.auth.may_open)
)
