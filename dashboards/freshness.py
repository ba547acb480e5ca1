"""How old the data are, and what a page says when they are old or when nothing matches.

``analytics.freshness.data_age`` measures the latest call against now in the centre's
zone, counting only the centre's opening hours (a centre closed for the weekend is not "two days behind" on
Sunday morning). When a whole working day or more of open time has passed without a
call, every page, the wallboard and the exports say so (``stale_notice``), with the day
of the latest call and how long ago it was.

``empty_notice`` replaces a page of dashes: a period without any call ("today" before
the first call) says so and names the latest day with calls; a filter combination that
matches nothing says "no calls match" and offers each filter's removal, with the calls
each removal would bring back (counts from the KPI layer).
"""

from __future__ import annotations

import datetime as dt

import dash_mantine_components as dmc
from dash import dcc, html

from analytics.centres import Centre
from analytics.freshness import DataAge, data_age, has_calls_in, latest_call
from analytics.translation import ngettext
from dashboards.words import words

__all__ = ["DataAge", "data_age", "empty_notice", "now_at", "page_notice", "stale_notice"]


def now_at(centre: Centre, today: dt.date | None = None) -> dt.datetime:
    """Now in the centre's zone; with a pinned ``today`` (tests, demos) the end of that
    day, or now if that is earlier."""
    now = dt.datetime.now(centre.tz)
    if today is None:
        return now
    end = dt.datetime.combine(today, dt.time(23, 59, 59), centre.tz)
    return min(now, end) if today >= now.date() else end


def stale_text(age: DataAge, lang: str, date_text: str) -> str | None:
    """The warning's sentence, or None when the data are current."""
    if not age.stale:
        return None
    return ngettext(
        lang,
        "The latest call is from {date} at {time}, {n} day ago: these figures stop there.",
        "The latest call is from {date} at {time}, {n} days ago: these figures stop there.",
        age.days,
        date=date_text,
        time=f"{age.latest:%H:%M}",
    )


def stale_notice(age: DataAge, lang: str, date_text: str, *, dark: bool = False):
    """A red banner with ``stale_text``; None when the data are current."""
    text = stale_text(age, lang, date_text)
    if text is None:
        return None
    return html.Div(
        [html.Strong(words(lang)["not_current"] + " "), text],
        className="data-old" + (" data-old-dark" if dark else ""),
        id="data-old",
        role="alert",
        **{"data-days": str(age.days)},
    )


def page_notice(ctx, *, dark: bool = False):
    """The frame's warning for ``ctx`` (a ``PageContext``): its centre's data age now."""
    from dashboards.context import call_span

    span = call_span(ctx.con, ctx.centre)
    if span is None:
        return None
    now = now_at(ctx.centre, ctx.app.settings.today)
    age = data_age(ctx.con, ctx.centre, now, latest=span[1])
    return stale_notice(age, ctx.lang, ctx.labels.date(span[1].date()), dark=dark)


# Which figures a page shows, to tell an empty selection from a page that has data.
PAGE_KINDS = {
    "/": "calls",
    "/categories": "calls",
    "/intraday": "calls",
    "/tickets": "tickets",
    "/sites": "both",
}


def _count(con, centre, period, filters: dict, kind: str) -> int:
    from dashboards.queries import call_kpis, ticket_kpis

    total = 0
    if kind in ("calls", "both"):
        known = None if filters else has_calls_in(con, centre, period)
        if known:
            return 1  # some call: the count itself is not shown
        if known is None:
            total += call_kpis(con, centre, period=period, filters=filters, percentile=False)[0][
                "offered"
            ]
    if total:
        return int(total)  # calls found: no need for the (slower) tickets
    if kind in ("tickets", "both"):
        flt = {k: v for k, v in filters.items() if k != "queue"}
        total += ticket_kpis(con, centre, period=period, filters=flt)[0]["created"] or 0
    return int(total or 0)


def empty_notice(ctx, path: str):
    """What a page shows instead of tiles of zeros and dashes, or None when the period
    and the filters match something. ``ctx`` is the frame's ``PageContext``."""
    kind = PAGE_KINDS.get(path)
    if kind is None:
        return None
    w, filters = ctx.w, ctx.view.filters
    if _count(ctx.con, ctx.centre, ctx.period, filters, kind):
        return None
    period = ctx.labels.period_name(ctx.period)
    if ctx.period.label in ("today", ctx.today.isoformat()) or ctx.period.start == ctx.today:
        period = w["today"]
    nothing = "no_calls_in" if kind != "tickets" else "no_tickets_in"
    if not filters or not _count(ctx.con, ctx.centre, ctx.period, {}, kind):
        latest = latest_call(ctx.con, ctx.centre)
        items = [html.Div(w[nothing].format(period=period), className="empty-title")]
        if latest is not None and kind != "tickets":
            month = f"{latest:%Y-%m}"
            items.append(
                html.Div(
                    [
                        w["latest_call_was"].format(date=ctx.labels.date(latest.date())) + " ",
                        dcc.Link(
                            w["show_month"].format(
                                month=ctx.labels.gregorian_month(latest.year, latest.month)
                            ),
                            href=path + ctx.view.query(period=month),
                            id="empty-latest-link",
                        ),
                    ]
                )
            )
        return dmc.Alert(items, color="blue", id="empty-period", className="empty-notice")
    widen = []
    for dim, values in filters.items():
        rest = {k: v for k, v in filters.items() if k != dim}
        n = _count(ctx.con, ctx.centre, ctx.period, rest, kind)
        chosen = ", ".join(ctx.labels.dimension(dim, v) for v in values)
        widen.append(
            html.Li(
                [
                    dcc.Link(
                        w["remove_filter"].format(filter=w[dim], values=chosen),
                        href=path + ctx.view.query(**{dim: None}),
                        className="widen-link",
                    ),
                    " — "
                    + (
                        ngettext(ctx.lang, "{n} ticket", "{n} tickets", n)
                        if kind == "tickets"
                        else ngettext(ctx.lang, "{n} call", "{n} calls", n)
                    ),
                ],
                **{"data-filter": dim},
            )
        )
    return dmc.Alert(
        [
            html.Div(w["no_match"].format(period=period), className="empty-title"),
            html.Div(w["widen"]),
            html.Ul(widen),
        ],
        color="yellow",
        id="empty-filters",
        className="empty-notice",
    )
