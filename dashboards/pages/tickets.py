"""``/tickets``: e-support and walk-in tickets on the centre's working-day clock.

Created, resolved and backlog day by day; first response (working hours) and resolution
(working days) at the median and 90th percentile; SLA met by caller category and channel;
and the at-risk list — open tickets whose deadline falls within the next working day —
so a team lead works them before they breach ("warn before, not after", seed 000).
"""

from __future__ import annotations

import datetime as dt

import dash_mantine_components as dmc
from dash import dcc, html

from analytics.kpi import TICKET_KPI_NAMES
from analytics.kpi.catalogue import format_value
from analytics.translation import moment, ngettext
from dashboards import charts, freshness, queries, units
from dashboards.frame import PageContext, page, register_page
from dashboards.grid import ag_grid, kpi_grid
from dashboards.tiles import kpi_tile

PATH = "/tickets"


def as_of(ctx: PageContext) -> dt.datetime:
    """The instant the tickets are judged at: now, or the end of a past period."""
    now = freshness.now_at(ctx.centre, ctx.app.settings.today)
    end = ctx.period.bounds(ctx.centre.tz)[1]
    return min(now, end)


# the ticket list's columns: a date and time on one line, a long name ("Website
# e-support") wrapped whole, and all of them within 1440 px (1,330 px, no sideways scroll)
LIST_WIDTHS = {
    "ticket_id": 225,  # "bahrain_lmra-2026-09-t6406" on one line
    "state": 90,
    "created_at": 160,  # "30 Sep 2026 23:59" on one line
    "first_response_at": 160,
    "resolved_at": 160,
    "channel": 155,  # "Website e-support"
    "category": 110,
    "topic": 150,
    "site": 120,
}


def bucket_label(b: dict, w: dict, lang: str) -> str:
    """ "under 1 working day", "1 to 3 working days", "over 6 working days" (the count
    that the noun follows takes its plural form: Arabic has six)."""
    lo, hi = b["lo"], b["hi"]
    if lo == 0:
        text = ngettext(lang, "under {n} working day", "under {n} working days", hi)
    elif hi is not None:
        text = ngettext(
            lang, "{lo} to {n} working day", "{lo} to {n} working days", hi, lo=f"{lo:g}"
        )
    else:
        text = ngettext(lang, "over {n} working day", "over {n} working days", lo)
    return text + (f" ({w['past_sla']})" if b["past_sla"] else "")


def ageing_panel(ctx: PageContext, ages: dict, at: dt.datetime):
    w, labels = ctx.w, ctx.labels
    buckets = ages["buckets"]
    names = [bucket_label(b, w, ctx.lang) for b in buckets]
    colours = [charts.BAD if b["past_sla"] else charts.PALETTE[0] for b in buckets]
    fig = charts.grouped_bars(
        names,
        {w["open_tickets"]: [b["open"] for b in buckets]},
        ctx.lang,
        # as of the end of a period (midnight, exclusive): its last minute
        title=w["ageing"].format(at=moment(at - dt.timedelta(microseconds=1), ctx.lang)),
        unit=units.tickets(ctx.lang),
        horizontal=True,
        colours=colours,
        height=120 + 34 * len(buckets),
    )
    oldest = ages["oldest"]
    if oldest is None:
        side = dmc.Alert(w["no_open_tickets"], color="green")
    else:
        side = html.Div(
            [
                html.Div(w["oldest_open"], className="kpi-label"),
                html.Div(
                    format_value("resolution_wd_p50", oldest["age_wd"], ctx.lang),
                    className="kpi-value kpi-md",
                    id="tickets-oldest-age",
                ),
                html.Div(oldest["ticket_id"], className="kpi-name", id="tickets-oldest-id"),
                html.Div(
                    f"{w['created_at']} {moment(oldest['created_at'], ctx.lang)} · "
                    f"{labels.dimension('channel', oldest['channel'])} · "
                    f"{labels.category(oldest['category'])}",
                    className="kpi-target",
                ),
            ],
            className="kpi-tile status-"
            + ("bad" if oldest["age_wd"] >= ctx.centre.ticket_sla_wd else "none"),
            style={"height": "auto"},  # under the panel's title: not the panel's whole height
        )
    return html.Div(
        [
            html.Div(
                dcc.Graph(
                    figure=fig,
                    config={"displayModeBar": False, "responsive": True},
                    id="tickets-ageing",
                ),
                className="panel",
            ),
            html.Div(
                [
                    html.Div(
                        ngettext(ctx.lang, "{n} ticket open", "{n} tickets open", ages["open"]),
                        className="panel-title",
                    ),
                    side,
                ],
                className="panel",
            ),
        ],
        className="grid-2",
    )


def ticket_table(ctx: PageContext, rows: list[dict]):
    w, labels = ctx.w, ctx.labels

    stamps = ("created_at", "first_response_at", "resolved_at")
    data = [
        {
            "ticket_id": r["ticket_id"],
            "state": w["state_open"] if r["open"] else w["state_resolved"],
            # ISO values sort; the reader sees the one date format (valueFormatter)
            **{f: r[f].isoformat() if r[f] else None for f in stamps},
            **{f"{f}_shown": moment(r[f], ctx.lang) if r[f] else "—" for f in stamps},
            "channel": labels.dimension("channel", r["channel"]),
            "category": labels.category(r["category"]),
            "topic": labels.topic(r["topic"]) if r["topic"] else "",
            "site": labels.dimension("site", r["site"]) if r["site"] else "",
        }
        for r in rows
    ]
    columns = [
        ("ticket_id", w["ticket"]),
        ("state", w["status"]),
        ("created_at", w["created_at"]),
        ("first_response_at", w["first_response"]),
        ("resolved_at", w["resolved"]),
        ("channel", w["channel"]),
        ("category", w["category"]),
        ("topic", w["topic"]),
        ("site", w["site"]),
    ]
    return ag_grid(
        ctx.lang,
        id="tickets-list",
        rowData=data,
        columnDefs=[
            {"field": f, "headerName": h, "minWidth": LIST_WIDTHS.get(f, 110)}
            | ({"valueFormatter": {"function": f"params.data.{f}_shown"}} if f in stamps else {})
            for f, h in columns
        ],
        # nine columns in 1440 px: a long name or a date wraps to a second line, not cut
        defaultColDef={
            "sortable": True,
            "resizable": True,
            "flex": 1,
            "wrapText": True,
            "autoHeight": True,
            "wrapHeaderText": True,
            "autoHeaderHeight": True,
        },
        dashGridOptions={
            "pagination": True,
            "paginationPageSize": 20,
        },
        style={"height": "460px"},
    )


# long: the page's layout top to bottom (tiles, SLA by category, backlog trend, at-risk list)
# over one query's data
def build(ctx: PageContext):
    w, labels = ctx.w, ctx.labels
    at = as_of(ctx)
    data = queries.tickets(ctx.con, ctx.centre, ctx.period, ctx.view.filters, as_of=at)
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
        unit=units.tickets(ctx.lang),
        decimals=0,
    )
    times = charts.lines(
        x,
        {labels.kpi(k): [r[k] for r in daily] for k in ("resolution_wd_p50", "resolution_wd_p90")},
        ctx.lang,
        title=labels.kpi("resolution_wd_p90"),
        unit=units.of_kpi("resolution_wd_p90", ctx.lang),
        decimals=2,
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
        {"field": "channel_label", "headerName": w["channel"], "minWidth": 170},
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
            # ISO values sort; the reader sees the one date format (valueFormatter)
            "created_at": r["created_at"].isoformat(),
            "deadline": r["deadline"].isoformat(),
            "created_at_shown": moment(r["created_at"], ctx.lang),
            "deadline_shown": moment(r["deadline"], ctx.lang),
            "working_hours_left": round(r["working_hours_left"], 1),
            "category": labels.category(r["category"]),
            "channel": labels.dimension("channel", r["channel"]),
            "topic": labels.topic(r["topic"]) if r["topic"] else "",
        }
        for r in data["at_risk"]
    ]
    risk = (
        ag_grid(
            ctx.lang,
            id="tickets-at-risk",
            rowData=risk_rows,
            columnDefs=[
                {"field": "ticket_id", "headerName": w["ticket"]},
                {
                    "field": "deadline",
                    "headerName": w["deadline"],
                    "sort": "asc",
                    "valueFormatter": {"function": "params.data.deadline_shown"},
                },
                {
                    "field": "working_hours_left",
                    "headerName": w["hours_left"],
                    "type": "numericColumn",
                },
                {"field": "category", "headerName": w["category"]},
                {"field": "channel", "headerName": w["channel"]},
                {"field": "topic", "headerName": w["topic"]},
                {
                    "field": "created_at",
                    "headerName": w["created_at"],
                    "valueFormatter": {"function": "params.data.created_at_shown"},
                },
            ],
            defaultColDef={"sortable": True, "resizable": True, "flex": 1},
            dashGridOptions={
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
            ageing_panel(ctx, data["ages"], at),
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
            html.Div(
                [
                    html.Div(w["ticket_list"], className="panel-title"),
                    html.Div(
                        ngettext(
                            ctx.lang,
                            "{n} ticket, open ones first, then the newest (up to 1,000).",
                            "{n} tickets, open ones first, then the newest (up to 1,000).",
                            len(data["list"]),
                        ),
                        className="muted",
                    ),
                    ticket_table(ctx, data["list"]),
                ],
                className="panel",
            ),
        ]
    )


def layout(**query):
    return page(PATH, query, build, filters=("category", "topic", "channel", "site"))


register_page(__name__, PATH, "tickets", order=30, roles=("manager",), layout=layout)
