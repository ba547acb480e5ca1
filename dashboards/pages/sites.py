"""``/sites``: sites and branches, channels, side by side, with the load per counter or agent.

Seed 000: customers crowd the main office in Riyadh while six branches stand almost
empty. Calls by the caller's site and walk-in visits by branch, next to each other,
with each branch's visits per counter (counters from the centre's settings in the store,
when it has branches) and the median wait for a counter (``frt_wh_p50``: a visitor's first response
is the moment a counter calls them); and every channel — phone, web, SMS, walk-in — by
volume. Agents' load on the phones is the occupancy of the staffing table.
"""

from __future__ import annotations

import dash_mantine_components as dmc
from dash import dcc, html

from analytics.kpi import threshold_label
from analytics.translation import ngettext, start_side
from dashboards import charts, queries, units
from dashboards.frame import PageContext, page, register_page
from dashboards.grid import kpi_grid
from dashboards.targets import overloaded
from dashboards.tiles import kpi_tile

PATH = "/sites"


def _graph(fig, graph_id=None):
    extra = {"id": graph_id} if graph_id else {}
    return dcc.Graph(figure=fig, config={"displayModeBar": False, "responsive": True}, **extra)


def _site_column(ctx: PageContext) -> dict:
    """The site's name, pinned on the reader's start side (right in Arabic)."""
    return {
        "field": "site_label",
        "headerName": ctx.w["site"],
        "minWidth": 150,
        "pinned": start_side(ctx.lang),
    }


def _calls_panel(ctx: PageContext, data, sl: str):
    w, labels = ctx.w, ctx.labels
    calls = [r for r in data["calls_by_site"] if r["offered"]]
    site_names = [labels.dimension("site", r["site"]) for r in calls]
    call_rows = [{**r, "site_label": n} for r, n in zip(calls, site_names, strict=True)]
    table = kpi_grid(
        "sites-calls",
        call_rows,
        [_site_column(ctx)],
        ["offered", "answer_rate", sl, "abandon_rate", "asa_s", "aht_s", "p90_wait_s"],
        labels,
    )
    if len(calls) <= 1:  # one site: a sentence and the table, not one huge bar
        only = site_names[0] if site_names else "—"
        return html.Div(
            [
                html.Div(w["sites_side_by_side"], className="panel-title"),
                html.Div(w["one_site"].format(site=only), className="muted", id="sites-one"),
                table,
            ],
            className="panel",
        )
    fig = charts.grouped_bars(
        site_names,
        {w["calls"]: [r["offered"] for r in calls]},
        ctx.lang,
        title=w["calls"],
        unit=units.calls(ctx.lang),
        horizontal=True,
        height=120 + 28 * len(calls),
    )
    return html.Div(
        [
            html.Div(w["sites_side_by_side"], className="panel-title"),
            html.Div([_graph(fig, "sites-calls-chart"), table], className="grid-2"),
        ],
        className="panel",
    )


def _visits_panel(ctx: PageContext, visits: list[dict], counters: dict[str, int]):
    w, labels = ctx.w, ctx.labels
    names = [labels.dimension("site", r["site"]) for r in visits]
    per_counter = {
        r["site"]: (r["created"] / counters[r["site"]]) if counters.get(r["site"]) else None
        for r in visits
    }
    flagged = overloaded(per_counter)
    children = [html.Div(labels.dimension("channel", "walk_in"), className="panel-title")]
    for site, times in flagged.items():
        children.append(
            dmc.Alert(
                ngettext(
                    ctx.lang,
                    "{site} is overloaded: {n} visit a counter, {times} times the other "
                    "branches' median.",
                    "{site} is overloaded: {n} visits a counter, {times} times the other "
                    "branches' median.",
                    round(per_counter[site]),
                    site=labels.dimension("site", site),
                    times=f"{times:,.0f}",
                ),
                color="red",
                variant="light",
                className="sites-overloaded",
                **{"data-site": site},
            )
        )
    graphs = []
    if any(v is not None for v in per_counter.values()) and len(visits) > 1:
        colours = [charts.BAD if r["site"] in flagged else charts.PALETTE[0] for r in visits]
        graphs.append(
            _graph(
                charts.grouped_bars(
                    names,
                    {f"{w['visits']} {w['per_counter']}": list(per_counter.values())},
                    ctx.lang,
                    title=f"{w['visits']} {w['per_counter']}",
                    unit=units.visits(ctx.lang),
                    horizontal=True,
                    colours=colours,
                    height=120 + 28 * len(visits),
                ),
                "sites-per-counter",
            )
        )
    if len(visits) > 1:
        graphs.append(
            _graph(
                charts.grouped_bars(
                    names,
                    {labels.kpi("frt_wh_p50"): [r["frt_wh_p50"] for r in visits]},
                    ctx.lang,
                    title=labels.kpi("frt_wh_p50"),
                    decimals=1,
                    unit=units.of_kpi("frt_wh_p50", ctx.lang),
                    horizontal=True,
                    height=120 + 28 * len(visits),
                    empty=w["no_data"],
                )
            )
        )
    if graphs:
        children.append(html.Div(graphs, className="grid-2"))
    table = [
        {
            "site_label": n,
            "counters": counters.get(r["site"]),
            "created": r["created"],
            "per_counter": per_counter[r["site"]],
            "frt_wh_p50": r["frt_wh_p50"],
            "frt_wh_p90": r["frt_wh_p90"],
        }
        for n, r in zip(names, visits, strict=True)
    ]
    whole = "params.value == null ? '—' : Math.round(params.value).toLocaleString('en')"
    key = [_site_column(ctx)]
    if counters:
        key += [
            {"field": "counters", "headerName": w["counters"], "type": "numericColumn"},
            {
                "field": "per_counter",
                "headerName": f"{w['visits']} {w['per_counter']}",
                "type": "numericColumn",
                "valueFormatter": {"function": whole},
                "cellClassRules": {"cell-bad": f"{list(flagged)!r}.includes(params.data.site)"},
            },
        ]
    for row, r in zip(table, visits, strict=True):
        row["site"] = r["site"]
    children.append(
        kpi_grid("sites-visits", table, key, ["created", "frt_wh_p50", "frt_wh_p90"], labels)
    )
    return html.Div(children, className="panel", id="sites-visits-panel")


def build(ctx: PageContext):
    w, labels = ctx.w, ctx.labels
    data = queries.sites(ctx.con, ctx.centre, ctx.period, ctx.view.filters)
    sl = f"sl_offered_{threshold_label(ctx.centre.sl_thresholds_s[0])}"
    parts = [_calls_panel(ctx, data, sl)]
    counters = ctx.centre.counters
    visits = [r for r in data["tickets_by_site"] if r["channel"] == "walk_in" and r["created"]]
    if visits:
        parts.append(_visits_panel(ctx, visits, counters))
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
        unit=units.contacts(ctx.lang),
        horizontal=True,
        height=120 + 28 * max(len(channels), 1),
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
                html.Div(_graph(ch_fig), className="panel"),
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


register_page(__name__, PATH, "sites", order=40, roles=("manager",), layout=layout)
