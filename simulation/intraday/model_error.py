"""The queue model's own day-to-day error, learnt from earlier days, in the service-level band.

The projection's band (``simulation.intraday.projection``) carries the luck of the rest of
the day (who calls, how long they talk, how long they wait) and, with ``--arrivals
forecast``, the re-forecast's error (``simulation.intraday.reforecast``). It does not carry
the model's own error: on some afternoons fewer of the agents the source gives worked
this queue than on the training days, and the service level runs off by points that no
replication draws. On the bank's February 1999 the service level's band caught the real
afternoon on 12 of 18 days where offered calls, answer rate and ASA were caught on 15.

``learn_model_error(con, centre, at, ...)`` learns that error as the re-forecast learns
its own: each of the last ``DAYS`` earlier days with calls after ``at``'s time of day is
cut there and projected with its real arrivals replayed (``--arrivals actual``: the queue
model alone) and the same staffing source; e_d = projected − real service level of the
calls arriving after the cut. What the projection's own replications explain of it (the
real afternoon is one draw of them: their p10–p90 read as a normal's) is taken off:

    s² = mean(e_d²) − mean(σ_d²)

and s is widened by Student's t for the few days it was read off
(``reforecast.small_sample_factor``). ``widen(projection, error)`` adds it to the band of
every service level of ``rest_of_day`` and, in proportion to the calls still to come, of
``day`` (the medians stay): p10 = m − √((m − p10)² + (z·s)²), and p90 alike, within 0–1.
Each earlier day's error is kept per centre, day, cut and options (and the day's calls),
so the next day's projection, a what-if or a page reload reuse it.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace
from typing import Any

from analytics.centres import Centre

DAYS = 7  # earlier days looked at
LOOK_BACK = 14  # calendar days searched for them
MIN_DAYS = 2  # fewer: no model error (the band as it was)
REPLICATIONS = 30  # per earlier day's replay
Z90 = 1.2815515655446004  # the normal's 90th percentile
_CACHE: dict[tuple, dict[str, tuple[float, float]] | None] = {}


@dataclass(frozen=True)
class ModelError:
    """``sd`` per service-level KPI name (a share: 0.05 is 5 points) beyond the
    replications' own spread, widened for the ``days`` it was learnt from."""

    sd: dict[str, float]
    days: int

    def notes(self) -> dict[str, Any]:
        return {
            "model_error_days": self.days,
            **{f"model_error_{k}": v for k, v in self.sd.items()},
        }


def arrived_kpis(con, centre: Centre, lo: dt.datetime, hi: dt.datetime, thresholds_s=None) -> dict:
    """Every call KPI (``call_kpis``) of the calls that arrived in [lo, hi)."""
    from analytics.kpi import call_kpis

    frame = con.execute(
        "SELECT * FROM calls WHERE centre_id = ? AND arrived_at >= ? AND arrived_at < ?",
        [centre.centre_id, lo, hi],
    ).df()
    name = "intraday_arrived"
    con.register(name, frame)
    try:
        return call_kpis(con, centre, source=name, thresholds_s=thresholds_s)[0]
    finally:
        con.unregister(name)


def _day_error(con, centre, at, names, thresholds_s, plan_options) -> dict | None:
    """{name: (e, σ²)} of one earlier day cut at ``at`` (None: no projection)."""
    from simulation.intraday.day import build_plan
    from simulation.intraday.projection import project

    end = dt.datetime.combine(at.date() + dt.timedelta(days=1), dt.time(0), tzinfo=at.tzinfo)
    seen = con.execute(
        "SELECT count(*), max(arrived_at) FROM calls WHERE centre_id = ? AND arrived_at >= ? "
        "AND arrived_at < ?",
        [centre.centre_id, at - dt.timedelta(days=1), end],
    ).fetchone()
    key = (centre.centre_id, at, tuple(names), tuple(sorted(plan_options.items())), seen)
    if key in _CACHE:
        return _CACHE[key]
    real = arrived_kpis(con, centre, at, end, thresholds_s)
    out = None
    if real["offered"]:
        try:
            plan = build_plan(con, centre, at, arrivals="actual", **plan_options)
        except ValueError:  # closed then, before any history, no agents
            plan = None
        if plan is not None:
            rest = project(plan, REPLICATIONS, 0, thresholds_s=thresholds_s).rest_of_day
            out = {}
            for k in names:
                m, lo, hi, r = rest[k], rest[f"{k}_p10"], rest[f"{k}_p90"], real[k]
                if None not in (m, lo, hi, r):
                    out[k] = (m - r, ((hi - lo) / (2 * Z90)) ** 2)
    if len(_CACHE) > 512:
        _CACHE.clear()
    _CACHE[key] = out
    return out


def learn_model_error(
    con, centre: Centre, at: dt.datetime, names, thresholds_s=None, **plan_options
) -> ModelError:
    """The queue model's error on the service levels ``names`` (module docstring), learnt
    on the ``DAYS`` earlier days before ``at``'s with calls after its time of day;
    ``plan_options``: ``build_plan``'s (staffing, presence_share_by, handling, …) but
    ``arrivals``. An sd of 0 with fewer than ``MIN_DAYS`` days."""
    local = at.astimezone(centre.tz)
    errors: dict[str, list[tuple[float, float]]] = {k: [] for k in names}
    days = 0
    for back in range(1, LOOK_BACK + 1):
        if days >= DAYS:
            break
        cut = local - dt.timedelta(days=back)
        cut = dt.datetime.combine(cut.date(), local.time(), tzinfo=centre.tz)
        found = _day_error(con, centre, cut, list(names), thresholds_s, plan_options)
        if not found:
            continue
        days += 1
        for k, v in found.items():
            errors[k].append(v)
    return ModelError({k: error_sd(pairs) for k, pairs in errors.items()}, days)


def error_sd(pairs) -> float:
    """s from (e_d, σ_d²) of the earlier days (module docstring): the root mean square
    error beyond the replications' own variance, widened by Student's t; 0 with fewer
    than ``MIN_DAYS``."""
    from simulation.intraday.reforecast import small_sample_factor

    if len(pairs) < MIN_DAYS:
        return 0.0
    var = sum(e * e for e, _ in pairs) / len(pairs) - sum(s for _, s in pairs) / len(pairs)
    return math.sqrt(max(var, 0.0)) * small_sample_factor(len(pairs))


def _wider(row: dict, name: str, sd: float) -> None:
    m, lo, hi = row.get(name), row.get(f"{name}_p10"), row.get(f"{name}_p90")
    if None in (m, lo, hi) or sd <= 0:
        return
    extra = (Z90 * sd) ** 2
    row[f"{name}_p10"] = max(0.0, m - math.sqrt((m - lo) ** 2 + extra))
    row[f"{name}_p90"] = min(1.0, m + math.sqrt((hi - m) ** 2 + extra))


def widen(projection, error: ModelError):
    """``projection`` with ``error`` added to its service levels' bands (module
    docstring); the medians and every other KPI as they were."""
    rest, day = dict(projection.rest_of_day), dict(projection.day)
    share = (rest.get("offered") or 0) / day["offered"] if day.get("offered") else 1.0
    for name, sd in error.sd.items():
        _wider(rest, name, sd)
        _wider(day, name, sd * min(share, 1.0))
    snapshot = {**projection.snapshot, **error.notes()}
    return replace(projection, rest_of_day=rest, day=day, snapshot=snapshot)
