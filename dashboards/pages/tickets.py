"""``/tickets``: e-support and walk-in tickets on the centre's working-day clock.

Created, resolved and backlog day by day; first response (working hours) and resolution
(working days) at the median and 90th percentile; SLA met by caller category and channel;
and the at-risk list — open tickets whose deadline falls within the next working day —
so a team lead works them before they breach ("warn before, not after", seed 000).
"""

from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import dcc, html

from analytics.kpi import TICKET_KPI_NAMES
from dashboards import charts, queries
from dashboards.frame import PageContext, page
from dashboards.grid import kpi_grid
from dashboards.tiles import kpi_tile

PATH = "/tickets"


def build(ctx: PageContext):
    w, labels = ctx.w, ctx.labels
    data = queries.tickets(ctx.con, ctx.centre, ctx.period, ctx.view.filters)
    period = data["period"]
    tiles = html.Div(
        [
            kpi_tile(
                name,
                period,
                labels,
                targets=ctx.targets,
                definition=ctx.definition(name),
                id_prefix="tickets-",
            )
            for name in TICKET_KPI_NAMES
        ],
        className="tile-grid",
        id="tickets-tiles",
    )
    daily = data["daily"]
    x = [r["interval_start"] for r in daily]
    flow = charts.lines(
        x,
        {
            w["created"]: [r["created"] for r in daily],
            w["resolved"]: [r["resolved"] for r in daily],
            w["backlog"]: [r["backlog"] for r in daily],
        },
        ctx.lang,
        title=w["created_resolved"],
    )
    times = charts.lines(
        x,
        {labels.kpi(k): [r[k] for r in daily] for k in ("resolution_wd_p50", "resolution_wd_p90")},
        ctx.lang,
        title=labels.kpi("resolution_wd_p90"),
    )
    rows = [
        {
            **r,
            "category_label": labels.category(r["category"]),
            "channel_label": labels.dimension("channel", r["channel"]),
        }
        for r in data["by_category_channel"]
    ]
    key = [
        {"field": "category_label", "headerName": w["category"], "minWidth": 140},
        {"field": "channel_label", "headerName": w["channel"], "minWidth": 110},
    ]
    by = kpi_grid(
        "tickets-by",
        rows,
        key,
        [
            "created",
            "resolved",
            "sla_met_rate",
            "frt_wh_p50",
            "resolution_wd_p50",
            "resolution_wd_p90",
            "backlog",
            "at_risk",
        ],
        labels,
    )
    risk_rows = [
        {
            "ticket_id": r["ticket_id"],
            "created_at": r["created_at"].strftime("%Y-%m-%d %H:%M"),
            "deadline": r["deadline"].strftime("%Y-%m-%d %H:%M"),
            "working_hours_left": round(r["working_hours_left"], 1),
            "category": labels.category(r["category"]),
            "channel": labels.dimension("channel", r["channel"]),
            "topic": labels.topic(r["topic"]) if r["topic"] else "",
        }
        for r in data["at_risk"]
    ]
    risk = (
        dag.AgGrid(
            id="tickets-at-risk",
            rowData=risk_rows,
            columnDefs=[
                {"field": "ticket_id", "headerName": w["ticket"]},
                {"field": "deadline", "headerName": w["deadline"], "sort": "asc"},
                {
                    "field": "working_hours_left",
                    "headerName": w["hours_left"],
                    "type": "numericColumn",
                },
                {"field": "category", "headerName": w["category"]},
                {"field": "channel", "headerName": w["channel"]},
                {"field": "topic", "headerName": w["topic"]},
                {"field": "created_at", "headerName": w["created_at"]},
            ],
            defaultColDef={"sortable": True, "resizable": True, "flex": 1},
            dashGridOptions={
                "enableRtl": ctx.lang == "ar",
                "pagination": True,
                "paginationPageSize": 20,
            },
            style={"height": "420px"},
        )
        if risk_rows
        else dmc.Alert(w["nothing_at_risk"], color="green")
    )
    return html.Div(
        [
            tiles,
            html.Div(
                [
                    html.Div(
                        dcc.Graph(figure=flow, config={"displayModeBar": False}), className="panel"
                    ),
                    html.Div(
                        dcc.Graph(figure=times, config={"displayModeBar": False}), className="panel"
                    ),
                ],
                className="grid-2",
            ),
            html.Div([html.Div(w["sla_by"], className="panel-title"), by], className="panel"),
            html.Div(
                [html.Div(w["at_risk_list"], className="panel-title"), risk], className="panel"
            ),
        ]
    )


def layout(**query):
    return page(PATH, query, build, filters=("category", "topic", "channel", "site"))


dash.register_page(
    __name__,
    path=PATH,
    name="Tickets",
    title="Tickets",
    layout=layout,
    order=30,
    menu="tickets",  # the menu's label: words(lang)["tickets"]
    roles=("manager",),  # who opens it besides admins (dashboards.auth.may_open)
)
