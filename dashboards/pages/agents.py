"""``/agents``: each agent's day from the live feed, and how it kept to the roster.

Per agent (``analytics.kpi.agents``): calls answered, AHT, occupancy, logged-in time and
pause time by reason, for the period in the URL (today by default). A roster CSV
(``agent_id,start,end,activity[,team]``, the file a rostering tool exports) or a saved
``cca roster`` result (``--format csv`` or ``json``: its seats given to the agents who
worked them, ``analytics.kpi.roster_shifts``) dropped on the page adds adherence (per agent and per
interval, with a grace period) and the measured shrinkage -- planned (the roster's
breaks) and unplanned -- which the planner can take as its shrinkage lever. The roster
is read in this request only, never stored. Managers, planners and admins.
"""

from __future__ import annotations

import base64
import tempfile
from pathlib import Path
from urllib.parse import parse_qsl

import dash_mantine_components as dmc
from dash import Input, Output, State, dcc, html, no_update

from analytics.exports.i18n import Labels
from analytics.kpi.catalogue import format_value
from analytics.labels import labels_for
from analytics.translation import N_, gettext, moment, start_side
from dashboards.auth import require_page
from dashboards.callbacks import Callbacks
from dashboards.context import View, app_context, centre_for, resolve
from dashboards.frame import PageContext, page, register_page
from dashboards.grid import kpi_grid

PATH = "/agents"
callbacks = Callbacks()
BASE = ["answered", "aht_s", "occupancy", "logged_in_s", "productive_s", "paused_s"]
WITH_ROSTER = ["scheduled_s", "adherence", "shrinkage", "planned_shrinkage", "unplanned_shrinkage"]
_WORDS = {
    "title": N_("Agents"),
    "agent": N_("Agent"),
    "roster": N_(
        "Drop a roster here for adherence: a CSV (agent_id,start,end,activity[,team]) "
        "or a roster downloaded from the Planner (CSV or JSON)"
    ),
    "no_states": N_("No agent states for this period: no live feed has reported the agents."),
    "shrinkage_lever": N_("Measured shrinkage over the period (the planner's shrinkage lever)"),
    "intervals": N_("Adherence per interval"),
    "bad_roster": N_("The roster could not be read"),
}


def _words(lang: str) -> dict[str, str]:
    """This page's words in the reader's language (the one message catalogue)."""
    return {key: gettext(lang, message) for key, message in _WORDS.items()}


def agents_content(con, centre, period, labels: Labels, roster=None):
    """The page's tables for ``period`` (and ``roster``, a table from ``read_roster``)."""
    from analytics.kpi.agents import adherence_intervals, agent_kpis, measured_shrinkage

    w = _words(labels.lang)
    rows = agent_kpis(con, centre, period, roster=roster)
    if not rows:
        return html.Div(w["no_states"], className="muted", id="agents-empty")
    reasons = sorted({k for r in rows for k in r if k.startswith("paused_s_")})
    names = BASE + reasons + (WITH_ROSTER if roster is not None else [])
    parts = [
        kpi_grid(
            "agents-grid",
            rows,
            [
                {
                    "field": "agent_id",
                    "headerName": w["agent"],
                    "minWidth": 160,
                    "pinned": start_side(labels.lang),
                }
            ],
            names,
            labels,
        )
    ]
    if roster is not None:
        total = measured_shrinkage(con, centre, period, roster)
        parts.append(
            html.Div(
                [
                    html.Div(w["shrinkage_lever"], className="panel-title"),
                    html.Div(
                        [
                            html.Div(
                                [
                                    html.Div(labels.kpi(k), className="kpi-label"),
                                    html.Div(
                                        format_value(k, v, labels.lang),
                                        className="kpi-value",
                                        **{"data-kpi": k},
                                    ),
                                ],
                                className="kpi-tile",
                            )
                            for k, v in total.items()
                        ],
                        className="tile-grid",
                    ),
                ],
                className="panel",
                id="agents-shrinkage",
            )
        )
        per = adherence_intervals(con, centre, period, roster)
        for r in per:
            # ISO values sort; the reader sees the one date format (valueFormatter)
            r["interval"] = r["interval_start"].isoformat()
            r["interval_shown"] = moment(r["interval_start"], labels.lang)
        parts.append(html.Div(w["intervals"], className="panel-title"))
        parts.append(
            kpi_grid(
                "agents-intervals",
                per,
                [
                    {"field": "agent_id", "headerName": w["agent"], "minWidth": 140},
                    {
                        "field": "interval",
                        "headerName": "",
                        "minWidth": 150,
                        "valueFormatter": {"function": "params.data.interval_shown"},
                    },
                    {"field": "in_adherence", "headerName": "✓", "minWidth": 70},
                ],
                ["scheduled_s", "adherence", "shrinkage", "planned_shrinkage"],
                labels,
                height=420,
            )
        )
    return html.Div(parts)


def build(ctx: PageContext):
    w = _words(ctx.lang)
    return html.Div(
        [
            html.H2(w["title"], className="section-title"),
            dcc.Upload(
                html.Div(w["roster"]),
                id="agents-roster",
                className="panel",
                style={"borderStyle": "dashed", "cursor": "pointer"},
                max_size=2 * 1024 * 1024,
            ),
            html.Div(
                agents_content(ctx.con, ctx.centre, ctx.period, ctx.labels), id="agents-content"
            ),
        ]
    )


@callbacks(
    Output("agents-content", "children"),
    Input("agents-roster", "contents"),
    State("agents-roster", "filename"),
    State("url", "search"),
    prevent_initial_call=True,
)
def with_roster(contents, filename, search):
    """A roster dropped on the page: the tables again, with adherence and shrinkage."""
    require_page(PATH)
    if not contents:
        return no_update
    from analytics.kpi.agents import RosterError, read_roster
    from dashboards.auth import current_user

    query = dict(parse_qsl((search or "").lstrip("?")))
    view = View.from_query(query)
    if view.centre_id is not None:
        centre_for(view.centre_id)  # another centre's agents: refused
    app = app_context()
    with app.store.reader() as con:
        centre, period, view = resolve(con, view, current_user(), app.today)
        if centre is None:
            return no_update
        labels = Labels(view.lang, labels_for(con, centre.centre_id, view.lang))
        try:
            _kind, data = contents.split(",", 1)
            with tempfile.TemporaryDirectory(prefix="cca-roster-") as tmp:
                path = Path(tmp) / "roster.csv"
                path.write_bytes(base64.b64decode(data))
                roster = read_roster(path, centre, con)
        except (RosterError, ValueError) as exc:
            message = str(exc).replace(str(path), filename or "roster.csv")
            return dmc.Alert(message, color="red", title=_words(view.lang)["bad_roster"])
        return agents_content(con, centre, period, labels, roster)


register_callbacks = callbacks.register


def layout(**query):
    query.setdefault("period", "today")
    return page(PATH, query, build)


register_page(__name__, PATH, "agents", order=75, roles=("manager", "planner"), layout=layout)
