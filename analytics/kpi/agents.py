"""Agent KPIs: what each agent did, and how the day kept to the roster.

From the calls (``answered``, ``aht_s`` per agent, through :func:`analytics.kpi.call_kpis`)
and from the agent-state history a live feed keeps (``live_agent_state_history``: each
state lasts until the agent's next row, the last until the end of the period or now):

* ``logged_in_s``: seconds in any state but ``logged_out``;
* ``productive_s``: seconds available, ringing, on a call or in wrap-up;
* ``handling_s``: seconds ringing, on a call or in wrap-up;
* ``occupancy``: handling_s / productive_s (busy share of the time the agent could take
  calls; null with no productive time);
* ``paused_s`` and ``paused_s_<reason>``: seconds on a break, in all and per reason.

**Adherence** to a roster (``read_roster``: rows of ``agent_id, start, end, activity``,
optionally ``team``, or a saved ``cca roster`` result whose seats are given to the agents
who worked them, :mod:`analytics.kpi.roster_shifts`; ``activity`` ``work`` is on the phones, anything else -- ``break``,
``lunch``, ``training`` -- is a planned absence; a break row inside a work row overrides
it). At each instant an agent scheduled to work is *in adherence* when in a productive
state; scheduled for anything else, when paused or logged out. A deviation within
``grace_s`` after a scheduled change (a shift's start or end, a break's start or end) is
forgiven. Per interval: ``scheduled_s``, ``adherent_s``, ``in_adherence`` (no
unforgiven deviation) and ``adherence`` = adherent_s / scheduled_s.

**Measured shrinkage** per interval, of the scheduled (paid) time: ``shrinkage`` = 1 −
productive time within it / scheduled_s; ``planned_shrinkage`` = the roster's breaks /
scheduled_s; ``unplanned_shrinkage`` = shrinkage − planned_shrinkage (absence, late
log-ins, unplanned pauses; negative when breaks were skipped). The planner's shrinkage
lever is ``shrinkage`` over a period.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from analytics.calendars import registered
from analytics.centres import Centre
from analytics.kpi.calls import call_kpis
from analytics.kpi.roster_shifts import roster_table
from analytics.periods import Period

PRODUCTIVE = ("available", "ringing", "on_call", "wrap_up")
HANDLING = ("ringing", "on_call", "wrap_up")
AWAY = ("paused", "logged_out")
AGENT_DIMENSIONS = ("agent_id", "team")
DEFAULT_GRACE_S = 300.0


class RosterError(ValueError):
    """A roster file that cannot be read (the message names file, line and column)."""


def read_roster(
    path: str | Path, centre: Centre, con: duckdb.DuckDBPyConnection | None = None
) -> pa.Table:
    """A roster CSV (``agent_id,start,end,activity[,team]``; times ISO 8601, local to the
    centre when they carry no offset) as a table of aware instants; or a saved ``cca
    roster`` result (``--format csv`` or ``json``), its seats given to the agents of the
    state history read through ``con`` (:mod:`analytics.kpi.roster_shifts`)."""
    from analytics.kpi.roster_shifts import is_shift_roster, read_shift_roster

    path = Path(path)
    try:
        shifts = is_shift_roster(path)
    except OSError as exc:
        raise RosterError(f"{path}: {exc.strerror}") from None
    if shifts:
        if con is None:
            raise RosterError(f"{path}: a cca roster result needs the agents' states to name")
        return read_shift_roster(path, centre, con, RosterError)
    rows = {"agent_id": [], "start": [], "end": [], "activity": [], "team": []}
    try:
        f = open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise RosterError(f"{path}: {exc.strerror}") from None
    with f:
        reader = csv.DictReader(f)
        missing = {"agent_id", "start", "end", "activity"} - set(reader.fieldnames or ())
        if missing:
            raise RosterError(f"{path} line 1: missing column(s) {', '.join(sorted(missing))}")
        for line, row in enumerate(reader, start=2):
            times = []
            for column in ("start", "end"):
                value = (row[column] or "").strip()
                try:
                    t = dt.datetime.fromisoformat(value)
                except ValueError:
                    raise RosterError(
                        f"{path} line {line}, column {column}: {value!r} is not an ISO 8601 time"
                    ) from None
                times.append(t if t.tzinfo else t.replace(tzinfo=centre.tz))
            if times[1] <= times[0]:
                raise RosterError(
                    f"{path} line {line}, column end: {row['end']!r} is not after start"
                )
            agent = (row["agent_id"] or "").strip()
            if not agent:
                raise RosterError(f"{path} line {line}, column agent_id: is empty")
            rows["agent_id"].append(agent)
            rows["start"].append(times[0])
            rows["end"].append(times[1])
            rows["activity"].append((row["activity"] or "work").strip().lower() or "work")
            rows["team"].append((row.get("team") or "").strip() or None)
    return roster_table(rows)


def _pieces_sql(roster: str, interval_s: int) -> str:
    """Each agent's time cut at every state change, roster change, grace end and
    interval boundary: (agent, p0, p1, state, reason, activity, forgiven)."""
    q = f"to_timestamp(floor(epoch($start) / {interval_s}) * {interval_s})"
    return f"""
    WITH st AS (
        SELECT agent_id, state, reason, started_at AS s0,
            coalesce(lead(started_at) OVER (PARTITION BY agent_id ORDER BY started_at, rowid),
                     $end) AS s1
        FROM live_agent_state_history WHERE centre_id = $centre AND started_at < $end),
    st_in AS (SELECT * FROM st WHERE s1 > $start),
    ro AS (SELECT agent_id, activity, start AS r0, "end" AS r1 FROM {roster}
           WHERE "end" > $start AND start < $end),
    agents AS (SELECT agent_id FROM st_in UNION SELECT agent_id FROM ro),
    changes AS (SELECT agent_id, r0 AS t FROM ro UNION SELECT agent_id, r1 FROM ro),
    b AS (
        SELECT agent_id, greatest(s0, $start) AS t FROM st_in
        UNION SELECT agent_id, t FROM changes
        UNION SELECT agent_id, t + to_microseconds(($grace * 1e6)::BIGINT) FROM changes
        UNION SELECT a.agent_id, g.t FROM agents a,
            (SELECT unnest(generate_series({q}, $end, INTERVAL {interval_s} SECOND)) AS t) g
        UNION SELECT agent_id, $start FROM agents
        UNION SELECT agent_id, $end FROM agents),
    pieces AS (
        SELECT agent_id, t AS p0, lead(t) OVER (PARTITION BY agent_id ORDER BY t) AS p1
        FROM b WHERE t >= $start AND t <= $end)
    SELECT p.agent_id, p.p0, p.p1, epoch(p.p1) - epoch(p.p0) AS secs,
        to_timestamp(floor(epoch(p.p0) / {interval_s}) * {interval_s}) AS interval_start,
        (SELECT any_value(state) FROM st_in s WHERE s.agent_id = p.agent_id
             AND s.s0 <= p.p0 AND p.p0 < s.s1) AS state,
        (SELECT any_value(reason) FROM st_in s WHERE s.agent_id = p.agent_id
             AND s.s0 <= p.p0 AND p.p0 < s.s1) AS reason,
        -- a planned absence inside a shift overrides the shift
        (SELECT arg_max(activity, (activity <> 'work')::INT) FROM ro r
             WHERE r.agent_id = p.agent_id AND r.r0 <= p.p0 AND p.p0 < r.r1) AS activity,
        EXISTS (SELECT 1 FROM changes c WHERE c.agent_id = p.agent_id AND c.t <= p.p0
             AND p.p0 < c.t + to_microseconds(($grace * 1e6)::BIGINT)) AS forgiven
    FROM pieces p WHERE p.p1 IS NOT NULL AND p.p1 > p.p0
    """


def _teams(roster: pa.Table) -> dict[str, str]:
    return {
        a: t
        for a, t in zip(
            roster.column("agent_id").to_pylist(), roster.column("team").to_pylist(), strict=True
        )
        if t
    }


def _window(centre: Centre, period: Period, now: dt.datetime | None) -> tuple:
    start, end = period.bounds(centre.tz)
    now = now or dt.datetime.now(dt.UTC)
    return start, min(end, max(now, start))


def _pieces(con, centre, period, roster, grace_s, interval_s, now):
    start, end = _window(centre, period, now)
    con.execute("SET TimeZone = 'UTC'")
    with registered(con, roster=roster if roster is not None else roster_table()) as names:
        return con.execute(
            _pieces_sql(names["roster"], interval_s),
            {
                "centre": centre.centre_id,
                "start": start,
                "end": end,
                "grace": float(grace_s),
            },
        ).fetchall()


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def adherence_intervals(
    con: duckdb.DuckDBPyConnection,
    centre: Centre,
    period: Period,
    roster: pa.Table,
    *,
    by: str = "agent_id",
    grace_s: float = DEFAULT_GRACE_S,
    interval_s: int = 900,
    now: dt.datetime | None = None,
) -> list[dict]:
    """Adherence and measured shrinkage per interval and agent (or team); see the module
    docstring. Rows: the group, ``interval_start`` (local), ``scheduled_s``,
    ``adherent_s``, ``in_adherence``, ``adherence``, ``productive_s``, ``planned_break_s``,
    ``shrinkage``, ``planned_shrinkage``, ``unplanned_shrinkage``."""
    if by not in AGENT_DIMENSIONS:
        raise ValueError(f"agents by {by!r}: use agent_id or team")
    teams = _teams(roster)
    acc: dict[tuple, dict[str, float]] = {}
    for agent, _p0, _p1, secs, q, state, _reason, activity, forgiven in _pieces(
        con, centre, period, roster, grace_s, interval_s, now
    ):
        if activity is None:
            continue
        group = agent if by == "agent_id" else teams.get(agent)
        a = acc.setdefault(
            (group, q), {"scheduled": 0.0, "adherent": 0.0, "productive": 0.0, "planned": 0.0}
        )
        working = activity == "work"
        productive = state in PRODUCTIVE
        matches = productive if working else (state is None or state in AWAY)
        a["scheduled"] += secs
        a["adherent"] += secs if (matches or forgiven) else 0.0
        a["productive"] += secs if productive else 0.0
        a["planned"] += 0.0 if working else secs
    rows = []
    for (group, q), a in sorted(acc.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        shrinkage = _ratio(a["scheduled"] - a["productive"], a["scheduled"])
        planned = _ratio(a["planned"], a["scheduled"])
        rows.append(
            {
                by: group,
                "interval_start": q.astimezone(centre.tz),
                "scheduled_s": a["scheduled"],
                "adherent_s": a["adherent"],
                "in_adherence": a["adherent"] >= a["scheduled"] - 1e-6,
                "adherence": _ratio(a["adherent"], a["scheduled"]),
                "productive_s": a["productive"],
                "planned_break_s": a["planned"],
                "shrinkage": shrinkage,
                "planned_shrinkage": planned,
                "unplanned_shrinkage": (
                    shrinkage - planned if shrinkage is not None and planned is not None else None
                ),
            }
        )
    return rows


def agent_kpis(
    con: duckdb.DuckDBPyConnection,
    centre: Centre,
    period: Period,
    *,
    by: str = "agent_id",
    roster: pa.Table | None = None,
    grace_s: float = DEFAULT_GRACE_S,
    now: dt.datetime | None = None,
) -> list[dict]:
    """One row per agent (or team): calls ``answered``, ``aht_s``, ``logged_in_s``,
    ``productive_s``, ``handling_s``, ``occupancy``, ``paused_s`` and ``paused_s_<reason>``;
    with a roster also ``scheduled_s``, ``adherence``, ``intervals_in_adherence``,
    ``intervals_scheduled``, ``shrinkage``, ``planned_shrinkage``, ``unplanned_shrinkage``."""
    if by not in AGENT_DIMENSIONS:
        raise ValueError(f"agents by {by!r}: use agent_id or team")
    teams = _teams(roster) if roster is not None else {}
    if by == "team" and roster is None:
        raise ValueError("agents by team needs a roster that names each agent's team")

    def group_of(agent):
        return agent if by == "agent_id" else teams.get(agent)

    acc: dict = {}
    reasons: set[str] = set()
    for agent, _p0, _p1, secs, _q, state, reason, _activity, _f in _pieces(
        con, centre, period, roster, grace_s, 900, now
    ):
        if state is None:
            continue
        a = acc.setdefault(
            group_of(agent),
            {"logged_in_s": 0.0, "productive_s": 0.0, "handling_s": 0.0, "paused_s": 0.0},
        )
        if state != "logged_out":
            a["logged_in_s"] += secs
        if state in PRODUCTIVE:
            a["productive_s"] += secs
        if state in HANDLING:
            a["handling_s"] += secs
        if state == "paused":
            a["paused_s"] += secs
            key = f"paused_s_{reason or 'unspecified'}"
            reasons.add(key)
            a[key] = a.get(key, 0.0) + secs
    calls = {
        r["agent_id"]: r
        for r in call_kpis(con, centre, period=period, by=("agent_id",), percentile=False)
        if r["agent_id"] is not None
    }
    answered: dict = {}
    for agent, r in calls.items():
        g = group_of(agent)
        x = answered.setdefault(g, [0, 0.0])
        x[0] += r["answered"]
        x[1] += (r["aht_s"] or 0.0) * r["answered"]
    adherence: dict = {}
    if roster is not None:
        for row in adherence_intervals(
            con, centre, period, roster, by=by, grace_s=grace_s, now=now
        ):
            x = adherence.setdefault(row[by], [0.0, 0.0, 0.0, 0.0, 0, 0])
            x[0] += row["scheduled_s"]
            x[1] += row["adherent_s"]
            x[2] += row["productive_s"]
            x[3] += row["planned_break_s"]
            x[4] += int(row["in_adherence"])
            x[5] += 1
    rows = []
    for g in sorted({*acc, *answered, *adherence} - {None}, key=str):
        a = acc.get(
            g, {"logged_in_s": 0.0, "productive_s": 0.0, "handling_s": 0.0, "paused_s": 0.0}
        )
        n, handled = answered.get(g, [0, 0.0])
        row = {
            by: g,
            "answered": n,
            "aht_s": handled / n if n else None,
            "logged_in_s": a["logged_in_s"],
            "productive_s": a["productive_s"],
            "handling_s": a["handling_s"],
            "occupancy": _ratio(a["handling_s"], a["productive_s"]),
            "paused_s": a["paused_s"],
        }
        row |= {k: a.get(k, 0.0) for k in sorted(reasons)}
        if roster is not None:
            sched, adherent, productive, planned, ok, total = adherence.get(
                g, [0.0, 0.0, 0.0, 0.0, 0, 0]
            )
            shrink = _ratio(sched - productive, sched)
            plan = _ratio(planned, sched)
            row |= {
                "scheduled_s": sched,
                "adherence": _ratio(adherent, sched),
                "intervals_in_adherence": ok,
                "intervals_scheduled": total,
                "shrinkage": shrink,
                "planned_shrinkage": plan,
                "unplanned_shrinkage": shrink - plan
                if shrink is not None and plan is not None
                else None,
            }
        rows.append(row)
    return rows


def measured_shrinkage(
    con: duckdb.DuckDBPyConnection,
    centre: Centre,
    period: Period,
    roster: pa.Table,
    *,
    grace_s: float = DEFAULT_GRACE_S,
    now: dt.datetime | None = None,
) -> dict[str, float | None]:
    """The period's shrinkage over every rostered agent (the planner's shrinkage lever)."""
    rows = adherence_intervals(con, centre, period, roster, grace_s=grace_s, now=now)
    sched = sum(r["scheduled_s"] for r in rows)
    productive = sum(r["productive_s"] for r in rows)
    planned = sum(r["planned_break_s"] for r in rows)
    shrink = _ratio(sched - productive, sched)
    plan = _ratio(planned, sched)
    return {
        "shrinkage": shrink,
        "planned_shrinkage": plan,
        "unplanned_shrinkage": shrink - plan if shrink is not None and plan is not None else None,
    }


__all__: Sequence[str] = (
    "AGENT_DIMENSIONS",
    "RosterError",
    "adherence_intervals",
    "agent_kpis",
    "measured_shrinkage",
    "read_roster",
)
