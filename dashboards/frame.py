"""The frame around every page: header, menu, filters, the "data as of" stamp.

A page module calls ``page(path, query, build)``: the frame checks the user's role,
reads the view from the URL (``dashboards.context``), opens one read-only connection to
the analytics store for the whole page (closed when the page is built, so the next
request sees a load published meanwhile), and calls ``build(ctx)`` for the content.

Filters change the URL (one callback, ``apply_filters``), and the page is rebuilt from
it: what is on screen is always what the address says, so any view can be bookmarked.
A filter's id carries the value the page was built with (``filter_id``): a filter that
still shows it changes nothing, so a page opening is built once, not twice.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import dash
import dash_mantine_components as dmc
import flask
from dash import ALL, Input, Output, State, dcc, html, no_update

from analytics import direct_reads, snapshot_cache
from analytics.centres import Centre
from analytics.exports.i18n import Labels
from analytics.kpi import rollup
from analytics.labels import centre_names, labels_for
from analytics.periods import Period, hijri_month_bounds, hijri_month_of
from analytics.translation import (
    DEFAULT,
    LANGUAGE_NAMES,
    direction,
    moment,
    ngettext,
    other_language,
)
from dashboards import freshness
from dashboards.auth import User, csrf_for, current_user, role_name
from dashboards.context import (
    CALL_FILTERS,
    View,
    app_context,
    call_span,
    resolve,
    visible_centres,
)
from dashboards.words import words


def menu(user: User) -> list[tuple[str, str]]:
    """(path, word key) of the pages the user opens, in their declared order: each page
    states ``order``, ``menu`` and ``roles`` with its ``register_page``."""
    pages = sorted(dash.page_registry.values(), key=lambda p: (p.get("order") or 0, p["path"]))
    return [(p["path"], p["menu"]) for p in pages if p.get("menu") and user.may_open(p["path"])]


def register_page(module: str, path: str, menu: str, *, order: int, roles: tuple, layout) -> None:
    """Dash's ``register_page`` for a page of this app. ``menu``: the word key of its menu
    label (``words(lang)[menu]``; capitalised, its name and tab title); ``order``: its
    place in the menu; ``roles``: who opens it besides admins (``dashboards.auth.may_open``).
    The menu, the guard and the router read them back from ``dash.page_registry``."""
    name = menu.capitalize()
    dash.register_page(
        module, path=path, name=name, title=name, layout=layout, order=order, menu=menu, roles=roles
    )


@dataclass
class PageContext:
    """What ``build`` gets: an open read-only connection and the resolved view."""

    con: object
    user: User
    view: View
    centre: Centre
    period: Period
    labels: Labels
    today: dt.date
    app: object

    @property
    def lang(self) -> str:
        return self.view.lang

    @property
    def w(self) -> dict[str, str]:
        return words(self.view.lang)

    @property
    def centre_name(self) -> str:
        """The centre as the reader calls it (``[labels.centre]``, else its settings)."""
        return self.labels.centre(self.centre)  # the page's labels already hold it

    @property
    def targets(self):
        from dashboards.targets import targets

        return targets(self.centre)

    def definition(self, name: str) -> str:
        return self.labels.definition(
            name, short_abandon_s=self.centre.short_abandon_s, sla_wd=self.centre.ticket_sla_wd
        )


def forbidden(lang: str) -> html.Div:
    return html.Div(
        dmc.Alert(words(lang)["forbidden"], color="red", title="403"),
        className="page-body",
        **{"data-forbidden": "1"},
    )


def page(
    path: str,
    query: dict,
    build: Callable[[PageContext], object],
    *,
    filters: tuple[str, ...] = CALL_FILTERS,
    chrome: bool = True,
):
    """The layout of page ``path`` for the URL ``query``: frame + ``build``'s content."""
    view = View.from_query(query)
    user = current_user()
    if user is None or not user.may_open(path):
        return forbidden(view.lang)
    app = app_context()
    w = words(view.lang)
    with app.store.reader() as con:
        try:
            centre, period, view = resolve(con, view, user, app.today)
        except ValueError as exc:  # the frame's links keep the language, not what failed
            clean = View(None, None, view.lang)
            return _framed(path, clean, user, dmc.Alert(str(exc), color="red"), None, chrome)
        if centre is None:
            return _framed(path, view, user, dmc.Alert(w["no_centre"], color="blue"), None, chrome)
        labels = Labels(view.lang, labels_for(con, centre.centre_id, view.lang))
        ctx = PageContext(con, user, view, centre, period, labels, app.today(centre), app)
        content = freshness.empty_notice(ctx, path) or build(ctx)
        bar = filter_bar(ctx, filters) if chrome else None
        stamp = as_of_stamp(ctx) if chrome else None
        old = freshness.page_notice(ctx, dark=not chrome)
    return _framed(path, view, user, content, (bar, stamp), chrome, old)


def _framed(path, view: View, user: User, content, extras, chrome: bool, old=None):
    if not chrome:
        return html.Div([old, content], className="chromeless", dir=direction(view.lang))
    bar, stamp = extras if extras else (None, None)
    return html.Div(
        [
            header(path, view, user),
            html.Div(
                [
                    html.Div([bar, stamp], className="toolbar") if bar is not None else None,
                    old,
                    alerts_banner(user, view),
                    html.Div(content, className="page-body"),
                ],
                className="page",
            ),
        ],
        className="app-root",
        dir=direction(view.lang),
    )


def header(path: str, view: View, user: User) -> html.Header:
    w = words(view.lang)
    query = view.query()
    links = [
        dcc.Link(
            w.get(key, key),
            href=target + query,
            className="nav-link active" if target == path else "nav-link",
            id=f"nav-{key}",
        )
        for target, key in menu(user)
    ]
    other = other_language(view.lang)
    switch = html.A(
        LANGUAGE_NAMES[other],
        href=path + view.query(lang=other if other != DEFAULT else None),
        className="lang-switch",
        id="lang-switch",
    )
    logout = html.Form(
        [
            dcc.Input(type="hidden", name="csrf_token", value=csrf_for(flask.g.session_id)),
            html.Button(w["logout"], type="submit", className="logout"),
        ],
        method="POST",
        action="/logout",
        className="logout-form",
    )
    return html.Header(
        [
            html.Div(
                [html.Span("◔", className="logo"), html.Span(w["app"], className="brand-name")],
                className="brand",
            ),
            # phones: the menu folds behind a button (assets/fold.js, no round trip)
            html.Button("☰", className="menu-button", title=w["menu"], id="menu-button"),
            html.Nav(links, className="nav"),
            html.Div(
                [
                    switch,
                    html.Span(
                        f"{user.username} · {role_name(user.role, view.lang)}", className="who"
                    ),
                    logout,
                ],
                className="header-end",
            ),
        ],
        className="app-header",
    )


def alerts_banner(user: User, view: View):
    """Open alerts of the user's centres (``dashboards.alerts_banner``)."""
    from dashboards.alerts_banner import banner

    return banner(user, view)


def period_options(ctx: PageContext) -> list[dict]:
    """Relative periods, then months with calls (newest first), Gregorian and Hijri, in
    three labelled groups."""
    w = ctx.w
    relative = [{"value": k, "label": w[k]} for k in ("today", "yesterday", "this-week")]
    relative += [{"value": k, "label": w[k]} for k in ("this-month", "last-month")]
    gregorian, hijri = [], []
    span = call_span(ctx.con, ctx.centre)
    if span is not None:
        first, last = span[0].date(), span[1].date()
        y, m = last.year, last.month
        months = []
        while (y, m) >= (first.year, first.month) and len(months) < 25:
            months.append((y, m))
            y, m = (y, m - 1) if m > 1 else (y - 1, 12)
        gregorian = [
            {"value": f"{y:04d}-{m:02d}", "label": ctx.labels.gregorian_month(y, m)}
            for y, m in months
        ]
        hy, hm = hijri_month_of(last)
        while len(hijri) < 13:
            label = f"{hy:04d}-{hm:02d}H"
            hijri.append({"value": label, "label": ctx.labels.hijri_month(hy, hm)})
            hy, hm = (hy, hm - 1) if hm > 1 else (hy - 1, 12)
            if hijri_month_bounds(hy, hm)[1] < first:
                break
    options = [{"group": w["relative"], "items": relative}]
    options += [{"group": w["gregorian_months"], "items": gregorian}] if gregorian else []
    options += [{"group": w["hijri_months"], "items": hijri}] if hijri else []
    known = [o["value"] for g in options for o in g["items"]]
    if ctx.view.period_text and ctx.view.period_text not in known:
        shown = ctx.labels.period_name(ctx.period)
        options.insert(
            0, {"group": w["chosen"], "items": [{"value": ctx.view.period_text, "label": shown}]}
        )
    return options


def _chips_width(labels: list[str]) -> int:
    """A multi-select wide enough for its chips ("Workers ×" whole, not "Wo…")."""
    return int(min(max(140, 84 + sum(8 * len(t) + 36 for t in labels)), 420))


def dimension_values(con, centre_id: str, dim: str) -> list[str]:
    """The codes of ``dim`` the centre's calls and tickets have (none: hide the filter)."""
    return list(filter_values(con, centre_id).get(dim, ()))


def filter_values(con, centre_id: str) -> dict[str, tuple[str, ...]]:
    """The codes of every filter dimension the centre's calls and tickets have: the
    calls' routing codes from the rollup's summary (``rollup.summary``, which every page
    reads anyway), the tickets' codes, the calls' topics; each kept per snapshot and
    carried past snapshots that did not write its table (on a lake store each statement's
    scans cost tens of milliseconds whatever they read)."""

    def tickets():
        sets = ", ".join(f"({d})" for d in TICKET_CODES)
        return tuple(
            con.execute(
                f"SELECT {', '.join(TICKET_CODES)} FROM tickets WHERE centre_id = ? "
                f"GROUP BY GROUPING SETS ({sets})",
                [centre_id],
            ).fetchall()
        )

    def topics():
        return tuple(
            con.execute(
                "SELECT DISTINCT topic FROM calls WHERE centre_id = ? AND topic IS NOT NULL",
                [centre_id],
            ).fetchall()
        )

    def more_topics(old: tuple, first: int, last: int) -> tuple:
        # only the calls inserted since: a scan of every call's topic took 35-50 ms
        rows, params = direct_reads.inserted(con, "calls", first, last)
        added = con.execute(
            f"SELECT DISTINCT topic FROM {rows} WHERE centre_id = ? AND topic IS NOT NULL",
            [*params, centre_id],
        ).fetchall()
        return tuple(sorted(set(old) | set(added)))

    def compute():
        found: dict[str, set] = {}
        summary = rollup.summary(con, centre_id)
        for name, codes in (summary[0] if summary else {}).items():
            found.setdefault(name, set()).update(codes)
        key = ("ticket codes", centre_id)
        for row in snapshot_cache.read(con, key, tickets, tables=("tickets",)):
            for name, value in zip(TICKET_CODES, row, strict=True):
                if value is not None:
                    found.setdefault(name, set()).add(value)
        key = ("call topics", centre_id)
        for (topic,) in snapshot_cache.read(
            con, key, topics, tables=("calls",), grows=("calls", more_topics)
        ):
            found.setdefault("topic", set()).add(topic)
        return {name: tuple(sorted(values)) for name, values in found.items() if values}

    return snapshot_cache.read(
        con,
        ("filter values", centre_id),
        compute,
        tables=("call_interval_deltas", "call_interval_state", "tickets", "calls"),
    )


TICKET_CODES = ("category", "topic", "channel", "site")  # the tickets' filter dimensions


def centre_picker(ctx: PageContext, width: int, size: str, **options) -> dmc.Select:
    """The page's centre among those the user may see, each by its name in the reader's
    language; ``width`` holds the whole name ("Labour-market regulator, Bahrain")."""
    centres = visible_centres(ctx.con, ctx.user)
    names = centre_names(ctx.con, centres, ctx.lang)
    return dmc.Select(
        id=filter_id("centre", ctx.centre.centre_id),
        data=[{"value": c.centre_id, "label": names[c.centre_id]} for c in centres],
        value=ctx.centre.centre_id,
        allowDeselect=False,
        w=width,
        size=size,
        **options,
    )


def filter_bar(ctx: PageContext, filters: tuple[str, ...]) -> html.Div:
    w = ctx.w
    items = [
        centre_picker(ctx, 260, "sm", label=w["centre"]),
        dmc.Select(
            id=filter_id("period", ctx.view.period_text),
            label=w["period"],
            data=period_options(ctx),
            value=ctx.view.period_text,
            searchable=True,
            allowDeselect=False,
            w=180,
            size="sm",
            maxDropdownHeight=360,
        ),
        date_range(ctx),
    ]
    for dim in filters:
        values = filter_values(ctx.con, ctx.centre.centre_id).get(dim, ())
        if not values:
            continue  # the centre's data lack this dimension
        chosen = ctx.view.filters.get(dim, [])
        items.append(
            dmc.MultiSelect(
                id=filter_id(dim, chosen),
                label=w[dim],
                placeholder=w["all"] if not chosen else None,
                data=[{"value": v, "label": ctx.labels.dimension(dim, v)} for v in values],
                value=chosen,
                clearable=True,
                searchable=True,
                w=_chips_width([ctx.labels.dimension(dim, v) for v in chosen]),
                size="sm",
                maxDropdownHeight=320,
            )
        )
    chosen = sum(len(v) for v in ctx.view.filters.values())
    summary = ctx.labels.period_name(ctx.period)
    if chosen:
        summary += " · " + ngettext(ctx.lang, "{n} chosen", "{n} chosen", chosen)
    # phones: the filters fold into a drawer behind one line saying what is chosen
    return html.Div(
        [
            html.Button(
                [html.Span(w["filters"], className="filters-word"), " · ", summary],
                className="filters-button",
                id="filters-button",
            ),
            html.Div(items, className="filter-bar", id="filter-bar"),
        ],
        className="filter-drawer",
    )


def date_range(ctx: PageContext):
    """Any span of days (``period=2026-09-01..2026-09-10``), picked on a calendar."""
    span = call_span(ctx.con, ctx.centre)
    ranged = ".." in (ctx.view.period_text or "")
    days = [ctx.period.start.isoformat(), ctx.period.end.isoformat()] if ranged else [None, None]
    return dmc.DatePickerInput(
        id=filter_id("range", days),
        label=ctx.w["dates"],
        type="range",
        value=days,
        placeholder=ctx.w["pick_dates"],
        valueFormat="YYYY-MM-DD",
        minDate=span[0].date().isoformat() if span else None,
        maxDate=span[1].date().isoformat() if span else None,
        allowSingleDateInRange=True,
        w=170,
        size="sm",
    )


def as_of_stamp(ctx: PageContext) -> html.Div:
    """The latest call in the store and the time of the last load, with a warning when
    the load is older than the refresh interval."""
    w = ctx.w
    zone = ctx.centre.tz
    span = call_span(ctx.con, ctx.centre)
    latest = span[1] if span else None
    loaded = snapshot_cache.read(
        ctx.con,
        ("last load", ctx.centre.centre_id),
        lambda: ctx.con.execute(
            "SELECT max(coalesce(finished_at, started_at)) FROM ingest_batches WHERE centre_id = ?",
            [ctx.centre.centre_id],
        ).fetchone()[0],
        tables=("ingest_batches",),
    )
    parts = [w["data_as_of"] + " "]
    parts.append(
        html.Span(
            moment(latest.astimezone(zone), ctx.lang) if latest else "—",
            id="as-of-latest",
        )
    )
    parts.append(f" · {w['last_load']} ")
    parts.append(
        html.Span(
            moment(loaded.astimezone(zone), ctx.lang) if loaded else w["never_loaded"],
            id="as-of-load",
        )
    )
    children = [html.Div(parts, className="as-of")]
    hours = ctx.app.settings.refresh_hours
    if loaded is None or dt.datetime.now(dt.UTC) - loaded > dt.timedelta(hours=hours):
        children.append(
            html.Div(
                ngettext(
                    ctx.lang,
                    "The last load is older than {n} hour: these figures may be out of date.",
                    "The last load is older than {n} hours: these figures may be out of date.",
                    hours,
                ),
                className="stale-warning",
                id="stale-warning",
            )
        )
    return html.Div(children, className="as-of-box")


def filter_id(name: str, built) -> dict:
    """The id of a view filter: ``name`` is its key in the URL, ``built`` the value the
    page was built with (kept as JSON, which an id may hold), for ``apply_filters``."""
    return {"type": "view-filter", "name": name, "built": json.dumps(built)}


FILTERS = {"type": "view-filter", "name": ALL, "built": ALL}


def register_callbacks(app) -> None:
    app.callback(
        Output("url", "href"),
        Input(FILTERS, "value"),
        State(FILTERS, "id"),
        State("url", "href"),
        prevent_initial_call=True,
    )(apply_filters)


def apply_filters(values, ids, href):
    """Write the filters into the URL once a user changed one; the page is rebuilt from it.

    Dash also calls this when a page's filters mount: inputs arriving in a new part of
    the layout fire their callbacks whatever ``prevent_initial_call`` says, when the
    output (the URL) was on the page before them. Their values then are the ones the
    page was built with, which the URL already means: writing them (a default period,
    the planner's week) built every page twice and lost what a user did meanwhile."""
    chosen = {i["name"]: v for i, v in zip(ids, values, strict=True)}
    built = {i["name"]: _built(i) for i in ids}
    if not href or all(_same(chosen[name], built[name]) for name in chosen):
        return no_update
    return filtered_href(href, chosen, built)


def _built(filter_id: dict):
    """The value a filter was built with (``filter_id``); ``...`` if its id lacks one."""
    try:
        return json.loads(filter_id.get("built", ""))
    except (TypeError, ValueError):
        return ...


def _same(value, built) -> bool:
    def empty(v):
        return v in (None, "", []) or (isinstance(v, list) and not any(v))

    return (empty(value) and empty(built)) or value == built


def filtered_href(href: str, chosen: dict, built: dict | None = None) -> str:
    """``href`` with the chosen filter values (lists joined by commas; empty removes).
    ``built``: the values the page was built with, which include the centre and period
    the URL may leave to their defaults."""
    parts = urlsplit(href)
    query = dict(parse_qsl(parts.query))
    shown = query | {k: v for k, v in (built or {}).items() if isinstance(v, str)}
    chosen = dict(chosen)
    days = chosen.pop("range", None)
    if days and len(days) == 2 and all(days):
        if chosen.get("period") in (None, shown.get("period")):  # the calendar was used
            chosen["period"] = f"{str(days[0])[:10]}..{str(days[1])[:10]}"
    for name, value in chosen.items():
        if isinstance(value, list):
            value = ",".join(value)
        if value:
            query[name] = value
        else:
            query.pop(name, None)
    if "centre" in chosen and chosen["centre"] != shown.get("centre"):
        for dim in CALL_FILTERS:  # another centre's codes differ
            query.pop(dim, None)
    new = urlunsplit(("", "", parts.path, urlencode(query), ""))
    old = urlunsplit(("", "", parts.path, parts.query, ""))
    return no_update if new == old else new
