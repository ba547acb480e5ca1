"""``/reports``: the executives' monthly exports — pick a month, preview, download.

The month is the page's period (a Gregorian month ``2026-09`` or a Hijri month
``1448-03H`` from the period picker); the preview shows the headline figures the export
will carry, and the buttons download the existing Excel, PDF and CSV exports
(``analytics.exports.write_export``) in the chosen language. Every download is checked
against the user's role and centres and written to the audit log.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import dash_mantine_components as dmc
import flask
from dash import html

from analytics.centres import get_centre
from analytics.translation import LANGUAGE_NAMES
from dashboards.auth import Forbidden, current_user
from dashboards.context import app_context, centre_for, checked_period
from dashboards.frame import PageContext, page, register_page
from dashboards.language import page_language
from dashboards.pages.overview import headline_kpis
from dashboards.tiles import kpi_tile

PATH = "/reports"
FORMATS = {"xlsx": "Excel", "pdf": "PDF", "csv": "CSV"}
MIMETYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "csv": "text/csv",
}


def download_href(centre_id: str, period: str, fmt: str, lang: str) -> str:
    from urllib.parse import urlencode

    return "/download/report?" + urlencode(
        {"centre": centre_id, "period": period, "format": fmt, "lang": lang}
    )


def build(ctx: PageContext):
    w, labels = ctx.w, ctx.labels
    from dashboards.queries import call_kpis, ticket_kpis

    row = call_kpis(ctx.con, ctx.centre, period=ctx.period)[0]
    tickets = ticket_kpis(ctx.con, ctx.centre, period=ctx.period)[0]
    tiles = [
        kpi_tile(
            n, row, labels, targets=ctx.targets, definition=ctx.definition(n), id_prefix="reports-"
        )
        for n in headline_kpis(ctx)
    ]
    tiles.append(
        kpi_tile(
            "sla_met_rate",
            tickets,
            labels,
            targets=ctx.targets,
            definition=ctx.definition("sla_met_rate"),
            id_prefix="reports-",
        )
    )
    buttons = []
    for lang, lang_name in LANGUAGE_NAMES.items():
        for fmt, name in FORMATS.items():
            buttons.append(
                html.A(
                    dmc.Button(f"{w['download']} {name} · {lang_name}", variant="light"),
                    href=download_href(ctx.centre.centre_id, ctx.period.label, fmt, lang),
                    id=f"reports-download-{fmt}-{lang}",
                    download="",
                )
            )
    return html.Div(
        [
            html.H2(
                f"{labels.period_name(ctx.period)} · {ctx.centre_name}", className="section-title"
            ),
            html.Div(labels.period_span(ctx.period), className="section-sub"),
            html.Div(buttons, className="download-row"),
            html.H3(w["preview"], className="section-title"),
            html.Div(tiles, className="tile-grid", id="reports-preview"),
            centres_side_by_side(ctx),
        ]
    )


CENTRE_KPIS = ("offered", "answer_rate_excl_short", "abandon_rate", "asa_s", "aht_s")


def centres_side_by_side(ctx: PageContext):
    """Every centre the user may see, the period's KPIs side by side, each cell coloured
    against that centre's own target (the executives' comparison, on screen)."""
    from analytics.centres import get_centre
    from analytics.kpi import threshold_label
    from analytics.labels import centre_names
    from dashboards import targets
    from dashboards.context import visible_centres
    from dashboards.queries import call_kpis, ticket_kpis

    w, labels = ctx.w, ctx.labels
    centres = visible_centres(ctx.con, ctx.user)
    names = centre_names(ctx.con, centres, ctx.lang)
    rows, header = [], None
    for listed in centres:
        centre = get_centre(ctx.con, listed.centre_id)
        sl = f"sl_offered_{threshold_label(centre.sl_thresholds_s[0])}"
        kpis = [CENTRE_KPIS[0], sl, *CENTRE_KPIS[1:], "sla_met_rate"]
        row = call_kpis(ctx.con, centre, period=ctx.period, percentile=False)[0]
        row |= ticket_kpis(ctx.con, centre, period=ctx.period)[0]
        goals = targets.targets(centre)
        if header is None:
            header = html.Tr(
                [html.Th(w["centre"])] + [html.Th(labels.short(k), title=k) for k in kpis]
            )
        cells = [html.Td(names[centre.centre_id])]
        for k in kpis:
            tgt = goals.get(k)
            status = tgt.status(row.get(k)) if tgt else None
            cells.append(
                html.Td(
                    labels.value(k, row.get(k)),
                    title=targets.target_text(k, tgt, ctx.lang, w["target"]) if tgt else None,
                    **{
                        "data-kpi": k,
                        "data-status": {1: "good", 0: "warn", -1: "bad"}.get(status, "none"),
                    },
                )
            )
        rows.append(html.Tr(cells, **{"data-centre": centre.centre_id}))
    return html.Div(
        [
            html.H3(w["centres_side_by_side"], className="section-title"),
            html.Div(w["centres_note"], className="section-sub"),
            html.Div(
                html.Table([html.Thead(header), html.Tbody(rows)], className="centres-table"),
                className="table-scroll panel",
            ),
        ],
        id="reports-centres",
    )


def download():
    """Send an export of ``?centre&period&format&lang``; 403 for roles or centres the
    user may not see. Written to the audit log, refusals too."""
    user = current_user()
    args = flask.request.args
    centre_id, fmt = args.get("centre", "")[:64], args.get("format", "")[:16]
    asked = {"centre": centre_id, "period": args.get("period", "")[:64], "format": fmt}
    app = app_context()

    def refuse(status: int, why: str) -> flask.Response:
        app.state.audit(user.username if user else None, "download_refused", asked | {"why": why})
        return flask.Response(why + "\n", status, mimetype="text/plain")

    if user is None or not user.may_open(PATH):
        return refuse(403, "your role may not download reports")
    lang = page_language(args)
    if fmt not in FORMATS:
        return refuse(400, f"format {fmt!r} is not xlsx, pdf or csv")
    try:
        centre_for(centre_id, user)
    except Forbidden:
        return refuse(403, "you may not see this centre")
    from analytics.centres import UnknownCentre
    from analytics.exports import write_export

    try:
        with app.store.reader() as con:
            centre = get_centre(con, centre_id)
            period = checked_period(args.get("period", ""), dt.datetime.now(centre.tz).date())
            with tempfile.TemporaryDirectory(prefix="cca-export-") as tmp:
                name = f"{centre_id}-{period.label.replace('..', '_')}-{lang}.{fmt}"
                path = write_export(con, centre, period, Path(tmp) / name, lang=lang)
                data = path.read_bytes()
    except (UnknownCentre, ValueError) as exc:
        return refuse(400, str(exc))
    app.state.audit(
        user.username,
        "download",
        {"centre": centre_id, "period": period.label, "format": fmt, "lang": lang},
    )
    response = flask.Response(data, mimetype=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def register_routes(server) -> None:
    if "download_report" not in server.view_functions:
        server.add_url_rule("/download/report", "download_report", download)


def layout(**query):
    return page(PATH, query, build, filters=())


register_page(__name__, PATH, "reports", order=60, roles=("manager", "executive"), layout=layout)
