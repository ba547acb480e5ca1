"""``/`` Overview: today and the chosen period against targets, per centre and caller category.

The manager's first look of the morning: offered and answered calls, service level within
the centre's two thresholds, both answer rates side by side (two
true figures from one log, each named), abandonment, ASA, the 90th-percentile wait and tickets within
SLA, each red/amber/green against its target with a 30-day sparkline; then the same for
each caller category.
"""

from __future__ import annotations

import dash_mantine_components as dmc
from dash import html

from analytics.kpi import threshold_label
from analytics.periods import is_month_to_date
from analytics.translation import is_rtl, ngettext, start_side
from dashboards import queries, targets
from dashboards.frame import PageContext, page, register_page
from dashboards.tiles import kpi_tile

PATH = "/"


def headline_kpis(ctx: PageContext) -> list[str]:
    sl = [f"sl_offered_{threshold_label(t)}" for t in ctx.centre.sl_thresholds_s[:2]]
    return [
        "offered",
        "answered",
        *sl,
        "answer_rate",
        "answer_rate_excl_short",
        "abandon_rate",
        "asa_s",
        "p90_wait_s",
        "aht_s",
    ]


def _spark(rows: list[dict], name: str, **match) -> tuple[list, list]:
    picked = [r for r in rows if all(r.get(k) == v for k, v in match.items())]
    return [r["interval_start"].date() for r in picked], [r.get(name) for r in picked]


def tiles_grid(ctx: PageContext, row: dict, names, trend, *, id_prefix: str, compare=(), **match):
    tiles = [
        kpi_tile(
            name,
            row,
            ctx.labels,
            targets=ctx.targets,
            definition=ctx.definition(name),
            spark=_spark(trend, name, **match) if trend is not None else None,
            id_prefix=id_prefix,
            compare=compare,
        )
        for name in names
    ]
    return html.Div(tiles, className="tile-grid")


# long: the page's layout top to bottom (the period's tiles and the two answer rates'
# note, today or the latest day, caller categories), a few lines each around shared tiles
def build(ctx: PageContext):
    w = ctx.w
    data = queries.overview(ctx.con, ctx.centre, ctx.period, ctx.view.filters, ctx.today)
    names = headline_kpis(ctx)
    period_row = data["period"]
    period_title = ctx.labels.period_name(ctx.period)

    compare = [
        (w["vs"].format(period=ctx.labels.period_name(p)), row)
        for p, row in data["compare"]
        if p is not None
    ]
    period_tiles = tiles_grid(
        ctx, period_row, names, data["trend"], id_prefix="overview-period-", compare=compare
    )
    if data["occupancy"] is not None:
        period_tiles.children.append(
            kpi_tile(
                "occupancy",
                data["occupancy"],
                ctx.labels,
                definition=ctx.definition("occupancy"),
                id_prefix="overview-period-",
            )
        )
    if data["tickets"] is not None:  # a centre with tickets: their SLA beside the calls
        period_tiles.children.append(
            kpi_tile(
                "sla_met_rate",
                data["tickets"],
                ctx.labels,
                targets=ctx.targets,
                definition=ctx.definition("sla_met_rate"),
                spark=(
                    [r["interval_start"].date() for r in data["ticket_trend"]],
                    [r.get("sla_met_rate") for r in data["ticket_trend"]],
                ),
                id_prefix="overview-period-",
            )
        )

    s = f"{ctx.centre.short_abandon_s:g}"
    both = html.Div(
        [
            html.Div(
                [
                    html.Div(w["two_answer_rates"], className="callout-title"),
                    html.Div(w["two_answer_rates_note"].format(s=s), className="callout-note"),
                ]
            ),
            html.Div(
                [
                    _pair(ctx, period_row, "answer_rate"),
                    html.Div("·", className="pair-sep"),
                    _pair(ctx, period_row, "answer_rate_excl_short"),
                ],
                className="pair",
            ),
        ],
        className="callout",
        id="overview-answer-rates",
    )

    sections = [
        html.Div(
            [
                html.H2(f"{period_title} · {ctx.centre_name}", className="section-title"),
                html.Div(ctx.labels.period_span(ctx.period), className="section-sub"),
                # the 1st to today: the changes are against the same days, not whole months
                html.Div(w["month_to_date"], className="section-sub", id="overview-compared")
                if is_month_to_date(ctx.period)
                else None,
            ]
        ),
        both,
        html.Div(period_tiles, id="overview-period"),
        month_chart(ctx, data["months"]),
    ]

    day = data["day"]
    if day is not None:
        title = w["today"] if data["day_is_today"] else w["latest_day"]
        sub = ctx.labels.date(day) + " · " + ctx.labels.hijri_date(day)
        if not data["day_is_today"]:
            sub = f"{w['no_calls_today']} · " + sub
        day_names = names[:4] + ["answer_rate", "abandon_rate", "asa_s"]
        sections += [
            html.H2(title, className="section-title"),
            html.Div(sub, className="section-sub"),
            html.Div(
                tiles_grid(ctx, data["day_row"], day_names, None, id_prefix="overview-day-"),
                id="overview-day",
            ),
        ]

    sections.append(html.H2(w["by_category"], className="section-title"))
    cat_names = [names[2], "answer_rate", "answer_rate_excl_short", "abandon_rate", "asa_s"]
    cards = []
    for row in data["by_category"]:
        code = row["category"]
        cards.append(
            html.Div(
                [
                    html.Div(
                        [
                            html.Span(ctx.labels.category(code), className="cat-name"),
                            html.Span(
                                ngettext(ctx.lang, "{n} call", "{n} calls", row["offered"]),
                                className="cat-count",
                            ),
                        ],
                        className="cat-head",
                    ),
                    tiles_grid(
                        ctx,
                        row,
                        cat_names,
                        data["trend_by_category"],
                        id_prefix="",
                        category=code,
                    ),
                ],
                className="cat-card",
                **{"data-category": code or ""},
            )
        )
    sections.append(html.Div(cards, id="overview-categories"))
    return html.Div(sections)


def month_chart(ctx: PageContext, months: list[dict]):
    """Month by month: the service level, answer rate and abandon rate (in %) with their
    targets as labelled lines (the Overview's trend over months). A Mantine chart (the
    tiles' sparklines are images): the Overview loads no plotly.js (seconds on a first
    load)."""
    w, labels = ctx.w, ctx.labels
    sl = headline_kpis(ctx)[2]
    names = [sl, "answer_rate_excl_short", "abandon_rate"]
    if len(months) < 2:  # one point is no trend: say so instead of a near-empty chart
        return html.Div(w["one_month_only"], className="panel muted", id="overview-months")
    if is_rtl(ctx.lang):  # time runs right to left
        months = months[::-1]
    data = [
        {
            "month": f"{r['interval_start']:%m/%Y}",
            **{n: round(r[n] * 100, 1) if r.get(n) is not None else None for n in names},
        }
        for r in months
    ]
    colours = ["blue.6", "orange.6", "green.7"]
    series = [
        {"name": n, "label": labels.kpi(n), "color": c} for n, c in zip(names, colours, strict=True)
    ]
    lines = []
    for n, c in zip(names, colours, strict=True):
        tgt = ctx.targets.get(n)
        if tgt is not None:
            lines.append(
                {
                    "y": round(tgt.value * 100, 1),
                    "label": targets.target_text(n, tgt, ctx.lang, w["target"]),
                    "color": c,
                    "strokeDasharray": "5 5",
                }
            )
    return html.Div(
        [
            html.Div(w["by_month"], className="panel-title"),
            dmc.LineChart(
                h=280,
                data=data,
                dataKey="month",
                series=series,
                referenceLines=lines,
                unit="%",
                withLegend=True,
                legendProps={"verticalAlign": "bottom"},
                curveType="linear",
                connectNulls=False,
                yAxisProps={
                    "domain": [0, 100],
                    "orientation": start_side(ctx.lang),
                },
            ),
        ],
        className="panel",
        id="overview-months",
        **{"data-months": str(len(months))},
    )


def _pair(ctx: PageContext, row: dict, name: str):
    from analytics.kpi.catalogue import format_value

    return html.Div(
        [
            html.Div(ctx.labels.kpi(name), className="pair-label"),
            html.Div(format_value(name, row.get(name), ctx.lang), className="pair-value"),
        ],
        className="pair-item",
        title=name,  # the KPI's name in the tooltip, words on screen
    )


def layout(**query):
    return page(PATH, query, build)


register_page(
    __name__, PATH, "overview", order=0, roles=("manager", "planner", "executive"), layout=layout
)
