"""Putting hand-made calls, tickets and staffing straight into a real store.

The KPI tests must not depend on the ingest (built in parallel), so they write rows
into the canonical tables through ``Store.writer()``, exactly as a load would leave
them. Times are given as local wall-clock strings of the centre's time zone.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import zoneinfo

import duckdb
import pandas as pd
import pytest

from analytics.call_log import save_centre
from analytics.centres import Centre
from analytics.kpi import rollup
from analytics.records import CALL_COLUMNS, TICKET_COLUMNS
from analytics.store import Store


def local(text: str | None, timezone: str) -> dt.datetime | None:
    """'2024-09-01 08:00[:00]' in ``timezone`` as an aware datetime."""
    if text is None:
        return None
    return dt.datetime.fromisoformat(text).replace(tzinfo=zoneinfo.ZoneInfo(timezone))


def save(store: Store, centre: Centre) -> Centre:
    with store.writer() as con:
        save_centre(con, centre)
    return centre


def insert_rows(con, table: str, columns, rows: list[list]) -> None:
    """Rows of (centre_id, *columns) into ``table`` on the writer ``con``, values bound."""
    if rows:
        placeholders = ", ".join("?" * (len(columns) + 1))
        con.executemany(
            f"INSERT INTO {table} (centre_id, {', '.join(columns)}) VALUES ({placeholders})",
            rows,
        )


def insert_call_frame(con, centre_id: str, frame: pd.DataFrame) -> None:
    """Canonical call records as a DataFrame (a simulation's, say) into the calls table
    on the writer ``con``, as a load leaves them: missing columns NULL, categories as
    plain values."""
    frame = frame.copy()
    for c in CALL_COLUMNS:
        if c not in frame:
            frame[c] = None
        elif isinstance(frame[c].dtype, pd.CategoricalDtype):
            frame[c] = frame[c].astype(object).where(frame[c].notna(), None)
    frame["centre_id"] = centre_id
    columns = ", ".join(CALL_COLUMNS)
    con.register("incoming", frame[["centre_id", *CALL_COLUMNS]])
    con.execute(
        f"INSERT INTO calls (centre_id, {columns}) SELECT centre_id, {columns} FROM incoming"
    )
    con.unregister("incoming")


def add_calls(store: Store, centre: Centre, calls: list[dict]) -> None:
    """Insert calls given as dicts (arrived_at as local text); missing columns are NULL."""
    rows = []
    for n, call in enumerate(calls):
        values = {"call_id": f"c{n}", **call}
        values["arrived_at"] = local(values["arrived_at"], centre.timezone)
        rows.append([centre.centre_id] + [values.get(c) for c in CALL_COLUMNS])
    with store.writer() as con:
        save_centre(con, centre)
        insert_rows(con, "calls", CALL_COLUMNS, rows)
        # as every write of calls does (ingest, generate): the KPIs then use the rollup
        rollup.refresh(con, centre)


def stored_calls(store: Store, centre_id: str, columns: str) -> dict[str, tuple]:
    """The stored calls of a centre as {call_id: (``columns``...)}, instants in UTC."""
    with store.reader() as con:
        con.execute("SET TimeZone = 'UTC'")
        rows = con.execute(
            f"SELECT call_id, {columns} FROM calls WHERE centre_id = ? ORDER BY call_id",
            [centre_id],
        ).fetchall()
    return {r[0]: r[1:] for r in rows}


def add_tickets(store: Store, centre: Centre, tickets: list[dict]) -> None:
    rows = []
    for n, ticket in enumerate(tickets):
        values = {"ticket_id": f"t{n}", **ticket}
        for key in ("created_at", "first_response_at", "resolved_at"):
            values[key] = local(values.get(key), centre.timezone)
        rows.append([centre.centre_id] + [values.get(c) for c in TICKET_COLUMNS])
    with store.writer() as con:
        save_centre(con, centre)
        insert_rows(con, "tickets", TICKET_COLUMNS, rows)


def add_staffing(store: Store, centre: Centre, intervals: list[tuple]) -> None:
    """(local interval start, interval_s, agents_available[, queue, site]) rows; queue
    and site default to '' (staffing kept for the whole centre)."""
    rows = []
    for start, seconds, agents, *where in intervals:
        queue, site = (*where, "", "")[:2]
        rows.append([centre.centre_id, local(start, centre.timezone), seconds, agents, agents,
                     queue, site])  # fmt: skip
    with store.writer() as con:
        save_centre(con, centre)
        con.executemany(
            "INSERT INTO staffing (centre_id, interval_start, interval_s, agents_scheduled, "
            "agents_available, queue, site) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


def write_calls_csv(path, rows: list[dict]) -> None:
    """A canonical calls CSV for ``ingest_file``: the columns of ``CALL_COLUMNS``,
    missing values left empty."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, CALL_COLUMNS, restval="")
        writer.writeheader()
        writer.writerows(rows)


def write_many_calls(path, rows: int, columns: str, first: int = 0) -> None:
    """A calls CSV of ``rows`` rows written by DuckDB (a million in a second): call_id
    C<i> arriving i seconds after 2024-01-01 00:00, then ``columns``, SQL over the row
    number i (``range(first, first + rows)``)."""
    con = duckdb.connect()
    con.execute(
        f"""
        COPY (SELECT 'C' || i AS call_id,
                     strftime(TIMESTAMP '2024-01-01' + to_seconds(i), '%Y-%m-%d %H:%M:%S')
                         AS arrived_at,
                     {columns}
              FROM range({first}, {first + rows}) t(i)) TO '{path}' (HEADER)
        """
    )
    con.close()


def assert_same(ours: list[dict], scanned: list[dict], *, exact_p90: bool = False) -> None:
    """Same rows, same keys, counts equal, ratios and means equal up to rounding
    (the rollup adds its sums in another order); with ``exact_p90`` the percentile
    must be the very same float."""
    assert len(ours) == len(scanned), (ours, scanned)
    for a, b in zip(ours, scanned, strict=True):
        assert a.keys() == b.keys()
        for name, value in a.items():
            other = b[name]
            if name == "p90_wait_s" and exact_p90:
                assert value == other, (name, value, other)
            elif isinstance(value, float) and isinstance(other, float):
                assert value == pytest.approx(other, rel=1e-12, abs=1e-9), (name, a, b)
            else:
                assert value == other, (name, a, b)


def random_calls(seed: int, zone: str, n: int, first_id: int = 0) -> list[dict]:
    """n calls over 2024-03-01..2024-05-10 local (a DST change in London and New York),
    at any minute and second, waits on whole seconds, tenths and exactly at 5, 12 and
    30 s; some categories and queues missing."""
    rng = random.Random(seed)
    tz = zoneinfo.ZoneInfo(zone)
    start = dt.datetime(2024, 3, 1, tzinfo=tz)
    rows = []
    for i in range(n):
        arrived = start + dt.timedelta(seconds=rng.randrange(71 * 86_400))
        outcome = rng.choices(["answered", "abandoned", "timeout"], [0.8, 0.17, 0.03])[0]
        wait = rng.choice([5.0, 12.0, 30.0, round(rng.expovariate(1 / 20), 1), rng.randrange(90)])
        answered = outcome == "answered"
        rows.append(
            {
                "call_id": f"c{first_id + i}",
                "arrived_at": arrived.isoformat(),
                "outcome": outcome,
                "wait_s": wait,
                "talk_s": round(rng.uniform(20, 400), 1) if answered else "",
                "hold_s": round(rng.uniform(0, 60), 1) if answered and rng.random() < 0.3 else "",
                "acw_s": rng.randrange(60) if answered else "",
                "category": rng.choice(["employer", "worker", "visitor", ""]),
                "topic": rng.choice(["permit", "visa", "fees"]),
                "queue": rng.choice(["main", "vip", ""]),
                "site": rng.choice(["manama", "muharraq"]),
                "channel": "phone",
                "agent_id": f"a{rng.randrange(8)}" if answered else "",
            }
        )
    return rows
