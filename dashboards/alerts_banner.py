"""The alerts banner on every page: the open alerts of the user's centres, newest and
most critical first, in the reader's language, with "acknowledge" for managers.

Alerts are raised by ``cca alerts check`` / ``cca alerts watch`` (``simulation.operations.alerts``)
into the app-state store; acknowledging one takes it off the banner and writes who and
when to the alerts log and the audit log.
"""

from __future__ import annotations

import dash
import dash_mantine_components as dmc
from dash import ALL, Input, Output, State, html, no_update

from dashboards.auth import Forbidden, current_user, require
from dashboards.context import View, app_context, centre_for

SHOWN = 4
COLOURS = {"critical": "red", "warning": "orange"}
ACK_ROLES = ("manager", "admin")


def alert_items(user, lang: str) -> list:
    from simulation.operations.alerts import open_alerts

    alerts = open_alerts(app_context().state, user.centres)
    items = []
    for alert in alerts[:SHOWN]:
        message = alert.get("message") or {}
        text = message.get(lang) or message.get("en") or alert.get("rule")
        actions = []
        if user.role in ACK_ROLES:
            actions.append(
                html.Button(
                    "✓ " + ("إقرار" if lang == "ar" else "Acknowledge"),
                    id={"type": "alert-ack", "id": int(alert["alert_id"])},
                    className="alert-ack",
                )
            )
        items.append(
            dmc.Alert(
                html.Div(
                    [html.Span(text, className="alert-text"), *actions], className="alert-row"
                ),
                title=f"{alert['centre_id']} · {alert['rule']} · {alert['severity']}",
                color=COLOURS.get(alert.get("severity"), "blue"),
                variant="light",
                className="alert-item",
                **{"data-alert": alert["kind"]},
            )
        )
    if len(alerts) > SHOWN:
        more = len(alerts) - SHOWN
        items.append(html.Div(f"+{more}", className="muted"))
    return items


def banner(user, view: View):
    items = alert_items(user, view.lang)
    return html.Div(items, id="alerts-banner", className="alerts-banner")


def acknowledge(clicks, search):
    """A manager acknowledges one alert; the banner is redrawn without it."""
    if not any(clicks or []):
        return no_update
    user = require(*ACK_ROLES)
    from simulation.operations.alerts import acknowledge as ack
    from simulation.operations.alerts import open_alerts

    clicked = dash.ctx.triggered_id
    if isinstance(clicked, dict):
        state = app_context().state
        try:
            alert_id = int(clicked["id"])
        except (TypeError, ValueError):
            raise Forbidden("no such alert") from None
        alert = next((a for a in open_alerts(state) if int(a["alert_id"]) == alert_id), None)
        if alert is None:
            raise Forbidden("no such open alert")
        centre_for(alert["centre_id"], user)  # the alert's centre, not the client's word
        ack(state, alert_id, user.username)
    lang = "ar" if "lang=ar" in (search or "") else "en"
    return alert_items(current_user(), lang)


def register_callbacks(app) -> None:
    app.callback(
        Output("alerts-banner", "children"),
        Input({"type": "alert-ack", "id": ALL}, "n_clicks"),
        State("url", "search"),
        prevent_initial_call=True,
    )(acknowledge)
