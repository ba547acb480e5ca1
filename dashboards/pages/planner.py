"""``/planner``: what-if staffing — exact Erlang A at once, simulation with confidence
intervals behind it, plans compared side by side, the week's forecast, a roster and a
backtest of the model.

The features live in ``dashboards.planner`` (one module each, with their callbacks); this
page only lays them out in order and registers their callbacks on the app.
"""

from __future__ import annotations

import dash_mantine_components as dmc
from dash import dcc, html

from dashboards.frame import PageContext, page, register_page
from dashboards.planner import PATH, backtest, compare, forecast, jobs, roster, shrinkage, whatif
from dashboards.planner.backtest import backtest_panel
from dashboards.planner.compare import compare_panel
from dashboards.planner.forecast import forecast_panel
from dashboards.planner.jobs import active_job, jobs_bar
from dashboards.planner.levers import levers_bar, targets_bar
from dashboards.planner.roster import roster_panel
from dashboards.planner.shrinkage import shrinkage_bar
from dashboards.planner.week import load_week, source_of, store_weeks, week_panel
from dashboards.planner.whatif import plan_edit_bar, plan_grid
from dashboards.planner.words import t

FEATURES = (whatif, compare, jobs, backtest, forecast, roster, shrinkage)


def planner_content(ctx: PageContext, query: dict):
    """The page under the frame: the week, the levers, Erlang A's tiles and chart, the
    jobs, the plan's grid, then backtest, forecast, roster and the comparison."""
    lang = ctx.lang
    weeks = store_weeks(ctx.con, ctx.centre)
    source = source_of(query, weeks)
    if source is None:
        return dmc.Alert(ctx.w["no_data"], color="blue")
    try:
        week = load_week(ctx.centre.centre_id, source)
    except (ValueError, FileNotFoundError) as exc:
        return dmc.Alert(str(exc), color="red")
    history = source.startswith("week:")
    job = active_job(ctx.user.username)
    return html.Div(
        [
            dcc.Store(id="planner-source", data={"centre": ctx.centre.centre_id, "source": source}),
            dcc.Store(id="planner-plan", data=list(week.agents)),
            dcc.Store(id="planner-saved", data={}),
            dcc.Store(id="planner-job", data=job),
            dcc.Store(id="planner-sim", data=None),
            dcc.Store(id="planner-job-result", data=None),
            dcc.Store(id="planner-roster-hours", data=None),
            dcc.Interval(id="planner-poll", interval=700, disabled=job is None),
            week_panel(ctx, source, week, weeks),
            html.Div(
                [
                    html.Div(t("Levers", lang), className="panel-title"),
                    levers_bar(ctx, week),
                    shrinkage_bar(lang),
                    targets_bar(ctx),
                    plan_edit_bar(ctx, week),
                ],
                className="panel",
            ),
            html.Div(id="planner-totals"),
            html.Div(
                dcc.Graph(id="planner-chart", config={"displayModeBar": False}),
                className="panel",
            ),
            html.Div([jobs_bar(lang), html.Div(id="planner-unmet")], className="panel"),
            html.Div(id="planner-models", className="panel"),
            html.Div([plan_grid(ctx)], className="panel"),
            backtest_panel(source, lang) if history else html.Div(id="planner-backtest-out"),
            forecast_panel(ctx, week) if history else None,
            roster_panel(lang),
            compare_panel(lang),
        ]
    )


def layout(**query):
    return page(PATH, query, lambda ctx: planner_content(ctx, query), filters=())


def register_callbacks(app) -> None:
    for feature in FEATURES:
        feature.callbacks.register(app)


register_page(__name__, PATH, "planner", order=50, roles=("manager", "planner"), layout=layout)
