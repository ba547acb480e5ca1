"""How good is the model here? Calibrate on the two weeks before the chosen week and
simulate the week with its own arrivals (``cca backtest``), as a background job; the
table sets predicted against actual per day and for the whole week."""

from __future__ import annotations

import datetime as dt

import dash_mantine_components as dmc
from dash import Input, Output, State, html, no_update

from analytics.kpi.catalogue import is_share
from analytics.periods import parse_period
from analytics.translation import N_, gettext, ngettext, percent, speaks_source
from dashboards.auth import require_page
from dashboards.callbacks import Callbacks
from dashboards.context import app_context
from dashboards.grid import ag_grid
from dashboards.planner import PATH
from dashboards.planner.week import planner_source
from dashboards.planner.words import (
    WRAPPED_HEADERS,
    NumberField,
    column_label,
    kind_word,
    lang_of,
    ltr_input,
    pin_side,
    t,
)
from simulation.operations.jobs import JobLimitError

callbacks = Callbacks()
# replications a test day (a backtest simulates every day of its period)
REPLICATIONS = NumberField("planner-bt-replications", N_("replications"), 5, 1, 50, 120)

MAX_BACKTEST_DAYS = (92, 31)  # calibrate on, predict: what one planner may ask of the server

# where a backtest's agents came from, in short (by the backtest's staffing mode): the
# backtest's own account is English only (translation.speaks_source)
BACKTEST_AGENTS = {
    "table": N_("the staffing table of the test days"),
    "presence": N_(
        "the agents present on each test day × a share learnt from the calibration days"
    ),
    "day": N_("the calibration's agents for each weekday, by the day's load"),
    "weekday": N_("the calibration's agents for each weekday"),
}


def backtest_note(result: dict, lang: str) -> str:
    """One line over the backtest table: what was calibrated and predicted, and the
    whole period's answer rate predicted (95% CI) against actual."""
    total = result["rows"][-1]
    predicted, low, high, actual = (
        total[f"answer_rate_{k}"] for k in ("predicted", "ci_low", "ci_high", "actual")
    )
    mode = result.get("staffing", "")
    if speaks_source(lang) or mode not in BACKTEST_AGENTS:
        agents = result["staffing_source"]
    else:
        agents = gettext(lang, BACKTEST_AGENTS[mode])
    return ngettext(
        lang,
        "calibrated on {train}, predicted {test} ({n} replication; agents: {agents}). Whole "
        "period: answer rate {predicted} predicted [{low}, {high}] against {actual} actual.",
        "calibrated on {train}, predicted {test} ({n} replications; agents: {agents}). Whole "
        "period: answer rate {predicted} predicted [{low}, {high}] against {actual} actual.",
        result["replications"],
        train=result["train"],
        test=result["test"],
        agents=agents,
        predicted=percent(predicted, lang),
        low=percent(low, lang),
        high=percent(high, lang),
        actual=percent(actual, lang),
    )


def backtest_panel(source: str, lang: str = "en") -> html.Div:
    """How good is the model here? Calibrate on the two weeks before the chosen week and
    simulate the week with its own arrivals (``cca backtest``), as a background job."""
    start = dt.date.fromisoformat(source.split(":", 1)[1])
    train = f"{start - dt.timedelta(days=14)}..{start - dt.timedelta(days=1)}"
    test = f"{start}..{start + dt.timedelta(days=6)}"
    return html.Div(
        [
            html.Div(
                t("How well does the model predict this week?", lang),
                className="panel-title",
                title="cca backtest",
            ),
            html.Div(
                [
                    ltr_input("planner-bt-train", t("calibrate on", lang), train, 230),
                    ltr_input("planner-bt-test", t("predict", lang), test, 230),
                    REPLICATIONS.input(lang),
                    dmc.Button(t("Backtest", lang), id="planner-backtest", variant="light"),
                ],
                className="filter-bar",
            ),
            html.Div(id="planner-backtest-out"),
        ],
        className="panel",
    )


BACKTEST_KPIS = ("answer_rate", "abandon_rate", "asa_s", "sl_offered_12", "sl_offered_30")


def backtest_table(result: dict, lang: str = "en") -> html.Div:
    """Predicted against actual per test day and for the whole period, with the 95%
    interval and the error (points for rates, % for ASA)."""
    columns = [
        {
            "field": "day",
            "headerName": column_label("day", lang),
            "pinned": pin_side(lang),
            "width": 120,
            "flex": 0,
            "valueGetter": {
                "function": "!params.data.day || params.data.day === 'all' ? "
                f"'{t('all', lang)}' : params.data.day"
            },
        }
    ]
    for k in BACKTEST_KPIS:
        share = is_share(k)
        fmt = (
            "params.value == null ? '—' : (params.value * 100).toFixed(1) + '%'"
            if share
            else "params.value == null ? '—' : params.value.toFixed(1)"
        )
        columns.append(
            {
                "headerName": column_label(k, lang),
                "headerTooltip": k,
                "children": [
                    {
                        "field": f"{k}_actual",
                        "headerName": t("actual", lang),
                        "valueFormatter": {"function": fmt},
                    },
                    {
                        "field": f"{k}_predicted",
                        "headerName": t("predicted", lang),
                        "valueFormatter": {"function": fmt},
                    },
                    {
                        "field": f"{k}_error",
                        "headerName": t("error (pp)" if share else "error %", lang),
                        "valueFormatter": {
                            "function": "params.value == null ? '—' : params.value.toFixed(1)"
                        },
                    },
                ],
            }
        )
    note = backtest_note(result, lang)
    return html.Div(
        [
            html.Div(note, className="muted", id="planner-backtest-note"),
            ag_grid(
                lang,
                id="planner-backtest-grid",
                rowData=result["rows"],
                columnDefs=columns,
                defaultColDef={"resizable": True, "minWidth": 96, "flex": 1, **WRAPPED_HEADERS},
                dashGridOptions={
                    "domLayout": "autoHeight",
                    "suppressColumnVirtualisation": True,
                },
            ),
        ]
    )


@callbacks(
    Output("planner-job", "data", allow_duplicate=True),
    Output("planner-poll", "disabled", allow_duplicate=True),
    Output("planner-job-message", "children", allow_duplicate=True),
    Input("planner-backtest", "n_clicks"),
    State("planner-bt-train", "value"),
    State("planner-bt-test", "value"),
    State(REPLICATIONS.input_id, "value"),
    State("planner-source", "data"),
    State("url", "search"),
    prevent_initial_call=True,
)
def start_backtest(_n, train, test, replications, source, search=None):
    """Hand the backtest to the job runner (its table comes back through ``poll_job``)."""
    user = require_page(PATH)
    app = app_context()
    centre_id, _ = planner_source(source)
    params = {
        "db": str(app.store.path),
        "centre": centre_id,
        "train": train,
        "test": test,
        "replications": REPLICATIONS.given(replications),
        "seed": 0,
    }
    try:
        for name, text, most in zip(
            ("calibrate on", "predict"), (train, test), MAX_BACKTEST_DAYS, strict=True
        ):
            if len(str(text or "")) > 64 or parse_period(str(text or "")).days > most:
                raise ValueError(f"{name}: at most {most} days")
        job_id = app.jobs.submit(user.username, "backtest", params)
    except (JobLimitError, ValueError) as exc:
        return no_update, True, str(exc)
    lang = lang_of(search)
    return job_id, False, f"{kind_word('backtest', lang)}: {t('queued', lang)}"
