"""``/sites``: sites and branches, channels, side by side, with the load per counter or agent.

Seed 000: customers crowd the main office in Riyadh while six branches stand almost
empty. Calls by the caller's site and walk-in visits by branch, next to each other,
with each branch's visits per counter (counters from the centre's settings in the store, when it
has branches) and the median wait for a counter (``frt_wh_p50``: a visitor's first response
is the moment a counter calls them); and every channel — phone, web, SMS, walk-in — by
volume. Agents' load on the phones is the occupancy of the staffing table.
"""

from __future__ import annotations

import dash
import dash_mantine_components as dmc
from dash import dcc, html

from analytics.kpi import threshold_label
from dashboards import charts, queries
from dashboards.frame import PageContext, page
from dashboards.grid import kpi_grid
from dashboards.tiles import kpi_tile

PATH = "/sites"


def build(ctx: PageContext):
    w, labels = ctx.w, ctx.labels
    data = queries.sites(ctx.con, ctx.centre, ctx.period, ctx.view.filters)
    sl = f"sl_offered_{threshold_label(ctx.centre.sl_thresholds_s[0])}"
    calls = [r for r in data["calls_by_site"] if r["offered"]]
    site_names = [labels.dimension("site", r["site"]) for r in calls]
    call_rows = [{**r, "site_label": n} for r, n in zip(calls, site_names, strict=True)]
    calls_fig = charts.grouped_bars(
        site_names, {w["calls"]: [r["offered"] for r in calls]}, ctx.lang, title=w["calls"]
    )
    counters = ctx.centre.counters
    visits = [r for r in data["tickets_by_site"] if r["channel"] == "walk_in" and r["created"]]
    parts = [
        html.Div(
            [
                html.Div(w["sites_side_by_side"], className="panel-title"),
                html.Div(
                    [
                        dcc.Graph(figure=calls_fig, config={"displayModeBar": False}),
                        kpi_grid(
                            "sites-calls",
                            call_rows,
                            [{"field": "site_label", "headerName": w["site"], "minWidth": 170}],
                            ["offered", "answer_rate", sl, "abandon_rate", "asa_s", "p90_wait_s"],
                            labels,
                        ),
                    ],
                    className="grid-2",
                ),
            ],
            className="panel",
        )
    ]
    if visits:
        names = [labels.dimension("site", r["site"]) for r in visits]
        per_counter = [
            (r["created"] / counters[r["site"]]) if counters.get(r["site"]) else None
            for r in visits
        ]
        fig = charts.grouped_bars(
            names,
            {f"{w['visits']} {w['per_counter']}": per_counter},
            ctx.lang,
            title=f"{w['load_per_agent']} — {labels.dimension('channel', 'walk_in')}",
            empty=w["no_counters"],
        )
        wait = charts.grouped_bars(
            names,
            {labels.kpi("frt_wh_p50"): [r["frt_wh_p50"] for r in visits]},
            ctx.lang,
            title=labels.kpi("frt_wh_p50"),
            empty=w["no_data"],
        )
        table = [
            {
                "site_label": n,
                "counters": counters.get(r["site"]),
                "created": r["created"],
                "per_counter": pc,
                "frt_wh_p50": r["frt_wh_p50"],
                "frt_wh_p90": r["frt_wh_p90"],
            }
            for n, r, pc in zip(names, visits, per_counter, strict=True)
        ]
        parts.append(
            html.Div(
                [
                    html.Div(
                        [
                            dcc.Graph(
                                figure=fig, config={"displayModeBar": False}, id="sites-per-counter"
                            ),
                            dcc.Graph(figure=wait, config={"displayModeBar": False}),
                        ],
                        className="grid-2",
                    ),
                    kpi_grid(
                        "sites-visits",
                        table,
                        [
                            {"field": "site_label", "headerName": w["site"], "minWidth": 170},
                            {
                                "field": "counters",
                                "headerName": w["counters"],
                                "type": "numericColumn",
                            },
                            {
                                "field": "per_counter",
                                "headerName": f"{w['visits']} {w['per_counter']}",
                                "type": "numericColumn",
                                "valueFormatter": {
                                    "function": "params.value == null ? '—' : Math.round(params.value).toLocaleString('en')"
                                },
                            },
                        ],
                        ["created", "frt_wh_p50", "frt_wh_p90"],
                        labels,
                    ),
                ],
                className="panel",
            )
        )
    channels: dict[str, float] = {}
    for r in data["calls_by_channel"]:
        channels[labels.dimension("channel", r["channel"])] = r["offered"]
    for r in data["tickets_by_site"]:
        name = labels.dimension("channel", r["channel"])
        channels[name] = channels.get(name, 0) + (r["created"] or 0)
    ch_fig = charts.grouped_bars(
        list(channels),
        {w["offered"]: list(channels.values())},
        ctx.lang,
        title=w["channels_side_by_side"],
    )
    occ = data["occupancy"]
    occ_tiles = (
        [kpi_tile("occupancy", occ, labels, definition=ctx.definition("occupancy"))]
        if occ.get("occupancy") is not None
        else []
    )
    parts.append(
        html.Div(
            [
                html.Div(
                    dcc.Graph(figure=ch_fig, config={"displayModeBar": False}), className="panel"
                ),
                html.Div(
                    [
                        html.Div(w["busy"], className="panel-title"),
                        html.Div(occ_tiles, className="tile-grid"),
                    ]
                    if occ_tiles
                    else dmc.Alert(w["no_staffing"], color="gray"),
                    className="panel",
                ),
            ],
            className="grid-2",
        )
    )
    return html.Div(parts)


def layout(**query):
    return page(PATH, query, build, filters=("category", "channel", "site"))


dash.register_page(
    __name__,
    path=PATH,
    name="Sites",
    title="Sites",
    layout=layout,
    order=40,
    menu="sites",  # the menu's label: words(lang)["sites"]
    roles=("manager",),  # who opens it besides admins (dashboards.auth.may_open)
)
