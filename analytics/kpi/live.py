"""Live KPIs: the queue as it is now, and today's running call KPIs, from followed feeds.

A followed feed (``cca live follow``, :mod:`analytics.live`) keeps callers waiting and
each agent's state in the store; these are the definitions read from them (docs/kpis.md):

* ``calls_waiting``: callers in a queue now, not yet answered;
* ``oldest_wait_s``: how long the longest-waiting of them has waited (s; null if none);
* ``agents_logged_in``: agents in any state but ``logged_out``;
* ``agents_available``, ``agents_on_call`` (ringing counts with on call: the agent is
  taken), ``agents_wrap_up``, ``agents_paused`` (a break of any reason; per reason in
  ``agents_paused_by_reason``).

The running call KPIs (``offered``, ``answered``, ``abandoned``, ``sl_offered_T``,
``asa_s``, ``aht_s``...) are the call KPIs of :mod:`analytics.kpi.calls` -- one
definition -- over the calls that have *ended* today (the centre's local day) and over
the last 30 minutes (calls that arrived in the 30 minutes up to now).

*Now* is the wall clock, or the newest event of the centre's feeds if that is later (a
log replayed or simulated faster than real time carries its own clock). A feed is
*stale* when nothing was read from it for ``STALE_AFTER_S`` while the centre is open.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import duckdb

from analytics.calendars import BusinessCalendar
from analytics.centres import Centre
from analytics.kpi.calls import call_kpis, threshold_label
from analytics.periods import Period

LIVE_KPI_NAMES = (
    "calls_waiting",
    "oldest_wait_s",
    "agents_logged_in",
    "agents_available",
    "agents_on_call",
    "agents_wrap_up",
    "agents_paused",
)
RUNNING_KPI_NAMES = ("offered", "answered", "abandoned", "sl_offered", "asa_s", "aht_s")
WINDOW_S = 1800
STALE_AFTER_S = 120.0


def running_kpi_names(centre: Centre) -> list[str]:
    """The running KPIs shown for a centre (``sl_offered`` at each of its thresholds)."""
    names = []
    for n in RUNNING_KPI_NAMES:
        if n == "sl_offered":
            names += [f"sl_offered_{threshold_label(t)}" for t in centre.sl_thresholds_s]
        else:
            names.append(n)
    return names


def _utc(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("SET TimeZone = 'UTC'")


def live_now(con: duckdb.DuckDBPyConnection, centre: Centre) -> dt.datetime:
    """Now for the centre: the wall clock, or its feeds' newest event if later."""
    _utc(con)
    newest = con.execute(
        "SELECT max(last_event_at) FROM live_feed_health WHERE centre_id = ?", [centre.centre_id]
    ).fetchall()[0][0]
    wall = dt.datetime.now(dt.UTC)
    return max(wall, newest) if newest is not None else wall


def _queue_filter(queues: Sequence[str] | None, column: str = "queue") -> tuple[str, list]:
    if not queues:
        return "", []
    return f" AND {column} IN (SELECT unnest(?))", [list(queues)]


def live_state(
    con: duckdb.DuckDBPyConnection,
    centre: Centre,
    *,
    now: dt.datetime | None = None,
    queues: Sequence[str] | None = None,
) -> dict:
    """Callers waiting and agents by state now (the names of ``LIVE_KPI_NAMES``), plus
    ``agents_paused_by_reason`` ({reason: agents}) and ``agents_ringing``."""
    now = now or live_now(con, centre)
    _utc(con)
    where, params = _queue_filter(queues)
    waiting, oldest = con.execute(
        "SELECT count(*), min(entered_at) FROM live_calls_waiting WHERE centre_id = ?" + where,
        [centre.centre_id, *params],
    ).fetchall()[0]
    agent_where = ""
    if queues:
        agent_where = " AND (len(coalesce(queues, [])) = 0 OR list_has_any(queues, ?))"
        params = [list(queues)]
    rows = con.execute(
        "SELECT state, coalesce(reason, ''), count(DISTINCT agent_id) FROM live_agent_state "
        "WHERE centre_id = ?" + agent_where + " GROUP BY ALL",
        [centre.centre_id, *params],
    ).fetchall()
    by_state: dict[str, int] = {}
    paused: dict[str, int] = {}
    for state, reason, n in rows:
        by_state[state] = by_state.get(state, 0) + n
        if state == "paused":
            paused[reason] = paused.get(reason, 0) + n
    return {
        "calls_waiting": waiting,
        "oldest_wait_s": max((now - oldest).total_seconds(), 0.0) if oldest else None,
        "agents_logged_in": sum(n for s, n in by_state.items() if s != "logged_out"),
        "agents_available": by_state.get("available", 0),
        "agents_on_call": by_state.get("on_call", 0) + by_state.get("ringing", 0),
        "agents_ringing": by_state.get("ringing", 0),
        "agents_wrap_up": by_state.get("wrap_up", 0),
        "agents_paused": by_state.get("paused", 0),
        "agents_paused_by_reason": dict(sorted(paused.items())),
    }


def running_kpis(
    con: duckdb.DuckDBPyConnection,
    centre: Centre,
    *,
    now: dt.datetime | None = None,
    window_s: float | None = None,
    queues: Sequence[str] | None = None,
) -> dict:
    """Today's call KPIs so far (``window_s`` None), or those of the calls that arrived
    in the last ``window_s`` seconds: one row of :func:`analytics.kpi.call_kpis`."""
    now = now or live_now(con, centre)
    filters = {"queue": list(queues)} if queues else None
    today = now.astimezone(centre.tz).date()
    if window_s is None:
        return call_kpis(
            con, centre, period=Period(today, today, "today"), filters=filters, percentile=False
        )[0]
    _utc(con)
    con.execute(
        "CREATE OR REPLACE TEMP VIEW live_window_calls AS SELECT * FROM calls "
        f"WHERE centre_id = '{_quoted(centre.centre_id)}' "
        f"AND arrived_at > TIMESTAMPTZ '{(now - dt.timedelta(seconds=window_s)).isoformat()}' "
        f"AND arrived_at <= TIMESTAMPTZ '{now.isoformat()}'"
    )
    try:
        return call_kpis(
            con, centre, source="live_window_calls", filters=filters, percentile=False
        )[0]
    finally:
        con.execute("DROP VIEW IF EXISTS live_window_calls")


def _quoted(text: str) -> str:
    # a view's definition cannot take bound parameters; centre ids are validated names
    return text.replace("'", "''")


def feed_health(
    con: duckdb.DuckDBPyConnection, centre: Centre | None = None, *, wall: dt.datetime | None = None
) -> list[dict]:
    """Each feed (of ``centre``, or all): lag, last event, seconds silent and ``stale``."""
    from analytics.centres import get_centre

    _utc(con)
    wall = wall or dt.datetime.now(dt.UTC)
    sql = (
        "SELECT feed_id, centre_id, format, source, last_event_at, last_read_at, checked_at, "
        "lag_s, events, malformed, unknown_call_events, duplicates FROM live_feed_health"
    )
    params: list = []
    if centre is not None:
        sql += " WHERE centre_id = ?"
        params.append(centre.centre_id)
    out = []
    for row in con.execute(sql + " ORDER BY feed_id", params).fetchall():
        (fid, cid, fmt, source, last_event, last_read, checked, lag, events, bad, unknown,
         dup) = row  # fmt: skip
        feed = {
            "feed_id": fid,
            "centre_id": cid,
            "format": fmt,
            "source": source,
            "last_event_at": last_event,
            "last_read_at": last_read,
            "checked_at": checked,
            "lag_s": lag,
            "events": events,
            "malformed": bad,
            "unknown_call_events": unknown,
            "duplicates": dup,
        }
        out.append(
            with_staleness(feed, centre if centre is not None else get_centre(con, cid), wall)
        )
    return out


def with_staleness(feed: dict, centre: Centre, wall: dt.datetime) -> dict:
    """``feed`` (a row of :func:`feed_health`) with ``silent_s`` and ``stale`` at ``wall``:
    nothing read for ``STALE_AFTER_S`` while the centre is open."""
    since = feed["last_read_at"] or feed["checked_at"]
    silent = (wall - since).total_seconds() if since else None
    return feed | {
        "silent_s": silent,
        "stale": silent is not None and silent > STALE_AFTER_S and is_open(centre, wall),
    }


def is_open(centre: Centre, at: dt.datetime) -> bool:
    """Whether the centre's calendar has it open at instant ``at``."""
    local = at.astimezone(centre.tz)
    return any(lo <= local < hi for lo, hi in BusinessCalendar(centre).opening_spans(local.date()))


def live_snapshot(
    con: duckdb.DuckDBPyConnection, centre: Centre, *, queues: Sequence[str] | None = None
) -> dict:
    """Everything a wallboard shows, in one read: ``at`` (now), ``state``
    (:func:`live_state`), ``today`` and ``last_30min`` (:func:`running_kpis`), ``feeds``."""
    now = live_now(con, centre)
    return {
        "at": now,
        "state": live_state(con, centre, now=now, queues=queues),
        "today": running_kpis(con, centre, now=now, queues=queues),
        "last_30min": running_kpis(con, centre, now=now, window_s=WINDOW_S, queues=queues),
        "feeds": feed_health(con, centre),
    }
