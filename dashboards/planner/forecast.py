"""The week's calls against a forecast: train on the eight weeks before the week,
forecast its seven days by half hour (``simulation.forecasting.forecast``), and draw the
actual calls (KPI layer) against the forecast and its 80% band."""

from __future__ import annotations

import datetime as dt

import dash_mantine_components as dmc
import plotly.graph_objects as go
from dash import Input, Output, State, dcc, html, no_update

from analytics.centres import get_centre
from analytics.kpi import call_kpis
from analytics.periods import Period
from analytics.translation import date, is_rtl, ngettext, weekday_name
from dashboards import charts
from dashboards.auth import require_page
from dashboards.callbacks import Callbacks
from dashboards.context import app_context
from dashboards.frame import PageContext
from dashboards.planner import PATH
from dashboards.planner.week import planner_source
from dashboards.planner.words import lang_of, t
from simulation.forecasting.forecast import forecast

callbacks = Callbacks()

# forecast methods in words (``cca forecast --method`` names them by the key)
METHODS = {
    "profile": "weekly profile",
    "auto": "best of the methods (auto)",
    "ets": "exponential smoothing (ETS)",
    "mstl": "seasonal decomposition (MSTL)",
    "glm": "regression on the calendar (GLM)",
}


def forecast_panel(ctx: PageContext, week) -> html.Div:
    """The method, a caller category (or all) and "Forecast this week"."""
    lang, w = ctx.lang, ctx.w
    categories = [{"value": c, "label": ctx.labels.category(c)} for c in week.categories]
    return html.Div(
        [
            html.Div(t("Forecast: actual against forecast", lang), className="panel-title"),
            html.Div(
                [
                    dmc.Select(
                        id="planner-forecast-method",
                        label=t("method", lang),
                        data=[{"value": k, "label": t(v, lang)} for k, v in METHODS.items()],
                        value="profile",
                        allowDeselect=False,
                        w=260,
                    ),
                    dmc.Select(
                        id="planner-forecast-category",
                        label=w["category"],
                        data=[{"value": "", "label": w["all"]}] + categories,
                        value="",
                        w=200,
                    ),
                    dmc.Button(
                        t("Forecast this week", lang), id="planner-forecast", variant="light"
                    ),
                ],
                className="filter-bar",
            ),
            html.Div(id="planner-forecast-out"),
        ],
        className="panel",
    )


def forecast_figure(frame, actual: dict, method: str, lang: str) -> go.Figure:
    """The forecast's 80% band and line, and the actual calls as dots."""
    xs = [
        f"{weekday_name(s.isoweekday(), lang, 'abbreviated')} {date(s, lang, 'day_month')} "
        f"{s:%H:%M}"
        for s in frame["interval_start"]
    ]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=xs, y=list(frame["offered_high"]), mode="lines", line={"width": 0}, showlegend=False
        )
    )
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=list(frame["offered_low"]),
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor="rgba(28,126,214,0.18)",
            name=t("80% interval", lang),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=list(frame["offered"]),
            mode="lines",
            name=f"{t('forecast', lang)} ({method})",
            line={"color": "#1c7ed6"},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=[actual.get(s.to_pydatetime(), 0) for s in frame["interval_start"]],
            mode="markers",
            name=t("actual", lang),
            marker={"color": "#e8590c", "size": 5},
        )
    )
    fig.update_xaxes(type="category", nticks=14)
    charts.base(fig, height=320)
    if is_rtl(lang):
        fig.update_xaxes(autorange="reversed")
    return fig


@callbacks(
    Output("planner-forecast-out", "children"),
    Input("planner-forecast", "n_clicks"),
    State("planner-forecast-method", "value"),
    State("planner-forecast-category", "value"),
    State("planner-source", "data"),
    State("url", "search"),
    prevent_initial_call=True,
)
def forecast_week(_n, method, category, source, search):
    """Train on the eight weeks before the week, forecast its seven days by half hour,
    and draw the actual calls (KPI layer) against the forecast and its 80% band."""
    require_page(PATH)
    lang = lang_of(search)
    centre_id, source_text = planner_source(source)
    kind, _, value = source_text.partition(":")
    if kind != "week":
        return no_update
    start = dt.date.fromisoformat(value)
    train = Period(start - dt.timedelta(days=56), start - dt.timedelta(days=1), "train")
    week = Period(start, start + dt.timedelta(days=6), "week")
    with app_context().store.reader() as con:
        centre = get_centre(con, centre_id)
        try:
            result = forecast(
                con,
                centre,
                train=train,
                horizon_days=7,
                interval="30min",
                method=method or "profile",
                by=("category",) if category else (),
            )
        except ValueError as exc:
            return dmc.Alert(str(exc), color="red")
        filters = {"category": [category]} if category else None
        actual = call_kpis(con, centre, period=week, interval="30min", filters=filters)
    frame = result.frame
    if category:
        frame = frame[frame["category"] == category]
    frame = frame[frame["offered"] > 0.05]
    by_start = {r["interval_start"]: r["offered"] for r in actual}
    fig = forecast_figure(frame, by_start, result.method, lang)
    total_f = float(frame["offered"].sum())
    total_a = float(sum(by_start.get(s.to_pydatetime(), 0) for s in frame["interval_start"]))
    errors = sum(
        abs(by_start.get(s.to_pydatetime(), 0) - f)
        for s, f in zip(frame["interval_start"], frame["offered"], strict=True)
    )
    wape = errors / total_a if total_a else None
    note = (
        f"{t('trained on', lang)} {result.train.label} · {t('forecast', lang)} "
        + ngettext(lang, "{n} call", "{n} calls", round(total_f))
        + f" · {t('actual', lang)} {total_a:,.0f}"
        + (t(" · off by {wape} of the calls", lang).format(wape=f"{wape:.1%}") if wape else "")
    )
    return html.Div(
        [
            dcc.Graph(figure=fig, config={"displayModeBar": False}, id="planner-forecast-chart"),
            html.Div(
                note,
                className="muted",
                id="planner-forecast-note",
                title="WAPE: Σ |actual − forecast| / Σ actual, by half hour",
            ),
        ]
    )
