"""Saved forecasts: forecast runs written to the store and read back, and what they
ask of staffing (``staffing_need``) and of a simulation (``forecast_scenario``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from analytics.centres import Centre
from analytics.clock import seconds_of_day
from analytics.periods import Period
from simulation.forecasting.forecast import Forecast, interval_seconds


def save_forecast(con, centre: Centre, result: Forecast) -> int:
    """Write ``result`` to the store (tables ``forecast_runs`` and ``forecasts``, schema
    5) on a writer connection; returns the run id."""
    # the store has no sequences (DuckLake): the next run id is max + 1
    run_id = con.execute("SELECT COALESCE(max(run_id), 0) + 1 FROM forecast_runs").fetchone()[0]
    con.execute(
        "INSERT INTO forecast_runs (run_id, centre_id, kind, method, train_start, train_end, "
        "horizon_start, horizon_end, interval, group_by, dispersion) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            run_id,
            centre.centre_id,
            result.kind,
            result.method,
            result.train.start,
            result.train.end,
            result.horizon.start,
            result.horizon.end,
            result.interval,
            ",".join(result.by),
            result.phi,
        ],
    )
    v = result.value_column
    frame = result.frame
    keys = (
        frame[list(result.by)].astype(str).agg("|".join, axis=1)
        if result.by
        else pd.Series([""] * len(frame))
    )
    rows = pd.DataFrame(
        {
            "run_id": run_id,
            "centre_id": centre.centre_id,
            "interval_start": pd.to_datetime(frame["interval_start"]),
            "group_key": keys.to_numpy(),
            "value": frame[v].astype(float).to_numpy(),
            "value_low": frame[f"{v}_low"].astype(float).to_numpy(),
            "value_high": frame[f"{v}_high"].astype(float).to_numpy(),
        }
    )
    con.register("forecast_rows", rows)
    try:
        con.execute("INSERT INTO forecasts SELECT * FROM forecast_rows")
    finally:
        con.unregister("forecast_rows")
    return int(run_id)


def saved_forecast(
    con,
    centre: Centre,
    first: dt.date,
    last: dt.date,
    kind: str = "calls",
    *,
    interval: str | None = None,
    trained_before: dt.date | None = None,
) -> pd.DataFrame | None:
    """The latest saved forecast without ``--by`` covering the local days
    ``first``..``last`` (of that ``interval``, and trained on days before
    ``trained_before``, when given): ``interval_start`` (local), the value, ``…_low``,
    ``…_high`` and attributes ``run_id``, ``method``, ``interval``; None when none
    covers them."""
    sql = (
        "SELECT run_id, method, interval FROM forecast_runs WHERE centre_id = ? AND kind = ? "
        "AND group_by = '' AND horizon_start <= ? AND horizon_end >= ?"
    )
    params: list = [centre.centre_id, kind, first, last]
    if interval is not None:
        sql += " AND interval = ?"
        params.append(interval)
    if trained_before is not None:
        sql += " AND train_end < ?"
        params.append(trained_before)
    row = con.execute(sql + " ORDER BY created_at DESC, run_id DESC LIMIT 1", params).fetchone()
    if row is None:
        return None
    lo, hi = Period(first, last, "").bounds(centre.tz)
    frame = con.execute(
        "SELECT interval_start, value, value_low, value_high FROM forecasts "
        "WHERE run_id = ? AND interval_start >= ? AND interval_start < ? ORDER BY 1",
        [row[0], lo, hi],
    ).df()
    v = "offered" if kind == "calls" else "created"
    frame.columns = ["interval_start", v, f"{v}_low", f"{v}_high"]
    frame["interval_start"] = [t.astimezone(centre.tz) for t in frame["interval_start"]]
    frame.attrs.update(run_id=row[0], method=row[1], interval=row[2])
    return frame


def staffing_need(
    con,
    centre: Centre,
    frame: pd.DataFrame,
    interval: str,
    *,
    history: Period,
    targets: Sequence[str] = (),
    shrinkage: float = 0.0,
    max_abandon: float | None = None,
) -> pd.DataFrame:
    """Agents each forecast interval needs (Erlang A, ``simulation.formulas.erlang``): the
    forecast's ``offered`` calls with the AHT and the exponential patience (total wait of
    answered and abandoned calls ÷ abandons, the censored MLE) of ``history``, for
    ``targets`` (default: 80% within the centre's first threshold); ``headcount`` after
    ``shrinkage``. Columns ``interval_start``, ``calls``, ``agents``, ``headcount`` —
    the plan CSV of ``cca staff``."""
    from analytics.kpi import call_kpis
    from simulation.formulas.erlang import headcount, required_agents

    kpis = call_kpis(con, centre, period=history)[0]
    aht = kpis["aht_s"]
    if not aht:
        raise ValueError(f"centre {centre.centre_id}: no answered calls in {history.label}")
    abandoned = kpis["abandoned"] or 0
    wait = (kpis["asa_s"] or 0) * (kpis["answered"] or 0) + (
        kpis["avg_abandon_wait_s"] or 0
    ) * abandoned
    patience = wait / abandoned if abandoned else None
    from analytics.kpi import threshold_label

    first = threshold_label(centre.sl_thresholds_s[0])
    wanted = list(targets) or [f"sl_offered_{first}>=0.8"]
    per_s = interval_seconds(interval)
    rows = []
    for start, calls in zip(frame["interval_start"], frame["offered"], strict=True):
        agents = (
            required_agents(
                float(calls),
                per_s,
                aht,
                targets=wanted,
                patience_s=patience,
                max_abandon=max_abandon,
                short_abandon_s=centre.short_abandon_s,
            )
            if calls > 0.05
            else 0
        )
        agents = agents or 0
        rows.append(
            {
                "interval_start": start,
                "calls": round(float(calls), 3),
                "agents": agents,
                "headcount": headcount(agents, shrinkage) if agents else 0,
            }
        )
    return pd.DataFrame(rows)


def forecast_run(con, centre: Centre, run: int | str = "latest", kind: str = "calls"):
    """A saved forecast run of ``centre``: ``run`` is a run id or ``"latest"`` (the
    newest run of ``kind``). Returns its total per interval (the ``--by`` groups summed):
    a frame ``interval_start`` (local aware), the value (``offered`` or ``created``) and
    attributes ``run_id``, ``method``, ``interval``, ``kind``, ``train`` and ``horizon``
    (``Period``). Raises ``ValueError`` naming the run when there is none."""
    if run == "latest":
        row = con.execute(
            "SELECT run_id FROM forecast_runs WHERE centre_id = ? AND kind = ? "
            "ORDER BY created_at DESC, run_id DESC LIMIT 1",
            [centre.centre_id, kind],
        ).fetchone()
        if row is None:
            raise ValueError(
                f"centre {centre.centre_id} has no saved forecast of {kind}: "
                f"run `cca forecast --centre {centre.centre_id} --save` first"
            )
        run = row[0]
    try:
        run_id = int(run)
    except (TypeError, ValueError):
        raise ValueError(f"forecast run {run!r} is not a run id or 'latest'") from None
    info = con.execute(
        "SELECT kind, method, interval, train_start, train_end, horizon_start, horizon_end "
        "FROM forecast_runs WHERE run_id = ? AND centre_id = ?",
        [run_id, centre.centre_id],
    ).fetchone()
    if info is None:
        raise ValueError(f"forecast run {run_id}: no such run of centre {centre.centre_id}")
    run_kind, method, interval, t0, t1, h0, h1 = info
    frame = con.execute(
        "SELECT interval_start, sum(value) FROM forecasts WHERE run_id = ? "
        "GROUP BY interval_start ORDER BY interval_start",
        [run_id],
    ).df()
    value = "offered" if run_kind == "calls" else "created"
    frame.columns = ["interval_start", value]
    frame["interval_start"] = [t.astimezone(centre.tz) for t in frame["interval_start"]]
    frame.attrs.update(
        run_id=run_id,
        method=method,
        interval=interval,
        kind=run_kind,
        train=Period(t0, t1, f"{t0}..{t1}"),
        horizon=Period(h0, h1, f"{h0}..{h1}"),
    )
    return frame


def forecast_scenario(
    con,
    centre: Centre,
    frame: pd.DataFrame,
    interval: str,
    *,
    history: Period,
    first: dt.date,
    days: int = 7,
    targets: Sequence[str] = (),
):
    """A scenario of ``centre`` for ``days`` (1–7) local days from ``first`` whose calls
    per interval are the forecast's (``frame``: ``interval_start`` local, ``offered``),
    for ``simulation.planning.staffing.staffing_plan`` (what ``cca staff --forecast`` runs).

    Everything but the volume is calibrated from ``history`` (``simulation.calibration.fit``:
    caller categories, handling times, patience, opening hours); each interval's
    forecast is split over the categories by their shares of that weekday × interval in
    the history (their shares of the whole history where it had no calls then). Targets:
    ``targets`` or 80% within the centre's first threshold. Returns the scenario and the
    forecast calls that fall outside the calibrated opening hours (left out: a closed
    centre takes no calls)."""
    from analytics.kpi import threshold_label
    from simulation.calibration.fit import calibrate
    from simulation.queue.scenario import WEEKDAY_NAMES
    from simulation.queue.scenario_file import scenario_from_dict

    if not 1 <= days <= 7:
        raise ValueError(f"days {days}: a forecast is staffed a week at a time (1–7 days)")
    interval_s = interval_seconds(interval)
    if interval_s >= 86400:
        raise ValueError("a forecast by day cannot be staffed: forecast by 15, 30 or 60 min")
    slots = 86400 // interval_s
    cal = calibrate(con, centre, history, interval_s=interval_s, days=days)
    last = first + dt.timedelta(days=days - 1)
    starts = pd.to_datetime(frame["interval_start"])
    local_day = np.array([t.date() for t in starts])
    wanted = (local_day >= first) & (local_day <= last)
    if not wanted.any():
        raise ValueError(f"the forecast has no intervals in {first}..{last}")
    calls = np.zeros((7, slots))  # by ISO weekday − 1 (a week holds each weekday once)
    seen = np.zeros(7, dtype=bool)
    for t, day, v in zip(starts[wanted], local_day[wanted], frame["offered"][wanted], strict=True):
        slot = (t.hour * 3600 + t.minute * 60) // interval_s
        calls[day.isoweekday() - 1, slot] += float(v)
        seen[day.isoweekday() - 1] = True
    open_slots = np.zeros((7, slots), dtype=bool)
    for w, spans in cal.opening_hours.items():
        for a, b in spans:
            lo = seconds_of_day(a, "opening hours") // interval_s
            hi = seconds_of_day(b, "opening hours") // interval_s
            open_slots[w - 1, lo:hi] = True
    outside = float(calls[~open_slots].sum())
    calls = np.where(open_slots, calls, 0.0)
    history_rates = np.array(
        [[c.rates.get(w, (0.0,) * slots) for w in range(1, 8)] for c in cal.categories]
    )  # categories × weekdays × slots
    total = history_rates.sum(axis=0)
    overall = history_rates.sum(axis=(1, 2))
    overall = overall / overall.sum() if overall.sum() else np.full(len(overall), 1 / len(overall))
    share = np.where(
        total[None] > 0,
        history_rates / np.where(total > 0, total, 1)[None],
        overall[:, None, None],
    )
    data = dict(cal.data)
    data["name"] = f"{centre.centre_id}_forecast"[:64]
    data["description"] = (
        f"forecast calls of {centre.centre_id} for {first}..{last}; the rest calibrated "
        f"from {history.label}"
    )
    data["start"] = first
    data["days"] = days
    data["targets"] = list(targets) or [
        f"sl_offered_{threshold_label(centre.sl_thresholds_s[0])}>=0.8"
    ]
    categories = {}
    for k, (name, table) in enumerate(data["categories"].items()):
        rates = calls * share[k]
        table = dict(table)
        table["rates_by_weekday"] = {
            WEEKDAY_NAMES[w + 1]: [float(x) for x in rates[w]]
            for w in range(7)
            if seen[w] and rates[w].any()
        }
        categories[name] = table
    data["categories"] = categories
    return scenario_from_dict(data, source="forecast scenario"), outside
