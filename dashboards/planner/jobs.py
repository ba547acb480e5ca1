""" "Simulate" and "Find staffing" in the background (``simulation.operations.jobs.JobRunner``):
one job per user, progress and cancel, found again after a reload. A simulation's bands
go to the chart (``planner-sim``); a found plan becomes the current one
(``planner-job-result``); a backtest's table goes to its panel. A job is polled or
cancelled only by its owner, and runs on the centre resolved on the server."""

from __future__ import annotations

import dash
import dash_mantine_components as dmc
from dash import Input, Output, State, html, no_update

from analytics.exports.i18n import Labels
from analytics.translation import N_, gettext, ngettext, speaks_source
from dashboards.auth import Forbidden, require_page
from dashboards.callbacks import Callbacks
from dashboards.context import app_context
from dashboards.planner import PATH
from dashboards.planner.backtest import backtest_table
from dashboards.planner.levers import LEVER_STATES, TARGET_STATES, basis_of, read_form
from dashboards.planner.week import load_week, planner_source
from dashboards.planner.words import NumberField, kind_word, lang_of, t
from simulation.operations.jobs import MAX_REPLICATIONS, JobLimitError
from simulation.planning.whatif import whatif_scenario

callbacks = Callbacks()
REPLICATIONS = NumberField("planner-replications", N_("replications"), 10, 2, MAX_REPLICATIONS, 120)


def jobs_bar(lang: str) -> html.Div:
    """Replications, "Simulate", "Find staffing", "Cancel" and the job's progress."""
    return html.Div(
        [
            REPLICATIONS.input(lang),
            dmc.Button(t("Simulate", lang), id="planner-simulate"),
            dmc.Button(t("Find staffing", lang), id="planner-find", variant="outline"),
            dmc.Button(t("Cancel", lang), id="planner-cancel", color="red", variant="subtle"),
            html.Div(
                [
                    dmc.Progress(id="planner-progress", value=0, size="lg", w=260),
                    html.Div(id="planner-job-message", className="muted"),
                ]
            ),
        ],
        className="filter-bar",
    )


def active_job(username: str) -> str | None:
    """The user's queued or running job, to follow again after a reload."""
    runner = app_context().jobs
    active = next(
        (j for j in runner.jobs(username, 1) if j["state"] in ("queued", "running")),
        None,
    )
    return active["job_id"] if active else None


def job_line(status: dict, lang: str) -> str:
    """A job's kind, state and how far it got, in the reader's language (an error's
    own text stays as the job wrote it)."""
    kind, state = status["kind"], status["state"]
    if speaks_source(lang):  # the job's own (English) message says how far it got
        if state == "done":  # the job's own "finished" says it twice
            return f"{kind_word(kind, lang)}: {state}"
        return f"{kind_word(kind, lang)}: {state} — {status.get('message') or ''}"
    line = f"{kind_word(kind, lang)}: {t(state, lang)}"
    if state == "failed":
        return f"{line} — {status.get('message') or ''}"
    if state == "running" and status.get("total"):
        line += " — " + gettext(
            lang, "{done} of {total}", done=status.get("done") or 0, total=status["total"]
        )
    return line


def own_job(job_id, user) -> dict:
    """The job's status if it is the user's own; else ``Forbidden`` (an id from another
    user's page, or made up)."""
    try:
        status = app_context().jobs.status(str(job_id))
    except KeyError:
        raise Forbidden("no such job of yours") from None
    if status["username"] != user.username:
        raise Forbidden("no such job of yours")
    return status


@callbacks(
    Output("planner-job", "data"),
    Output("planner-poll", "disabled"),
    Output("planner-job-message", "children"),
    Input("planner-simulate", "n_clicks"),
    Input("planner-find", "n_clicks"),
    State("planner-plan", "data"),
    State(REPLICATIONS.input_id, "value"),
    *TARGET_STATES,
    State("url", "search"),
    State("planner-source", "data"),
    *LEVER_STATES,
    prevent_initial_call=True,
)
def start_job(_s, _f, plan, replications, *rest):
    """Hand "Simulate" or "Find staffing" to the job runner (one job per user)."""
    user = require_page(PATH)
    kpi, seconds, share, max_abandon, search, source, *lever_values = rest
    lang = lang_of(search)
    centre_id, source_text = planner_source(source)
    week = load_week(centre_id, source_text)
    kind = "simulate" if dash.ctx.triggered_id == "planner-simulate" else "find_staffing"
    try:
        plan, levers, texts, cap = read_form(
            week, plan, lever_values, (kpi, seconds, share, max_abandon)
        )
        params = {
            "scenario": whatif_scenario(week, plan, levers),
            "replications": REPLICATIONS.given(replications),
            "seed": 0,
            "centre": centre_id,
            "basis": basis_of(plan, levers),
        }
        if kind == "find_staffing":
            params |= {"targets": texts, "max_abandon": cap}
        job_id = app_context().jobs.submit(user.username, kind, params)
    except (JobLimitError, ValueError) as exc:
        return no_update, True, str(exc)
    return job_id, False, f"{kind_word(kind, lang)}: {t('queued', lang)}"


@callbacks(
    Output("planner-progress", "value"),
    Output("planner-job-message", "children", allow_duplicate=True),
    Output("planner-poll", "disabled", allow_duplicate=True),
    Output("planner-sim", "data"),
    Output("planner-job-result", "data"),
    Output("planner-backtest-out", "children"),
    Input("planner-poll", "n_intervals"),
    State("planner-job", "data"),
    State("url", "search"),
    prevent_initial_call=True,
)
def poll_job(_n, job_id, search=None):
    """Progress of the user's job; when it ends, its result."""
    user = require_page(PATH)
    lang = lang_of(search)
    if not job_id:
        return 0, "", True, no_update, no_update, no_update
    runner = app_context().jobs
    status = own_job(job_id, user)
    progress = (status.get("progress") or 0) * 100
    message = job_line(status, lang)
    if status["state"] in ("queued", "running"):
        return progress, message, False, no_update, no_update, no_update
    result = runner.result(job_id) if status["state"] == "done" else None
    if result is None:
        return progress, message, True, no_update, no_update, no_update
    if result["kind"] == "backtest":
        return 100, message, True, no_update, no_update, backtest_table(result, lang)
    # the plan and levers it was computed for: the page draws it only while they hold
    result["basis"] = (status.get("params") or {}).get("basis")
    if result["kind"] == "simulate":
        s = result["summary"]
        message += t(" · simulated: {kpi} {sl} (95% interval {low} to {high})", lang).format(
            kpi=Labels(lang).kpi("sl_offered_12"),
            sl=f"{s['sl_offered_12']:.1%}",
            low=f"{s['sl_offered_12_ci_low']:.1%}",
            high=f"{s['sl_offered_12_ci_high']:.1%}",
        )
        return 100, message, True, result, no_update, no_update
    message += " · " + ngettext(
        lang, "{n} agent-hour", "{n} agent-hours", round(result["agent_hours"])
    )
    found = {k: result.get(k) for k in ("kind", "agents", "unmet", "agent_hours", "basis")}
    return 100, message, True, no_update, found, no_update


@callbacks(
    Output("planner-job-message", "children", allow_duplicate=True),
    Input("planner-cancel", "n_clicks"),
    State("planner-job", "data"),
    prevent_initial_call=True,
)
def cancel_job(_n, job_id):
    """Cancel the user's own job."""
    user = require_page(PATH)
    if job_id:
        own_job(job_id, user)
        app_context().jobs.cancel(job_id, user.username)
    return "cancelling …"
