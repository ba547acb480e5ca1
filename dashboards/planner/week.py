"""Which week the planner works on: a week of the centre's history (``?week=YYYY-MM-DD``,
calibrated from the store as ``cca calibrate`` does; its plan is the staffing table, else
the calibration's staffing) or an installed scenario pack (``?scenario=NAME``).

The page keeps ``{"centre", "source"}`` in its ``planner-source`` store; every callback
resolves it again on the server (``planner_source``): the centre must be one the user
may see, the source a week or an installed pack, never a path a client sends.
"""

from __future__ import annotations

import datetime as dt

import dash_mantine_components as dmc
from dash import html

from analytics.centres import get_centre
from analytics.translation import N_, gettext, speaks_source
from dashboards.auth import Forbidden
from dashboards.context import app_context, centre_for
from dashboards.frame import PageContext, filter_id
from dashboards.planner.words import t
from simulation.planning.whatif import week_from_scenario, week_from_store
from simulation.queue.scenario_file import SCENARIO_DIR, load_scenario

# where a week's agents came from, in short (by the calibration's proxy name): the
# calibration's own account is English only (translation.speaks_source)
AGENTS_FROM = {
    "table": N_("the staffing table (mean agents available)"),
    "fit": N_(
        "the Erlang A agents that lose the observed share of abandoned calls in each interval "
        "(no staffing table)"
    ),
    "busy": N_("the agents busy on calls (no staffing table)"),
    "shifts": N_(
        "the agents present from the first call to the last, with no gap over 30 minutes "
        "(no staffing table)"
    ),
    "answering": N_("the number of agents who answered calls (no staffing table)"),
    "erlang_a": N_("Erlang A for an 80% service level (no staffing table and no agent numbers)"),
}


def week_source(week, lang: str, centre_name: str = "") -> str:
    """Where the week and its plan came from, in the reader's language, the centre by
    its name."""
    if not week.origin:
        return week.source
    if speaks_source(lang):
        if week.origin[0] == "history" and centre_name:
            return week.source.replace(f" {week.origin[1]} ", f" {centre_name}, ", 1)
        return week.source
    if week.origin[0] == "scenario":
        return gettext(lang, "scenario {name}", name=week.origin[1])
    _, centre_id, period, proxy = week.origin
    return gettext(
        lang,
        "calibrated from the history of {centre} for {period}; agents: {agents}",
        centre=centre_name or centre_id,
        period=period,
        agents=gettext(lang, AGENTS_FROM[proxy]) if proxy in AGENTS_FROM else proxy,
    )


def store_weeks(con, centre, limit: int = 12) -> list[dt.date]:
    """Sundays that start a week with calls, newest first."""
    rows = con.execute(
        "SELECT min(arrived_at), max(arrived_at) FROM calls WHERE centre_id = ?",
        [centre.centre_id],
    ).fetchone()
    if rows[0] is None:
        return []
    first, last = (r.astimezone(centre.tz).date() for r in rows)
    sunday = last - dt.timedelta(days=(last.weekday() + 1) % 7)
    weeks = []
    while sunday + dt.timedelta(days=6) >= first and len(weeks) < limit:
        weeks.append(sunday)
        sunday -= dt.timedelta(days=7)
    return weeks


def scenario_names() -> list[str]:
    """The installed scenario packs, by name: the only scenarios a page loads (never a
    path a client sends)."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))


def checked_source(source: str | None) -> str:
    """``week:YYYY-MM-DD`` or ``scenario:NAME`` of an installed pack, else ValueError
    (whose message names no file and echoes nothing of one)."""
    kind, _, value = str(source or "").partition(":")
    if kind == "week":
        try:
            return "week:" + dt.date.fromisoformat(value).isoformat()
        except ValueError:
            raise ValueError(f"week {value[:40]!r}: give a date as YYYY-MM-DD") from None
    if kind == "scenario" and value in scenario_names():
        return "scenario:" + value
    known = ", ".join(scenario_names())
    raise ValueError(f"scenario {value[:40]!r}: not a scenario pack (known: {known})")


def planner_source(source) -> tuple[str, str]:
    """(centre id, source) of the page's ``planner-source`` store, decided on the server:
    the centre must be one the signed-in user may see (``centre_for``), the source a week
    of history or an installed pack. Every planner callback starts here."""
    if not isinstance(source, dict):
        raise Forbidden("no planner source")
    centre_id = centre_for(source.get("centre"))
    try:
        return centre_id, checked_source(source.get("source"))
    except ValueError as exc:
        raise Forbidden(str(exc)) from None


def load_week(centre_id: str, source: str):
    """The planner's week for ``source`` (``week:YYYY-MM-DD`` or ``scenario:NAME``),
    built once per version of the store (calibrating a week takes a second or two)."""
    app = app_context()

    def build():
        kind, _, value = checked_source(source).partition(":")
        if kind == "scenario":
            return week_from_scenario(load_scenario(SCENARIO_DIR / f"{value}.toml"), days=7)
        with app.store.reader() as con:
            centre = get_centre(con, centre_id)
            return week_from_store(con, centre, dt.date.fromisoformat(value))

    return app.memo(("planner-week", centre_id, source), build)


def source_of(query: dict, weeks: list[dt.date]) -> str | None:
    """The source the URL asks for, else the newest whole week of history: the week
    picker's ``plan-source`` (written when a planner picks one) before a link's
    ``scenario`` or ``week``."""
    if query.get("plan-source"):
        return str(query["plan-source"])
    if query.get("scenario"):
        return "scenario:" + query["scenario"]
    if query.get("week"):
        return "week:" + query["week"]
    # the newest whole week of history (the latest may still be running)
    if len(weeks) > 1:
        return "week:" + weeks[1].isoformat()
    return "week:" + weeks[0].isoformat() if weeks else None


def week_panel(ctx: PageContext, source: str, week, weeks: list[dt.date]) -> html.Div:
    """The week picker (a view filter: choosing one rebuilds the page from the URL) and
    where the week's calls and plan came from."""
    options = [{"value": "week:" + d.isoformat(), "label": ctx.labels.date(d)} for d in weeks]
    options += [
        {"value": "scenario:" + n, "label": f"{t('scenario', ctx.lang)} {n}"}
        for n in scenario_names()
    ]
    return html.Div(
        [
            dmc.Select(
                id=filter_id("plan-source", source),
                label=t("week", ctx.lang),
                data=options,
                value=source,
                w=300,
                allowDeselect=False,
            ),
            html.Div(
                week_source(week, ctx.lang, ctx.centre_name),
                className="muted",
                id="planner-week-source",
            ),
        ],
        className="panel",
    )
