"""``/wallboard``: the queue as it is now, for a screen on the wall.

A centre with a live feed (``cca live follow``) gets the **live board**, laid out for a
1920×1080 screen read across a room (every figure at least 72 px): callers waiting and
the longest wait first, coloured against the centre's first service-level threshold T
(green within T, amber up to the next threshold, red beyond), today's service level
against its target; agents by state (pauses by reason); today's running figures and the
last 30 minutes'. Its own "updated" time, a stale badge when the feed has been silent
while the centre is open (or the screen has lost the server), a centre and queue picker,
English and Arabic. Every figure is an element with ``data-kpi`` (and ``data-window``:
``now``, ``today`` or ``last_30min``).

**Cheap to keep open.** A screen does not reload the page or run Dash callbacks: a small
script (``assets/wallboard.js``) asks ``/api/live/snapshot`` every second for a
few hundred bytes of formatted figures. The snapshot of a centre (and queue filter, and
language) is shared by every screen that shows it and computed again only when a write
has been published since (at most every ``SNAPSHOT_MIN_AGE_S``), or every
``SNAPSHOT_TTL_S`` for the clock (the longest wait grows), so twenty screens cost what
one does. An event is on the wall within
the follower's commit + TTL + the poll's second (``benchmarks/live.py`` measures it).

A centre without a live feed keeps the day view: today's totals by caller category (or
the latest day with calls, labelled so), refreshed every ``wallboard_refresh_s``.
A ``wallboard`` account can open this page and nothing else.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from urllib.parse import parse_qsl

import dash_mantine_components as dmc
import flask
from dash import Input, Output, State, dcc, html

from analytics.exports.i18n import Labels
from analytics.exports.report import Target, default_targets
from analytics.kpi import threshold_label
from analytics.kpi.catalogue import format_value
from analytics.store import StoreError
from analytics.translation import N_, NP_, gettext, ngettext, number, pgettext
from dashboards import queries
from dashboards.auth import require_page
from dashboards.callbacks import Callbacks
from dashboards.context import View, app_context, centre_for, resolve
from dashboards.frame import (
    PageContext,
    centre_picker,
    dimension_values,
    filter_id,
    page,
    register_page,
)
from dashboards.tiles import kpi_tile

PATH = "/wallboard"
callbacks = Callbacks()
SNAPSHOT_PATH = "/api/live/snapshot"
SNAPSHOT_TTL_S = 1.0
SNAPSHOT_MIN_AGE_S = 0.2
AGENT_NAMES = (
    "agents_logged_in",
    "agents_available",
    "agents_on_call",
    "agents_wrap_up",
    "agents_paused",
)
_WORDS = {
    "now": N_("Now"),
    "agents": N_("Agents"),
    "today": N_("Today so far"),
    "last_30min": N_("Last 30 minutes"),
    "updated": NP_("refresh", "Updated"),
    "stale": N_("FEED SILENT"),
    "offline": N_("NO CONNECTION"),
    "target": N_("target"),
    "queue_all": N_("All queues"),
}


def _words(lang: str) -> dict[str, str]:
    """This page's words in the reader's language (the one message catalogue)."""
    return {
        key: pgettext(lang, *message) if isinstance(message, tuple) else gettext(lang, message)
        for key, message in _WORDS.items()
    }


# ------------------------------------------------------------------ the live snapshot


def wall_targets(centre) -> dict[str, Target]:
    """Targets of the live board: the longest wait within T (amber up to the next
    threshold), and the exports' targets for the running figures."""
    t = sorted(centre.sl_thresholds_s)
    tolerance = (t[1] - t[0]) if len(t) > 1 else t[0]
    targets = {x.kpi: x for x in default_targets(centre)}
    targets["oldest_wait_s"] = Target("oldest_wait_s", float(t[0]), False, float(tolerance))
    return targets


_STATUS = {1: "good", 0: "warn", -1: "bad", None: "none"}


def _status(name: str, value, targets: dict[str, Target], state: dict) -> str:
    if name == "calls_waiting":  # as good as the longest wait, and nobody waiting is good
        if not value:
            return "good"
        name, value = "oldest_wait_s", state.get("oldest_wait_s")
    target = targets.get(name)
    return _STATUS[target.status(value) if target else None]


def sl_name(centre) -> str:
    return f"sl_offered_{threshold_label(centre.sl_thresholds_s[0])}"


def board_figures(snapshot: dict, centre) -> list[tuple[str, str, object]]:
    """(window, kpi, value) of every figure on the live board, in order."""
    state, sl = snapshot["state"], sl_name(centre)
    figures = [("now", n, state[n]) for n in ("calls_waiting", "oldest_wait_s")]
    figures.append(("today", sl, snapshot["today"][sl]))
    figures += [("now", n, state[n]) for n in AGENT_NAMES]
    for window in ("today", "last_30min"):
        row = snapshot[window]
        names = ["offered", "answered", "abandoned", "asa_s", "aht_s"]
        if window == "last_30min":
            names.insert(3, sl)
        figures += [(window, n, row[n]) for n in names]
    return figures


def snapshot_payload(con, centre, queues: list[str], lang: str) -> dict:
    """The board's figures as the screen shows them (formatted, coloured)."""
    from analytics.kpi.live import live_snapshot

    snap = live_snapshot(con, centre, queues=queues or None)
    targets = wall_targets(centre)
    feeds = snap["feeds"]
    stale = any(f["stale"] for f in feeds)
    figures = [
        {
            "window": window,
            "kpi": name,
            "text": format_value(name, value, lang),
            "status": _status(name, value, targets, snap["state"]),
        }
        for window, name, value in board_figures(snap, centre)
    ]
    reasons = snap["state"]["agents_paused_by_reason"]
    feed_lines = []
    for f in feeds:
        silent = f["silent_s"]
        lag = "—" if f["lag_s"] is None else f"{number(f['lag_s'], lang, 1)} {gettext(lang, 's')}"
        feed_lines.append(
            # one sentence: the feed's (Latin) name is isolated inside Arabic, and the lag
            # reads "2.4 ث" in Arabic, "2.4 s" in English, in the reader's order
            gettext(lang, "Feed {format}: lag {lag}", format=f["format"], lag=lag)
            + (
                " · "
                + ngettext(
                    lang, "silent for {n} minute", "silent for {n} minutes", round(silent / 60)
                )
                if f["stale"] and silent
                else ""
            )
        )
    return {
        "centre": centre.centre_id,
        "at": snap["at"].isoformat(),
        "updated": snap["at"].astimezone(centre.tz).strftime("%H:%M:%S"),
        "figures": figures,
        "paused_reasons": " · ".join(f"{r or '—'} {n}" for r, n in reasons.items()),
        "stale": stale,
        "feeds": " | ".join(feed_lines),
    }


_cache: dict[tuple, tuple[float, object, dict]] = {}
_locks: dict[tuple, threading.Lock] = {}
_guard = threading.Lock()


def _store_version(store) -> object:
    """What changes when a writer publishes, read without opening the store: a SQLite
    catalogue's file and its write-ahead log (a commit appends to the log, a checkpoint
    rewrites the file; while a live feed holds the catalogue open, analytics.
    catalogue_hold, only the log changes at each commit: watching the file alone left
    every event a second late on the wall); a PostgreSQL catalogue's latest snapshot."""
    if store.url is not None:
        try:
            return store.version()
        except StoreError:
            return None
    seen = []
    for path in (store.path, Path(str(store.path) + "-wal")):
        try:
            info = path.stat()
        except FileNotFoundError:
            seen.append(None)
            continue
        seen.append((info.st_ino, info.st_mtime_ns, info.st_size))
    return tuple(seen)


def _fresh(hit, version) -> bool:
    if hit is None:
        return False
    age = time.monotonic() - hit[0]
    # new data: at most SNAPSHOT_MIN_AGE_S old; no new data: the clock still moves the
    # longest wait on, so at most SNAPSHOT_TTL_S old
    return age < (SNAPSHOT_MIN_AGE_S if hit[1] != version else SNAPSHOT_TTL_S)


def shared_snapshot(store, centre_id: str, queues: list[str], lang: str) -> dict:
    """The snapshot of a centre for every screen that shows it: computed again only when
    the store has changed (and the last one is ``SNAPSHOT_MIN_AGE_S`` old) or when it is
    ``SNAPSHOT_TTL_S`` old; screens arriving meanwhile wait for that one computation."""
    from analytics.centres import get_centre

    key = (str(store.path), centre_id, tuple(sorted(queues)), lang)
    version = _store_version(store)
    if _fresh(_cache.get(key), version):
        return _cache[key][2]
    with _guard:
        lock = _locks.setdefault(key, threading.Lock())
    with lock:
        if _fresh(_cache.get(key), version):
            return _cache[key][2]
        with store.reader() as con:
            payload = snapshot_payload(con, get_centre(con, centre_id), queues, lang)
        _cache[key] = (time.monotonic(), version, payload)
        return payload


def snapshot_route():
    """``GET /api/live/snapshot?centre=&queue=&lang=``: the board's figures as JSON.

    A screen names its centre (the board writes it into the script's query): the answer
    then comes from the shared snapshot without opening the store at all."""
    from analytics.centres import UnknownCentre

    user = require_page(PATH)
    view = View.from_query(dict(flask.request.args))
    app = app_context()
    if view.centre_id is not None:
        centre_for(view.centre_id, user)  # another centre's figures: refused (403)
    else:
        with app.store.reader() as con:
            centre, _period, view = resolve(con, view, user, app.today)
        if centre is None:
            return flask.jsonify(error="no centre"), 404
    try:
        payload = shared_snapshot(
            app.store, view.centre_id, view.filters.get("queue", []), view.lang
        )
    except UnknownCentre:
        return flask.jsonify(error="no such centre"), 404
    response = flask.jsonify(payload)
    response.headers["Cache-Control"] = "no-store"
    return response


def register_routes(server) -> None:
    server.add_url_rule(SNAPSHOT_PATH, "live_snapshot", snapshot_route)


# ------------------------------------------------------------------ the live board


def figure_parts(text: str):
    """A figure's text as its number and its unit ("179.5 ث": "179.5", " ث"), the unit
    set smaller so that a figure of at least 72 px fits a tile of a six-figure row;
    ``wallboard.js`` splits an update the same way. The element's text stays the value."""
    value, space, unit = text.rpartition(" ")
    if not space or not value or any(c.isdigit() for c in unit):
        return text
    return [html.Span(value, className="wb-num"), html.Span(space + unit, className="wb-unit")]


def _figure(window: str, kpi: dict, labels: Labels, targets, hero: bool = False):
    name = kpi["kpi"]
    parts = [
        html.Div(labels.kpi(name), className="wb-label"),
        html.Div(
            figure_parts(kpi["text"]),
            className="wb-fig",
            **{"data-kpi": name, "data-window": window, "data-status": kpi["status"]},
        ),
    ]
    target = targets.get(name)
    if target is not None:
        sign = "≥" if target.at_least else "≤"
        parts.append(
            html.Div(
                f"{_words(labels.lang)['target']} {sign} "
                f"{format_value(name, target.value, labels.lang)}",
                className="wb-target",
            )
        )
    return html.Div(parts, className="wb-tile wb-hero" if hero else "wb-tile")


def picker(ctx: PageContext) -> html.Div:
    """The centre and queue the board shows (the URL's ``centre`` and ``queue``)."""
    queues = sorted(
        set(dimension_values(ctx.con, ctx.centre.centre_id, "queue"))
        | {
            r[0]
            for r in ctx.con.execute(
                "SELECT DISTINCT queue FROM live_calls_waiting WHERE centre_id = ? "
                "AND queue IS NOT NULL UNION SELECT DISTINCT unnest(queues) FROM "
                "live_agent_state WHERE centre_id = ?",
                [ctx.centre.centre_id, ctx.centre.centre_id],
            ).fetchall()
        }
    )
    chosen = ctx.view.filters.get("queue", [])
    return html.Div(
        [
            centre_picker(ctx, 330, "md"),
            dmc.MultiSelect(
                id=filter_id("queue", chosen),
                data=[{"value": q, "label": ctx.labels.dimension("queue", q)} for q in queues],
                value=chosen,
                placeholder=_words(ctx.lang)["queue_all"],
                clearable=True,
                w=260,
                size="md",
            ),
        ],
        className="wb-picker",
    )


def live_board(ctx: PageContext, payload: dict):
    w = _words(ctx.lang)
    labels = ctx.labels
    targets = wall_targets(ctx.centre)
    figs = {(f["window"], f["kpi"]): f for f in payload["figures"]}
    sl = sl_name(ctx.centre)

    def row(window: str, names, hero=False):
        return [_figure(window, figs[(window, n)], labels, targets, hero) for n in names]

    queues = ctx.view.filters.get("queue", [])
    title = ctx.centre_name + (
        " · " + ", ".join(labels.dimension("queue", q) for q in queues) if queues else ""
    )
    return html.Div(
        [
            html.Div(
                [
                    html.H1(title, className="wb-title"),
                    picker(ctx),
                    html.Div(
                        [
                            html.Span(w["updated"] + " "),
                            html.Span(payload["updated"], id="wallboard-updated"),
                        ],
                        className="wb-updated",
                    ),
                    html.Span(
                        w["stale"],
                        id="wallboard-stale",
                        className="wb-stale",
                        hidden=not payload["stale"],
                        **{"data-offline": w["offline"], "data-stale": w["stale"]},
                    ),
                ],
                className="wb-head",
            ),
            html.Div(
                row("now", ["calls_waiting", "oldest_wait_s"], hero=True)
                + row("today", [sl], hero=True),
                className="wb-row wb-row-3",
            ),
            html.Div(
                [html.Div(w["agents"], className="wb-section")]
                + row("now", AGENT_NAMES)
                + [
                    html.Div(payload["paused_reasons"], id="wallboard-reasons", className="wb-note")
                ],
                className="wb-row wb-row-5",
            ),
            html.Div(
                [html.Div(w["today"], className="wb-section")]
                + row("today", ["offered", "answered", "abandoned", "asa_s", "aht_s"]),
                className="wb-row wb-row-5",
            ),
            html.Div(
                [html.Div(w["last_30min"], className="wb-section")]
                + row("last_30min", ["offered", "answered", "abandoned", sl, "asa_s", "aht_s"]),
                className="wb-row wb-row-6",
            ),
            html.Div(payload["feeds"], id="wallboard-feeds", className="wb-feeds"),
        ],
        id="wallboard-live",
        className="wb",
        **{"data-query": ctx.view.query(period=None)},
    )


def has_live_feed(con, centre_id: str) -> bool:
    return (
        con.execute(
            "SELECT count(*) FROM live_feed_health WHERE centre_id = ?", [centre_id]
        ).fetchall()[0][0]
        > 0
    )


# ------------------------------------------------------------------ the day view


def wall_content(ctx: PageContext):
    w, labels = ctx.w, ctx.labels
    sl = f"sl_offered_{threshold_label(ctx.centre.sl_thresholds_s[0])}"
    day = queries.latest_day_with_calls(ctx.con, ctx.centre, ctx.today)
    names = ["offered", "answered", sl, "abandon_rate", "asa_s", "answer_rate_excl_short"]
    if day is None:
        return html.Div(w["no_calls_today"], className="wall-title")
    period = queries.day_period(day)
    total = queries.call_kpis(ctx.con, ctx.centre, period=period, filters=ctx.view.filters)[0]
    rows = queries.call_kpis(  # the categories with calls today, not every one of the year
        ctx.con,
        ctx.centre,
        period=period,
        by=("category",),
        filters=ctx.view.filters,
        empty_groups=False,
    )
    title = w["wallboard_title"] if day == ctx.today else f"{w['latest_day']}"
    cards = [
        html.Div(
            [
                html.H2(ctx.centre_name),
                html.Div(
                    [kpi_tile(n, total, labels, targets=ctx.targets, size="xl") for n in names],
                    className="tile-grid",
                ),
            ],
            className="wall-card",
            id="wallboard-total",
        )
    ]
    for row in rows:
        cards.append(
            html.Div(
                [
                    html.H2(labels.category(row["category"])),
                    html.Div(
                        [kpi_tile(n, row, labels, targets=ctx.targets) for n in names[:5]],
                        className="tile-grid",
                    ),
                ],
                className="wall-card",
            )
        )
    return html.Div(
        [
            html.Div(
                [
                    html.H1(f"{title} · {labels.date(day)}"),
                    # a refresh promise over an old day would read as current
                    html.Div(
                        w["refreshes"] if day == ctx.today else w["not_current"],
                        className="muted",
                        id="wallboard-currency",
                    ),
                ],
                className="wall-title",
            ),
            html.Div(cards, className="wall-grid"),
        ]
    )


def build(ctx: PageContext):
    if has_live_feed(ctx.con, ctx.centre.centre_id):
        payload = snapshot_payload(ctx.con, ctx.centre, ctx.view.filters.get("queue", []), ctx.lang)
        return live_board(ctx, payload)
    return html.Div(
        [
            html.Div(wall_content(ctx), id="wallboard-content"),
            dcc.Interval(
                id="wallboard-tick", interval=int(ctx.app.settings.wallboard_refresh_s * 1000)
            ),
        ]
    )


@callbacks(
    Output("wallboard-content", "children"),
    Input("wallboard-tick", "n_intervals"),
    State("url", "search"),
    prevent_initial_call=True,
)
def refresh(_n, search):
    """Rebuild the day view from the store (a load published since shows up here)."""
    require_page(PATH)
    query = dict(parse_qsl((search or "").lstrip("?")))
    return page(PATH, query, lambda ctx: wall_content(ctx), chrome=False)


register_callbacks = callbacks.register


def layout(**query):
    return page(PATH, query, build, chrome=False)


register_page(__name__, PATH, "wallboard", order=70, roles=("manager", "wallboard"), layout=layout)
