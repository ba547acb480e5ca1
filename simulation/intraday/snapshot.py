"""The queue at one instant: who is waiting and who is being served, and today's calls
decided so far, read from the call log (``snapshot_from_log``) or from the live feed's
tables (``live_snapshot``, ``cca live follow``); the calls in service then get the
handling expected of them at that instant (``unknown_handling``), not the stored one.
``simulation.intraday.day`` builds the day's plan from it.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd

from analytics.centres import Centre
from analytics.records import CALL_COLUMNS
from simulation.intraday.conditional import sum_beyond
from simulation.queue.scenario import Scenario


def snapshot_sql() -> str:
    """Today's calls up to ``at`` with what was known of them then: ``decided`` (answered
    by ``at``, or gone by ``at``), the moment of answer and the handling (s). Parameters:
    centre id, day start, at."""
    return (
        "SELECT *, coalesce(answered_at, arrived_at + to_microseconds(CAST(round("
        "coalesce(wait_s, 0) * 1e6) AS BIGINT))) AS decided_at, "
        "coalesce(talk_s, 0) + coalesce(hold_s, 0) + coalesce(acw_s, 0) AS handling_s "
        "FROM calls WHERE centre_id = ? AND arrived_at >= ? AND arrived_at < ? "
        "AND outcome IN ('answered', 'abandoned', 'timeout')"
    )


def snapshot_from_log(con, centre: Centre, at: dt.datetime, category_of) -> tuple:
    """(waiting, in service, today's decided calls) at ``at`` from the call log:
    ``waiting`` and ``in_service`` as (scenario category, elapsed s) pairs,
    ``category_of`` mapping a stored category to the scenario's."""
    local = at.astimezone(centre.tz)
    midnight = dt.datetime.combine(local.date(), dt.time(0), tzinfo=centre.tz)
    frame = con.execute(snapshot_sql(), [centre.centre_id, midnight, at]).df()
    if frame.empty:
        return (), (), pd.DataFrame(columns=[*CALL_COLUMNS, "centre_id"])
    at_ts = pd.Timestamp(at)
    decided_at = pd.to_datetime(frame["decided_at"], utc=True)
    arrived = pd.to_datetime(frame["arrived_at"], utc=True)
    decided = decided_at <= at_ts
    waiting = tuple(
        (category_of(c), float((at_ts - a).total_seconds()))
        for c, a in zip(frame["category"][~decided], arrived[~decided], strict=True)
    )
    answered = (frame["outcome"] == "answered") & decided
    ends = decided_at + pd.to_timedelta(frame["handling_s"], unit="s")
    busy = answered & (ends > at_ts)
    in_service = tuple(
        (category_of(c), float((at_ts - s).total_seconds()))
        for c, s in zip(frame["category"][busy], decided_at[busy], strict=True)
    )
    actual = frame.loc[decided, [*CALL_COLUMNS, "centre_id"]].reset_index(drop=True)
    # the rows of the calls in service: their stored handling is not known yet at `at`
    actual.attrs["in_service_rows"] = np.flatnonzero(busy[decided].to_numpy()).tolist()
    return waiting, in_service, actual


LIVE_ON_SHIFT = ("available", "ringing", "on_call", "wrap_up")  # live_agent_state.state
LIVE_BUSY = ("ringing", "on_call", "wrap_up")
LIVE_MAX_GAP_S = 900  # the live tables describe the moment of their feeds' last event


def live_snapshot(con, centre: Centre, at: dt.datetime) -> dict:
    """The queue at ``at`` from the live feed's tables (``cca live follow``): ``waiting``
    ((stored category, elapsed s) of each caller in ``live_calls_waiting``),
    ``in_service`` (elapsed s of each agent ringing, on a call or in wrap-up, since that
    state began), ``on_shift`` (agents available, ringing, on a call or in wrap-up) and
    ``by_state``. ``ValueError`` saying what to use when the store has no live state of
    the centre or ``at`` is not the moment the tables describe."""
    try:
        agents = con.execute(
            "SELECT state, since FROM live_agent_state WHERE centre_id = ?", [centre.centre_id]
        ).fetchall()
        newest = con.execute(
            "SELECT max(last_event_at) FROM live_feed_health WHERE centre_id = ?",
            [centre.centre_id],
        ).fetchone()[0]
    except duckdb.CatalogException:  # a store from before the live tables' migration
        agents, newest = [], None
    if not agents:
        raise ValueError(
            "--staffing live reads the live feed's agent states (cca live follow), and "
            f"this store has none for centre {centre.centre_id}: use --staffing presence "
            "(agents read off the call log), table (the staffing table) or roster"
        )
    moment = newest or max(s for _, s in agents)
    if abs((at - moment).total_seconds()) > LIVE_MAX_GAP_S:
        raise ValueError(
            f"--staffing live: centre {centre.centre_id}'s live tables hold the queue as of "
            f"{moment.astimezone(centre.tz):%Y-%m-%d %H:%M} (its feeds' last event), not "
            f"{at.astimezone(centre.tz):%Y-%m-%d %H:%M}: leave out --at to project from now, "
            "or use --staffing presence for another moment"
        )
    waiting = [
        (category, max((at - entered).total_seconds(), 0.0))
        for category, entered in con.execute(
            "SELECT category, entered_at FROM live_calls_waiting WHERE centre_id = ? "
            "ORDER BY entered_at",
            [centre.centre_id],
        ).fetchall()
    ]
    by_state: dict[str, int] = {}
    for state, _ in agents:
        by_state[state] = by_state.get(state, 0) + 1
    return {
        "waiting": waiting,
        "in_service": [
            max((at - since).total_seconds(), 0.0) for st, since in agents if st in LIVE_BUSY
        ],
        "on_shift": sum(n for st, n in by_state.items() if st in LIVE_ON_SHIFT),
        "by_state": by_state,
    }


def unknown_handling(actual: pd.DataFrame, scenario: Scenario, in_service, seed: int = 0):
    """``actual`` with the calls in service at ``at`` (``in_service_rows``) given the
    handling time expected of them then (their category's handling beyond what they had
    already taken, ``sum_beyond``, mean of 400 draws) instead of the stored one, which
    was not known at ``at``."""
    rows = actual.attrs.get("in_service_rows") or []
    if not rows:
        return actual
    rng = np.random.default_rng(seed)
    by_name = {c.name: c for c in scenario.categories}
    expected = []
    for category, elapsed in in_service:
        c = by_name.get(category, scenario.categories[0])
        parts = [d for d in (c.talk, c.hold, c.acw) if d is not None]
        expected.append(float(np.mean(sum_beyond(parts, rng, np.full(400, float(elapsed))))))
    actual = actual.copy()
    for col in ("talk_s", "hold_s", "acw_s"):
        actual[col] = actual[col].astype(float)
    actual.loc[rows, "talk_s"] = expected
    actual.loc[rows, ["hold_s", "acw_s"]] = np.nan
    return actual
