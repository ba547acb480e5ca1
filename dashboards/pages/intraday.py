"""``/intraday``: today to close, weekday × interval heat maps, one day against target,
agents against need.

**Today to close** (when the period holds the centre's today): the rest of the day
simulated from the queue as the call log shows it now (``simulation.intraday``: callers
waiting, calls in service, today's calls so far, the saved forecast re-forecast, the
agents present), as each remaining interval's projected service level (median and
p10–p90 band) after the intervals so far, with the target; the day's projected close;
a what-if (``+2@13:00-17:00``) and the smallest change that closes the day at target.
Recomputed every 5 minutes and on demand (``today_panel``, a plain function), from the
current 5-minute slot: one projection per store, centre, slot and what-if, shared by every
user of the centre and every reload in that slot (``cached_projection``). The service
level's band carries the queue model's own error (``simulation.intraday.model_error``),
learnt once per interval of the day (its first slot pays seconds for it) and kept in
this process.

The heat maps fold the period onto a week (the KPI layer's ``weekly-30min`` profile, read
from the quarter-hour rollup), so a planner sees which half hours
of which weekdays are busy, miss the service level or lose callers. Below, one day
(``?day=YYYY-MM-DD``, default the period's latest day with calls): each interval's
service level against the target, and the agents the staffing table had against the
agents Erlang A needs for that interval's calls and handling time at the target.
"""

from __future__ import annotations

import datetime as dt
import threading

import dash_mantine_components as dmc
from dash import Input, Output, State, dcc, html

from analytics import kpi, snapshot_cache
from analytics.kpi import threshold_label
from analytics.translation import isolate, ngettext
from dashboards import charts, queries, targets, units
from dashboards.auth import require_page
from dashboards.callbacks import Callbacks
from dashboards.frame import PageContext, filter_id, page, register_page

PATH = "/intraday"
callbacks = Callbacks()
WEEK_ORDER = (7, 1, 2, 3, 4, 5, 6)  # Sunday first, as the Gulf's working week


def heat(rows, name, ctx: PageContext, title, *, percent):
    """A weekday × half-hour heat map of ``name``; a KPI with a target is coloured by it
    (green meets it, amber within the tolerance, red misses it) and the legend says it."""
    keyed = [(r["interval_start"].isoweekday(), f"{r['interval_start']:%H:%M}", r) for r in rows]
    slots = sorted({slot for _, slot, _ in keyed})
    days = [d for d in WEEK_ORDER if any(day == d for day, _, _ in keyed)]
    cell = {(day, slot): r.get(name) for day, slot, r in keyed}
    z = [[cell.get((d, s)) for s in slots] for d in days]
    tgt = targets.target(ctx.centre, name)
    fig = charts.heatmap(
        z,
        slots,
        [ctx.labels.weekday(d) for d in days],
        ctx.lang,
        title=title,
        percent=percent,
        target=tgt,
        legend=targets.target_text(name, tgt, ctx.lang, ctx.w["target"]) if tgt else None,
        unit=None if percent else units.calls(ctx.lang),
        height=90 + 34 * max(len(days), 3),  # the colour bar needs room for its ticks
    )
    return html.Div(
        dcc.Graph(figure=fig, config={"displayModeBar": False}, id=f"intraday-heat-{name}"),
        className="panel",
    )


def chosen_day(ctx: PageContext, text: str | None) -> dt.date | None:
    if text:
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            day = None
        if day is not None and ctx.period.start <= day <= ctx.period.end:
            return day
    return queries.latest_day_with_calls(ctx.con, ctx.centre, ctx.period.end)


TODAY_REPLICATIONS = 40
TODAY_REFRESH_MS = 5 * 60 * 1000


def projection_moment(ctx: PageContext, at_text: str | None = None) -> dt.datetime:
    """The instant the today view projects from: ``?at=HH:MM`` of the centre's today, now
    when today is the calendar's today, else noon (a store of past days)."""
    tz = ctx.centre.tz
    now = dt.datetime.now(tz)
    if at_text:
        try:
            hh, mm = (int(x) for x in at_text.split(":"))
            return dt.datetime.combine(ctx.today, dt.time(hh, mm), tzinfo=tz)
        except ValueError:
            pass
    if ctx.today == now.date():
        return now
    return dt.datetime.combine(ctx.today, dt.time(12), tzinfo=tz)


TODAY_SLOT_S = 300  # one projection per centre and 5-minute slot, shared by its users
TODAY_CACHE_SIZE = 64
_today_cache: dict[tuple, tuple] = {}
_today_locks: dict[tuple, threading.Lock] = {}
_today_guard = threading.Lock()
TODAY_CACHE_STATS = {"computed": 0, "reused": 0}


def _slot_of(at: dt.datetime) -> dt.datetime:
    """``at`` down to its 5-minute slot: the instant the today view projects from."""
    seconds = at.minute * 60 + at.second + at.microsecond / 1e6
    return at - dt.timedelta(seconds=seconds % TODAY_SLOT_S)


def cached_projection(ctx: PageContext, at: dt.datetime, change: str | None, goal: str):
    """(projection, suggestion) of the centre's today from ``at``'s 5-minute slot with
    the what-if ``change``: computed once per store, centre, slot, change, goal and the
    calls stored so far (a load in the slot recomputes), and shared by every user and
    refresh of the page in that slot (one computes while the others wait for it);
    ``ValueError`` as ``build_plan`` says."""
    from analytics.kpi import call_kpi_names
    from simulation.intraday.day import build_plan
    from simulation.intraday.model_error import model_error, widen
    from simulation.intraday.projection import project
    from simulation.intraday.whatif import apply_changes, parse_change, suggest

    changes = [parse_change(change)] if change and change.strip() else []
    path = ctx.con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = ?",
        [snapshot_cache.database_of(ctx.con)],
    ).fetchone()
    seen = ctx.con.execute(
        "SELECT count(*), max(arrived_at) FROM calls WHERE centre_id = ?", [ctx.centre.centre_id]
    ).fetchone()
    slot = _slot_of(at)
    key = (path, ctx.centre.centre_id, slot, tuple(str(c) for c in changes), goal, seen)
    with _today_guard:
        lock = _today_locks.setdefault(key, threading.Lock())
    with lock:
        if key in _today_cache:
            TODAY_CACHE_STATS["reused"] += 1
            return _today_cache[key]
        plan = build_plan(ctx.con, ctx.centre, slot)
        sl_names = [k for k in call_kpi_names(ctx.centre.sl_thresholds_s) if k.startswith("sl_")]
        # learnt once per interval of the day and kept in this process: the slots after
        # the first of an interval, the what-ifs and the other users reuse it
        error = model_error(
            ctx.con, ctx.centre, slot, sl_names, interval_s=plan.scenario.interval_s
        )
        plan = apply_changes(plan, changes)
        out = (
            widen(project(plan, TODAY_REPLICATIONS), error),
            suggest(plan, goal, replications=TODAY_REPLICATIONS // 4),
        )
        TODAY_CACHE_STATS["computed"] += 1
        with _today_guard:
            if len(_today_cache) >= TODAY_CACHE_SIZE:
                for old in list(_today_cache)[: TODAY_CACHE_SIZE // 2]:
                    _today_cache.pop(old, None)
                    _today_locks.pop(old, None)
            _today_cache[key] = out
        return out


def today_panel(ctx: PageContext, at_text: str | None = None, change: str | None = None):
    """Today to close (module docstring) as page content, in the page's language."""
    from simulation.intraday.whatif import default_target

    w, labels = ctx.w, ctx.labels
    at = projection_moment(ctx, at_text)
    first_t = threshold_label(ctx.centre.sl_thresholds_s[0])
    sl = f"sl_offered_{first_t}"
    target = ctx.targets.get(sl)
    goal = f"{sl}>={target.value}" if target else default_target(ctx.centre)
    try:
        result, found = cached_projection(ctx, at, change, goal)
    except ValueError as exc:
        return cannot_project(ctx, exc, change)
    at = _slot_of(at)
    snap = result.snapshot
    rows = result.intervals
    times = [r["interval_start"].strftime("%H:%M") for r in rows]
    so_far = queries.day_intervals(ctx.con, ctx.centre, at.date(), ctx.view.filters)
    past = [r for r in so_far if r["interval_start"] < rows[0]["interval_start"]] if rows else []
    fig = charts.figure(
        [
            {
                "type": "bar",
                "x": [r["interval_start"].strftime("%H:%M") for r in past],
                "y": [r.get(sl) for r in past],
                "name": w["today_actual"],
                "marker": {"color": "#91a7ff"},
            },
            {
                "type": "scatter",
                "x": times,
                "y": [r[f"{sl}_p90"] for r in rows],
                "mode": "lines",
                "line": {"width": 0},
                "showlegend": False,
                "hoverinfo": "skip",
            },
            {
                "type": "scatter",
                "x": times,
                "y": [r[f"{sl}_p10"] for r in rows],
                "mode": "lines",
                "line": {"width": 0},
                "fill": "tonexty",
                "fillcolor": "rgba(28,126,214,0.2)",
                "name": w["today_band"],
            },
            {
                "type": "scatter",
                "x": times,
                "y": [r[sl] for r in rows],
                "mode": "lines+markers",
                "line": {"color": charts.PALETTE[0], "width": 2},
                "name": w["today_median"],
            },
        ]
    )
    charts.base(fig, title=labels.short(sl))
    fig["layout"]["yaxis"].update({"tickformat": ".0%", "range": [0, 1.02]})
    if target is not None:
        fig["layout"]["shapes"] = [charts._target_line(target.value, "#495057")]
    fig = charts.mirrored(fig, ctx.lang)
    day = result.day

    def figure_of(name: str) -> html.Span:
        value = day.get(name)
        text = labels.value(name, value)
        low, high = (labels.value(name, day.get(f"{name}_{p}")) for p in ("p10", "p90"))
        # each value isolated: in Arabic the band reads from the right, low then high,
        # and "7.3 ث" stays whole (one isolate round both read "[ث – 14.7 ث 7.3]")
        band = f" [{isolate(low)} – {isolate(high)}]"
        return html.Div(
            [
                html.Div(labels.short(name), className="muted"),
                html.Span(text, **{"data-kpi": name, "data-scope": "projection"}),
                html.Span(band, className="muted"),
            ],
            className="kpi-card",
        )

    stamp = w["today_at"].format(
        at=_local_time(at), waiting=snap["waiting"], in_service=snap["in_service"]
    )
    advice = _advice(found, ctx.lang, w)
    return html.Div(
        [
            html.H3(w["today_to_close"]),
            html.Div(stamp, className="muted"),
            html.Div(
                [html.Div(w["today_close"])]
                + [figure_of(n) for n in ("answer_rate", sl, "abandon_rate", "asa_s")],
                className="kpi-row",
            ),
            dcc.Graph(figure=fig, config={"displayModeBar": False}, id="intraday-today-figure"),
            html.Div(
                [html.Strong(w["today_suggest"] + ": "), html.Span(advice, id="intraday-advice")]
            ),
        ]
    )


def _advice(found: dict, lang: str, w: dict[str, str]) -> str:
    """``whatif.suggest``'s finding in the reader's language (Arabic counts agents in six
    forms)."""
    from analytics.clock import hhmm
    from simulation.intraday.whatif import parse_change

    why = found.get("why")
    if why == "change":
        change = parse_change(found["change"])
        return ngettext(
            lang,
            "{agents} agent from {start} to {end}",
            "{agents} agents from {start} to {end}",
            abs(change.agents),
            agents=f"{change.agents:+d}",
            start=hhmm(change.start_s),
            end=hhmm(change.end_s),
        )
    if why == "too_many":
        return ngettext(
            lang,
            "even {agents} agent from the next interval to closing would not do it",
            "even {agents} agents from the next interval to closing would not do it",
            found["max_agents"],
            agents=f"+{found['max_agents']}",
        )
    return w.get(f"today_suggest_{why}", "") if why else ""


def cannot_project(ctx: PageContext, exc: ValueError, change: str | None):
    """Why the rest of today is not projected, in the reader's words; what to run (the
    command line's message) only in the tooltip."""
    from simulation.intraday.whatif import parse_change

    reason = getattr(exc, "reason", None)
    if reason is None and change and change.strip():
        try:
            parse_change(change)
        except ValueError:
            reason = "change"
    words = ctx.w.get(f"today_cannot_{reason}", ctx.w["today_cannot_other"])
    return dmc.Alert(
        html.Div(words, title=str(exc), id="intraday-no-projection"),
        title=ctx.w["today_cannot"],
        color="blue",
    )


def _local_time(at: dt.datetime) -> str:
    return at.strftime("%H:%M")


def today_section(ctx: PageContext, at_text: str | None):
    """The today view's frame: the panel, the what-if input, the button, the timer."""
    w = ctx.w
    if not (ctx.period.start <= ctx.today <= ctx.period.end):
        return None
    return html.Div(
        [
            html.Div(today_panel(ctx, at_text), id="intraday-today"),
            html.Div(
                [
                    dmc.TextInput(
                        id="intraday-change",
                        label=w["today_change"],
                        placeholder="+2@13:00-17:00",
                        w=320,
                    ),
                    dmc.Button(w["today_recompute"], id="intraday-recompute"),
                    html.Div(w["today_refreshes"], className="muted"),
                ],
                className="toolbar",
            ),
            dcc.Interval(id="intraday-tick", interval=TODAY_REFRESH_MS),
        ],
        className="panel",
    )


@callbacks(
    Output("intraday-today", "children"),
    Input("intraday-tick", "n_intervals"),
    Input("intraday-recompute", "n_clicks"),
    State("intraday-change", "value"),
    State("url", "search"),
    prevent_initial_call=True,
)
def recompute(_n, _clicks, change, search):
    """Rebuild the today panel (every 5 minutes, on the button, with the what-if)."""
    require_page(PATH)
    from urllib.parse import parse_qsl

    query = dict(parse_qsl((search or "").lstrip("?")))
    return page(PATH, query, lambda ctx: today_panel(ctx, query.get("at"), change), chrome=False)


register_callbacks = callbacks.register


def build_for(day_text: str | None, at_text: str | None = None):
    def build(ctx: PageContext):
        # the profile, the day and the period's row count from one read of the rollup
        with kpi.sharing_rollup(ctx.con, ctx.centre, ctx.period, ctx.period):
            return _page_body(ctx, day_text, at_text)

    return build


def _page_body(ctx: PageContext, day_text: str | None, at_text: str | None):
    w, labels = ctx.w, ctx.labels
    first_t = threshold_label(ctx.centre.sl_thresholds_s[0])
    sl = f"sl_offered_{first_t}"
    profile = queries.weekly_profile(ctx.con, ctx.centre, ctx.period, ctx.view.filters)
    if not profile:
        return dmc.Alert(w["no_data"], color="blue")
    parts = [
        today_section(ctx, at_text),
        heat(
            profile,
            "offered",
            ctx,
            w["heat_offered"].format(period=ctx.labels.period_name(ctx.period)),
            percent=False,
        ),
        html.Div(
            [
                heat(profile, sl, ctx, ctx.labels.kpi(sl), percent=True),
                heat(profile, "abandon_rate", ctx, ctx.labels.kpi("abandon_rate"), percent=True),
            ],
            className="grid-2",
        ),
    ]
    day = chosen_day(ctx, day_text)
    if day is None:
        return html.Div(parts)
    rows = queries.day_intervals(ctx.con, ctx.centre, day, ctx.view.filters)
    target = ctx.targets.get(sl)
    colours = [charts.STATUS_COLOURS[target.status(r[sl]) if target else None] for r in rows]
    starts = [r["interval_start"] for r in rows]
    days = [
        {"value": d.isoformat(), "label": labels.date(d)}
        for d in (ctx.period.start + dt.timedelta(days=i) for i in range(ctx.period.days))
    ]
    picker = dmc.Select(
        id=filter_id("day", day.isoformat()),
        label=w["day"],
        data=days[::-1],
        value=day.isoformat(),
        searchable=True,
        allowDeselect=False,
        w=260,
    )
    sl_fig = charts.bars_with_target(
        [s.strftime("%H:%M") for s in starts],
        [r[sl] for r in rows],
        colours,
        ctx.lang,
        title=f"{labels.short(sl)} — {labels.date(day)}",
        target=target.value if target else None,
        target_label=targets.target_text(sl, target, ctx.lang, w["target"]) if target else None,
    )
    period_row = queries.call_kpis(ctx.con, ctx.centre, period=ctx.period)[0]
    patience = queries.patience_estimate_s(period_row)
    interval_s = 1800
    need = queries.required_agents(
        rows,
        interval_s,
        f"{sl}>={target.value if target else 0.8}",
        patience,
        ctx.centre.short_abandon_s,
    )
    staffed = dict(queries.staffing_of_day(ctx.con, ctx.centre, day))
    times = [s.strftime("%H:%M") for s in starts]
    agents = charts.figure(
        [
            {
                "type": "bar",
                "x": times,
                "y": [staffed.get(s) for s in starts],
                "name": w["actual_agents"],
                "marker": {"color": "#91a7ff"},
            },
            {
                "type": "scatter",
                "x": times,
                "y": need,
                "name": w["required_agents"],
                "mode": "lines+markers",
                "line": {"color": charts.BAD, "width": 2, "shape": "hv"},
            },
        ]
    )
    agents = charts.base(agents, title=w["agents_vs_required"])
    agents["layout"]["yaxis"]["title"] = {"text": w["agents_unit"], "font": {"size": 12}}
    agents = charts.mirrored(agents, ctx.lang)
    parts += [
        html.Div(picker, className="panel"),
        html.Div(
            [
                html.Div(
                    dcc.Graph(
                        figure=sl_fig, config={"displayModeBar": False}, id="intraday-day-sl"
                    ),
                    className="panel",
                ),
                html.Div(
                    [
                        dcc.Graph(
                            figure=agents,
                            config={"displayModeBar": False},
                            id="intraday-agents",
                        ),
                        html.Div(w["no_staffing"], className="muted") if not staffed else None,
                    ],
                    className="panel",
                ),
            ],
            className="grid-2",
        ),
    ]
    return html.Div(parts)


def layout(**query):
    return page(PATH, query, build_for(query.get("day"), query.get("at")))


register_page(__name__, PATH, "intraday", order=20, roles=("manager", "planner"), layout=layout)
