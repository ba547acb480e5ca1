"""``/wallboard``: a kiosk view of today for a wall screen — big tiles, no menus.

Per caller category: calls offered and answered, service level within the centre's first
threshold, abandonment and ASA for today (or, before the first call of the day, the
latest day with calls, labelled so). It refreshes itself every 30 seconds
(``dcc.Interval``); a ``wallboard`` account can open this page and nothing else.
"""

from __future__ import annotations

import dash
from dash import Input, Output, State, dcc, html

from analytics.kpi import threshold_label
from dashboards import queries
from dashboards.auth import require_page
from dashboards.frame import PageContext, page
from dashboards.tiles import kpi_tile

PATH = "/wallboard"


def wall_content(ctx: PageContext):
    w, labels = ctx.w, ctx.labels
    sl = f"sl_offered_{threshold_label(ctx.centre.sl_thresholds_s[0])}"
    day = queries.latest_day_with_calls(ctx.con, ctx.centre, ctx.today)
    names = ["offered", "answered", sl, "abandon_rate", "asa_s", "answer_rate_excl_short"]
    if day is None:
        return html.Div(w["no_calls_today"], className="wall-title")
    period = queries.day_period(day)
    total = queries.call_kpis(ctx.con, ctx.centre, period=period, filters=ctx.view.filters)[0]
    rows = queries.call_kpis(
        ctx.con, ctx.centre, period=period, by=("category",), filters=ctx.view.filters
    )
    title = w["wallboard_title"] if day == ctx.today else f"{w['latest_day']}"
    cards = [
        html.Div(
            [
                html.H2(ctx.centre_name),
                html.Div(
                    [kpi_tile(n, total, labels, targets=ctx.targets, size="xl") for n in names],
                    className="tile-grid",
                ),
            ],
            className="wall-card",
            id="wallboard-total",
        )
    ]
    for row in rows:
        if not row["offered"]:
            continue
        cards.append(
            html.Div(
                [
                    html.H2(labels.category(row["category"])),
                    html.Div(
                        [kpi_tile(n, row, labels, targets=ctx.targets) for n in names[:5]],
                        className="tile-grid",
                    ),
                ],
                className="wall-card",
            )
        )
    return html.Div(
        [
            html.Div(
                [
                    html.H1(f"{title} · {labels.date(day)}"),
                    html.Div(w["refreshes"], className="muted"),
                ],
                className="wall-title",
            ),
            html.Div(cards, className="wall-grid"),
        ]
    )


def build(ctx: PageContext):
    return html.Div(
        [
            html.Div(wall_content(ctx), id="wallboard-content"),
            dcc.Interval(
                id="wallboard-tick", interval=int(ctx.app.settings.wallboard_refresh_s * 1000)
            ),
        ]
    )


def refresh(_n, search):
    """Rebuild the tiles from the store (a load published since shows up here)."""
    require_page(PATH)
    from urllib.parse import parse_qsl

    query = dict(parse_qsl((search or "").lstrip("?")))
    return page(PATH, query, lambda ctx: wall_content(ctx), chrome=False)


def register_callbacks(app) -> None:
    app.callback(
        Output("wallboard-content", "children"),
        Input("wallboard-tick", "n_intervals"),
        State("url", "search"),
        prevent_initial_call=True,
    )(refresh)


def layout(**query):
    return page(PATH, query, build, chrome=False)


dash.register_page(
    __name__,
    path=PATH,
    name="Wallboard",
    title="Wallboard",
    layout=layout,
    order=70,
    menu="wallboard",  # the menu's label: words(lang)["wallboard"]
    roles=("manager", "wallboard"),  # who opens it besides admins (dashboards.auth.may_open)
)
