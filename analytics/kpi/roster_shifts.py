"""A saved ``cca roster`` result as a roster of named agents, for adherence.

``cca roster --format csv`` (or ``json``, or the planner's "Roster (CSV)") says how many agents start each shift when, and
when they take their break -- rows of ``shift, start, break_start, agents, end``, the
shift named like ``8h:1h-break`` -- but not who. Adherence is per agent, so each row is
cut into *seats* (one per agent) and every seat is given to the agent whose logged-in
time fits it best, day by day: among the agents logged in at some time from 2 hours
before the seat's start to 2 hours after its end, the assignment (Hungarian method,
``scipy.optimize.linear_sum_assignment``) that makes the sum, over seats, of
``|first log-in − start| + |last log-out − end|`` the least. An agent takes at most one
seat a day. A seat nobody can take is kept as an *unfilled* seat, an agent named
``unfilled <shift> <day> <start> #k`` who was never logged in: out of adherence, its
time unplanned shrinkage -- what the roster paid for and nobody worked.

Each seat gives the roster rows ``work`` from start to end and ``break`` from
break_start for the template's break (a break row inside a work row is planned).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections.abc import Mapping
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from analytics.centres import Centre

SHIFT_COLUMNS = ("shift", "start", "break_start", "agents", "end")
WINDOW_S = 2 * 3600
_SHIFT = re.compile(r"^\s*(\d+)(h|m|s)(?::(\d+)(h|m|s)-break)?\s*$")
_UNIT = {"h": 3600, "m": 60, "s": 1}
_FORBIDDEN = 1e12


def is_shift_roster(path: Path) -> bool:
    """True for a ``cca roster`` result (its CSV header or its JSON object)."""
    with open(path, "rb") as f:
        head = f.read(4096).lstrip(b"\xef\xbb\xbf").lstrip()
    if head.startswith(b"{"):
        return True
    first = head.split(b"\n", 1)[0].decode("utf-8", "replace").strip()
    # the planner's "Roster (CSV)" writes the same columns in another order
    return set(SHIFT_COLUMNS) <= {c.strip() for c in first.split(",")}


def break_seconds(shift: str, where: str, error=ValueError) -> int:
    """The break of a shift named as ``cca roster`` names it (``8h:1h-break``, ``6h``)."""
    m = _SHIFT.match(shift or "")
    if not m:
        raise error(f"{where}: {shift!r} is not a shift like 8h:1h-break or 6h")
    return int(m.group(3)) * _UNIT[m.group(4)] if m.group(3) else 0


def _rows(path: Path, error) -> list[tuple[str, dict]]:
    """(where, row) of the result's shift rows, from its CSV or JSON form."""
    text = path.read_text(encoding="utf-8-sig")
    if text.lstrip().startswith("{"):
        try:
            shifts = json.loads(text)["shifts"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise error(f"{path}: not a cca roster --format json result ({exc})") from None
        return [(f"{path} shifts[{i}]", r) for i, r in enumerate(shifts)]
    reader = csv.DictReader(text.splitlines())
    return [(f"{path} line {line}", r) for line, r in enumerate(reader, start=2)]


def _time(value, where: str, column: str, centre: Centre, error) -> dt.datetime:
    try:
        t = dt.datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise error(f"{where}, column {column}: {value!r} is not an ISO 8601 time") from None
    return t if t.tzinfo else t.replace(tzinfo=centre.tz)


def seats(path: Path, centre: Centre, error) -> list[dict]:
    """One seat per agent of every row: shift, start, end, break start and end."""
    out = []
    for where, row in _rows(path, error):
        start = _time(row.get("start"), where, "start", centre, error)
        end = _time(row.get("end"), where, "end", centre, error)
        if end <= start:
            raise error(f"{where}, column end: {row.get('end')!r} is not after start")
        brk = break_seconds(str(row.get("shift") or ""), f"{where}, column shift", error)
        try:
            agents = int(str(row.get("agents")).strip())
        except ValueError:
            raise error(
                f"{where}, column agents: {row.get('agents')!r} is not a whole number"
            ) from None
        b0 = row.get("break_start")
        b0 = _time(b0, where, "break_start", centre, error) if b0 not in (None, "") else None
        for k in range(1, agents + 1):
            out.append(
                {
                    "shift": row["shift"],
                    "start": start,
                    "end": end,
                    "break": (b0, b0 + dt.timedelta(seconds=brk)) if b0 and brk else None,
                    "k": k,
                }
            )
    return out


def _logged_in(con: duckdb.DuckDBPyConnection, centre: Centre, t0, t1) -> dict[str, list]:
    """Each agent's logged-in spans (from the live state history) overlapping [t0, t1)."""
    con.execute("SET TimeZone = 'UTC'")
    rows = con.execute(
        """
        WITH st AS (
            SELECT agent_id, state, started_at AS s0,
                coalesce(lead(started_at) OVER (PARTITION BY agent_id ORDER BY started_at, rowid),
                         least(now(), $t1)) AS s1
            FROM live_agent_state_history WHERE centre_id = $centre AND started_at < $t1)
        SELECT agent_id, s0, s1 FROM st
        WHERE state <> 'logged_out' AND s1 > $t0 ORDER BY agent_id, s0
        """,
        {"centre": centre.centre_id, "t0": t0, "t1": t1},
    ).fetchall()
    spans: dict[str, list] = {}
    for agent, s0, s1 in rows:
        spans.setdefault(agent, []).append((s0, s1))
    return spans


def _cost(spans: list, seat: dict) -> float:
    w0 = seat["start"] - dt.timedelta(seconds=WINDOW_S)
    w1 = seat["end"] + dt.timedelta(seconds=WINDOW_S)
    inside = [(max(s0, w0), min(s1, w1)) for s0, s1 in spans if s1 > w0 and s0 < w1]
    if not inside:
        return _FORBIDDEN
    first = min(s for s, _ in inside)
    last = max(e for _, e in inside)
    return abs((first - seat["start"]).total_seconds()) + abs((last - seat["end"]).total_seconds())


def assign(seat_list: list[dict], spans: dict[str, list], centre: Centre) -> list[str]:
    """The agent of each seat (see the module docstring), day by local day."""
    from scipy.optimize import linear_sum_assignment

    names = sorted(spans)
    who = [""] * len(seat_list)
    days: dict[dt.date, list[int]] = {}
    for i, s in enumerate(seat_list):
        days.setdefault(s["start"].astimezone(centre.tz).date(), []).append(i)
    for day_seats in days.values():
        cost = np.array(
            [[_cost(spans[a], seat_list[i]) for a in names] for i in day_seats], dtype=float
        ).reshape(len(day_seats), len(names))
        taken: dict[int, str] = {}
        if names:
            for r, c in zip(*linear_sum_assignment(cost), strict=True):
                if cost[r, c] < _FORBIDDEN:
                    taken[day_seats[r]] = names[c]
        for i in day_seats:
            s = seat_list[i]
            local = s["start"].astimezone(centre.tz)
            who[i] = taken.get(i) or f"unfilled {s['shift']} {local:%a %Y-%m-%d %H:%M} #{s['k']}"
    return who


def roster_table(rows: Mapping[str, list] | None = None) -> pa.Table:
    """The roster as the agents' KPIs read it: ``agent_id``, ``start``, ``end`` (aware
    instants), ``activity``, ``team``; ``rows``: a list per column (None: no rows)."""
    rows = rows or {}
    stamp = pa.timestamp("us", tz="UTC")
    return pa.table(
        {
            "agent_id": pa.array(rows.get("agent_id", []), pa.string()),
            "start": pa.array(rows.get("start", []), stamp),
            "end": pa.array(rows.get("end", []), stamp),
            "activity": pa.array(rows.get("activity", []), pa.string()),
            "team": pa.array(rows.get("team", []), pa.string()),
        }
    )


def read_shift_roster(
    path: str | Path, centre: Centre, con: duckdb.DuckDBPyConnection, error=ValueError
) -> pa.Table:
    """A ``cca roster`` result as the roster table :func:`analytics.kpi.agents.read_roster`
    gives (``agent_id, start, end, activity, team``), its seats given to agents."""
    path = Path(path)
    seat_list = seats(path, centre, error)
    rows: dict[str, list] = {k: [] for k in ("agent_id", "start", "end", "activity", "team")}
    if seat_list:
        t0 = min(s["start"] for s in seat_list) - dt.timedelta(seconds=WINDOW_S)
        t1 = max(s["end"] for s in seat_list) + dt.timedelta(seconds=WINDOW_S)
        who = assign(seat_list, _logged_in(con, centre, t0, t1), centre)
        for agent, s in zip(who, seat_list, strict=True):
            pieces = [("work", s["start"], s["end"])]
            if s["break"]:
                pieces.append(("break", *s["break"]))
            for activity, a, b in pieces:
                rows["agent_id"].append(agent)
                rows["start"].append(a)
                rows["end"].append(b)
                rows["activity"].append(activity)
                rows["team"].append(None)
    return roster_table(rows)
