"""The shrinkage lever filled from measured shrinkage: the share of the rostered (paid)
time of a chosen period that agents were not on the phones -- planned (the roster's
breaks) and unplanned (the rest) -- as ``analytics.kpi.agents.measured_shrinkage``
measures it from a live feed's agent states against a roster (a roster CSV or a saved
``cca roster`` result, dropped here; read in this request only, never stored).

Worked out on the server for the centre of the page's ``planner-source``, through
``planner_source`` (``dashboards.context.centre_for``) like every planner callback."""

from __future__ import annotations

import base64
import tempfile
from pathlib import Path

import dash_mantine_components as dmc
from dash import Input, Output, State, dcc, html, no_update

from analytics.translation import gettext
from dashboards.auth import require_page
from dashboards.callbacks import Callbacks
from dashboards.context import app_context, checked_period
from dashboards.planner import PATH
from dashboards.planner.week import planner_source
from dashboards.planner.words import isolated, lang_of, ltr_input, t

callbacks = Callbacks()
MAX_ROSTER_BYTES = 2 * 1024 * 1024


def shrinkage_bar(lang: str) -> html.Div:
    """A period, a roster to drop and "Use measured shrinkage"."""
    return html.Div(
        [
            ltr_input("planner-shrink-period", t("measured over", lang), "yesterday", 190),
            dcc.Upload(
                html.Div(t("Roster file (a CSV, or a roster downloaded from the Planner)", lang)),
                id="planner-shrink-roster",
                className="panel",
                style={"borderStyle": "dashed", "cursor": "pointer", "padding": "6px"},
                max_size=MAX_ROSTER_BYTES,
            ),
            dmc.Button(
                t("Use measured shrinkage", lang), id="planner-shrink-measure", variant="light"
            ),
            html.Div(id="planner-shrink-out", className="muted"),
        ],
        className="filter-bar",
        id="planner-shrink",
    )


@callbacks(
    Output("planner-shrinkage", "value"),
    Output("planner-shrink-out", "children"),
    Input("planner-shrink-measure", "n_clicks"),
    State("planner-source", "data"),
    State("planner-shrink-period", "value"),
    State("planner-shrink-roster", "contents"),
    State("planner-shrink-roster", "filename"),
    State("url", "search"),
    prevent_initial_call=True,
)
def use_measured(_n, source, period_text, contents, filename, search):
    """The lever set to the period's measured shrinkage (in percent, at most 95)."""
    from analytics.centres import get_centre
    from analytics.kpi.agents import RosterError, measured_shrinkage, read_roster

    require_page(PATH)
    centre_id, _source = planner_source(source)  # the user's centre, or refused
    lang = lang_of(search)
    if not contents:
        return no_update, t("Drop a roster first: shrinkage is measured against it", lang)
    app = app_context()
    with app.store.reader() as con:
        centre = get_centre(con, centre_id)
        try:
            period = checked_period(str(period_text or "yesterday"), app.today(centre))
            _kind, data = contents.split(",", 1)
            with tempfile.TemporaryDirectory(prefix="cca-roster-") as tmp:
                path = Path(tmp) / "roster.csv"
                path.write_bytes(base64.b64decode(data))
                try:
                    roster = read_roster(path, centre, con)
                except RosterError as exc:
                    raise ValueError(str(exc).replace(str(path), filename or "roster")) from None
            total = measured_shrinkage(con, centre, period, roster)
        except ValueError as exc:
            return no_update, dmc.Alert(str(exc), color="red")
    if total.get("shrinkage") is None:
        return no_update, t("Nothing rostered in this period", lang)
    value = round(min(max(total["shrinkage"], 0.0), 0.95) * 100, 1)
    return value, gettext(
        lang,
        "{period}: {total}% measured ({planned}% planned, {unplanned}% unplanned)",
        period=isolated(period.label),
        total=f"{total['shrinkage'] * 100:.1f}",
        planned=f"{total['planned_shrinkage'] * 100:.1f}",
        unplanned=f"{total['unplanned_shrinkage'] * 100:.1f}",
    )
