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

from analytics import snapshot_cache
from analytics.translation import gettext, ngettext
from dashboards.auth import Forbidden, current_user, require
from dashboards.context import View, app_context, centre_for
from dashboards.language import page_language
from simulation.operations.alerts.channels import SEVERITY_WORDS

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
                    "✓ " + gettext(lang, "Acknowledge"),
                    id={"type": "alert-ack", "id": int(alert["alert_id"])},
                    className="alert-ack",
                )
            )
        items.append(
            dmc.Alert(
                html.Div(
                    [html.Span(text, className="alert-text"), *actions], className="alert-row"
                ),
                title=f"{alert['centre_id']} · {alert['rule']} · {severity(alert, lang)}",
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


def feed_items(user, lang: str) -> list:
    """A red line per silent live feed of the user's centres (``analytics.kpi.live``)."""
    import datetime as dt

    from analytics.centres import get_centre
    from analytics.kpi.live import feed_health, with_staleness
    from analytics.labels import centre_name
    from analytics.translation import LANGUAGES

    app = app_context()

    def rows(con):
        feeds = feed_health(con)
        centres = [(f, get_centre(con, f["centre_id"])) for f in feeds]
        # the centre as a manager calls it, in each language (not its id)
        return [(f, c, {lg: centre_name(con, c, lg) for lg in LANGUAGES}) for f, c in centres]

    def compute():
        # the feeds' rows, their centres and names: carried past commits that wrote none of
        # them (a load); each feed's staleness is judged below, at this request's instant
        with app.store.reader() as con:
            tables = ("live_feed_health", "centres", "labels")
            return snapshot_cache.read(con, ("live feeds",), lambda: rows(con), tables=tables)

    try:
        feeds = app.memo(("live-feed-health",), compute)
    except Exception:  # noqa: BLE001 (a banner must never break the page under it)
        return []
    wall = dt.datetime.now(dt.UTC)
    items = []
    for feed, centre, names in feeds:
        if not user.may_see(centre.centre_id):
            continue
        feed = with_staleness(feed, centre, wall)
        if not feed["stale"]:
            continue
        minutes = feed["silent_s"] / 60
        text = ngettext(
            lang,
            "The live feed of {cid} ({format}) has been silent for {n} min while the centre is "
            "open: the wallboard's figures are old.",
            "The live feed of {cid} ({format}) has been silent for {n} min while the centre is "
            "open: the wallboard's figures are old.",
            round(minutes),
            cid=names.get(lang, centre.centre_id),
            format=str(feed["format"]),
        )
        items.append(
            dmc.Alert(
                text,
                # the feed's file or address only in the tooltip, for whoever runs it
                title=html.Span(gettext(lang, "Live feed silent"), title=str(feed["source"])),
                color="red",
                variant="light",
                className="alert-item",
                **{"data-alert": "feed_stale"},
            )
        )
    return items


def banner(user, view: View):
    items = feed_items(user, view.lang) + alert_items(user, view.lang)
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
    lang = page_language(search)
    return feed_items(current_user(), lang) + alert_items(current_user(), lang)


def severity(alert: dict, lang: str) -> str:
    """The alert's severity in the reader's words (the stored code if it is no known one)."""
    word = SEVERITY_WORDS.get(alert.get("severity"))
    return gettext(lang, word) if word else str(alert.get("severity"))


def register_callbacks(app) -> None:
    app.callback(
        Output("alerts-banner", "children"),
        Input({"type": "alert-ack", "id": ALL}, "n_clicks"),
        State("url", "search"),
        prevent_initial_call=True,
    )(acknowledge)
