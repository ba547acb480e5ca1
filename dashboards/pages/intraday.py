"""``/intraday``: weekday × interval heat maps, one day against target, agents against need.

The heat maps fold the period onto a week (the KPI layer's ``weekly-30min`` profile, read
from the quarter-hour rollup), so a planner sees which half hours
of which weekdays are busy, miss the service level or lose callers. Below, one day
(``?day=YYYY-MM-DD``, default the period's latest day with calls): each interval's
service level against the target, and the agents the staffing table had against the
agents Erlang A needs for that interval's calls and handling time at the target.
"""

from __future__ import annotations

import datetime as dt

import dash
import dash_mantine_components as dmc
from dash import dcc, html

from analytics.kpi import threshold_label
from dashboards import charts, queries
from dashboards.frame import PageContext, page

PATH = "/intraday"
WEEK_ORDER = (7, 1, 2, 3, 4, 5, 6)  # Sunday first, as the Gulf's working week


def heat(rows, name, ctx: PageContext, title, *, percent, reverse=False):
    keyed = [(r["interval_start"].isoweekday(), f"{r['interval_start']:%H:%M}", r) for r in rows]
    slots = sorted({slot for _, slot, _ in keyed})
    days = [d for d in WEEK_ORDER if any(day == d for day, _, _ in keyed)]
    cell = {(day, slot): r.get(name) for day, slot, r in keyed}
    z = [[cell.get((d, s)) for s in slots] for d in days]
    fig = charts.heatmap(
        z,
        slots,
        [ctx.labels.weekday(d) for d in days],
        ctx.lang,
        title=title,
        percent=percent,
        reverse_scale=reverse,
        height=90 + 34 * max(len(days), 1),
    )
    return html.Div(dcc.Graph(figure=fig, config={"displayModeBar": False}), className="panel")


def chosen_day(ctx: PageContext, text: str | None) -> dt.date | None:
    if text:
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            day = None
        if day is not None and ctx.period.start <= day <= ctx.period.end:
            return day
    return queries.latest_day_with_calls(ctx.con, ctx.centre, ctx.period.end)


def build_for(day_text: str | None):
    def build(ctx: PageContext):
        w, labels = ctx.w, ctx.labels
        first_t = threshold_label(ctx.centre.sl_thresholds_s[0])
        sl = f"sl_offered_{first_t}"
        profile = queries.weekly_profile(ctx.con, ctx.centre, ctx.period, ctx.view.filters)
        if not profile:
            return dmc.Alert(w["no_data"], color="blue")
        parts = [
            heat(
                profile,
                "offered",
                ctx,
                w["heat_offered"].replace("(mean per day)", ""),
                percent=False,
            ),
            html.Div(
                [
                    heat(profile, sl, ctx, ctx.labels.kpi(sl), percent=True),
                    heat(
                        profile,
                        "abandon_rate",
                        ctx,
                        ctx.labels.kpi("abandon_rate"),
                        percent=True,
                        reverse=True,
                    ),
                ],
                className="grid-2",
            ),
        ]
        day = chosen_day(ctx, day_text)
        if day is None:
            return html.Div(parts)
        rows = queries.day_intervals(ctx.con, ctx.centre, day, ctx.view.filters)
        target = ctx.targets.get(sl)
        colours = [charts.STATUS_COLOURS[target.status(r[sl]) if target else None] for r in rows]
        starts = [r["interval_start"] for r in rows]
        days = [
            {"value": d.isoformat(), "label": labels.date(d)}
            for d in (ctx.period.start + dt.timedelta(days=i) for i in range(ctx.period.days))
        ]
        picker = dmc.Select(
            id={"type": "view-filter", "name": "day"},
            label=w["day"],
            data=days[::-1],
            value=day.isoformat(),
            searchable=True,
            allowDeselect=False,
            w=260,
        )
        sl_fig = charts.bars_with_target(
            [s.strftime("%H:%M") for s in starts],
            [r[sl] for r in rows],
            colours,
            ctx.lang,
            title=f"{labels.short(sl)} — {labels.date(day)}",
            target=target.value if target else None,
        )
        period_row = queries.call_kpis(ctx.con, ctx.centre, period=ctx.period)[0]
        patience = queries.patience_estimate_s(period_row)
        interval_s = 1800
        need = queries.required_agents(
            rows,
            interval_s,
            f"{sl}>={target.value if target else 0.8}",
            patience,
            ctx.centre.short_abandon_s,
        )
        staffed = dict(queries.staffing_of_day(ctx.con, ctx.centre, day))
        times = [s.strftime("%H:%M") for s in starts]
        agents = charts.figure(
            [
                {
                    "type": "bar",
                    "x": times,
                    "y": [staffed.get(s) for s in starts],
                    "name": w["actual_agents"],
                    "marker": {"color": "#91a7ff"},
                },
                {
                    "type": "scatter",
                    "x": times,
                    "y": need,
                    "name": w["required_agents"],
                    "mode": "lines+markers",
                    "line": {"color": charts.BAD, "width": 2, "shape": "hv"},
                },
            ]
        )
        agents = charts.mirrored(charts.base(agents, title=w["agents_vs_required"]), ctx.lang)
        parts += [
            html.Div(picker, className="panel"),
            html.Div(
                [
                    html.Div(
                        dcc.Graph(figure=sl_fig, config={"displayModeBar": False}),
                        className="panel",
                    ),
                    html.Div(
                        [
                            dcc.Graph(
                                figure=agents,
                                config={"displayModeBar": False},
                                id="intraday-agents",
                            ),
                            html.Div(w["no_staffing"], className="muted") if not staffed else None,
                        ],
                        className="panel",
                    ),
                ],
                className="grid-2",
            ),
        ]
        return html.Div(parts)

    return build


def layout(**query):
    return page(PATH, query, build_for(query.get("day")))


dash.register_page(
    __name__,
    path=PATH,
    name="Intraday",
    title="Intraday",
    layout=layout,
    order=20,
    menu="intraday",  # the menu's label: words(lang)["intraday"]
    roles=("manager", "planner"),  # who opens it besides admins (dashboards.auth.may_open)
)
