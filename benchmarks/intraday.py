"""Speed and accuracy of the intraday projection (issue 24).

    .venv/bin/python benchmarks/intraday.py [--workers 2] [--replications 100]
    .venv/bin/python benchmarks/intraday.py --validate ../shared/datasets/anonymous_bank_1999_02.tsv

**Speed** (default). A store of the seed centre ``bahrain_lmra`` (August–September 2026
generated, a forecast saved from the days before 15 September), or ``--db``/``--centre``/
``--at``: the rest of the day from 12:00 in ``--replications`` replications on
``--workers`` processes, and a what-if re-run (``--change "+2@13:00-16:00"`` on the plan
already read). The projection carries the queue model's own error (as ``cca intraday``
does by default; ``--no-model-error`` leaves it out), learnt once per interval of the day:
the interval's first projection learns it (nothing kept), a later one reuses it (the
same numbers), and the next interval's first learns it again. Limits: at most 5 s for
the projection (reading the plan from the store included) and 2 s for the what-if.
With ``--workers`` > 1 the earlier days the model's error is learnt on are replayed on
as many processes too (``model_error(workers=)``, the same numbers). Each figure is the
best of ``--repeat`` runs, in wall-clock and in CPU seconds of this process and its
workers; on a shared machine the wall clock stretches with other processes' work (the
load average is printed with each figure), the CPU time is what the projection costs.
Both are printed with their ratio to the limit.

**Validation** (``--validate FILE``): the bank's February 1999 log (Brown et al. 2005;
``data/mappings/anonymous_bank.toml``) ingested into a temporary store; every day from the
8th with calls after 12:00 is cut at 12:00 and projected to close with the agents present
that day (``--staffing presence``):

* with ``--arrivals actual`` (the afternoon's real callers): the afternoon's answer rate
  (points) and ASA (percent) against what happened — the queue model alone;
* with ``--arrivals forecast`` (a forecast saved from the days before each day): how
  often the actual afternoon falls inside the p10–p90 band (about 80% is right), and
  how wide the band is.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

PROJECTION_LIMIT_S = 5.0
WHATIF_LIMIT_S = 2.0
KPIS = ("answer_rate", "asa_s", "sl_offered_12", "offered")


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _load() -> str:
    """The machine's load average over the last minute and its cores: on a shared
    machine the wall clock stretches with it."""
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def _timed(fn, repeat: int):
    best_wall, best_cpu, out = float("inf"), float("inf"), None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), _cpu()
        out = fn()
        best_wall = min(best_wall, time.perf_counter() - w0)
        best_cpu = min(best_cpu, _cpu() - c0)
    return best_wall, best_cpu, out


def _seed_store(path: Path):
    from analytics.centres import get_centre
    from analytics.periods import Period
    from analytics.store import Store
    from cca.commands.generate import generate
    from simulation.forecasting.forecast import forecast
    from simulation.forecasting.saved import save_forecast

    store = Store(path)
    generate(store, "bahrain_lmra", "2026-08", 2, 0, quiet=True)
    with store.writer() as con:
        centre = get_centre(con, "bahrain_lmra")
        fc = forecast(
            con, centre, train=Period(dt.date(2026, 8, 1), dt.date(2026, 9, 14), ""), horizon_days=7
        )
        save_forecast(con, centre, fc)
    return store


def speed(args) -> int:
    from analytics.centres import get_centre
    from analytics.kpi import call_kpi_names
    from analytics.store import Store
    from simulation.intraday.day import build_plan
    from simulation.intraday.model_error import forget_model_errors, model_error, widen
    from simulation.intraday.projection import project
    from simulation.intraday.whatif import apply_changes, parse_change

    tmp = None
    if args.db is None:
        tmp = tempfile.TemporaryDirectory()
        print("generating bahrain_lmra 2026-08..09 and a forecast …", file=sys.stderr)
        store = _seed_store(Path(tmp.name) / "bench.duckdb")
        centre_id, at_text = "bahrain_lmra", "2026-09-15 12:00"
    else:
        store = Store(args.db)
        centre_id, at_text = args.centre, args.at
    with store.reader() as con:
        centre = get_centre(con, centre_id)
    at = dt.datetime.fromisoformat(at_text).replace(tzinfo=centre.tz)

    names = [k for k in call_kpi_names(centre.sl_thresholds_s) if k.startswith("sl_")]

    def whole(when=at):
        with store.reader() as con:
            plan = build_plan(con, centre, when, arrivals=args.arrivals, staffing=args.staffing)
            error = None
            if not args.no_model_error:
                error = model_error(con, centre, when, names, interval_s=plan.scenario.interval_s,
                                    staffing=args.staffing, workers=args.workers)  # fmt: skip
        result = project(plan, args.replications, 0, workers=args.workers)
        return plan, result if error is None else widen(result, error)

    def first():  # nothing learnt yet: the day's first projection in this interval
        forget_model_errors()
        return whole()

    def report(what, wall, cpu, limit):
        print(
            f"{what}: {wall:.2f} s wall, {cpu:.2f} s CPU; limit {limit:.0f} s: wall "
            f"{wall / limit:.2f}x, CPU {cpu / limit:.2f}x of the limit ({_load()})"
        )
        return wall, cpu

    wall, cpu, (plan, result) = _timed(first, args.repeat)
    rest = result.rest_of_day
    print(
        f"rest of {at:%Y-%m-%d} from {at:%H:%M} at {centre_id}: {rest['offered']:.0f} calls "
        f"[{rest['offered_p10']:.0f}–{rest['offered_p90']:.0f}], {args.replications} "
        f"replications on {args.workers} worker(s); the queue model's error "
        + ("left out" if args.no_model_error else
           f"sd {result.snapshot['model_error_sl_offered_12']:.3f} on sl_offered_12 "
           f"({result.snapshot['model_error_days']} days)")
    )  # fmt: skip
    first_wall, first_cpu = report(
        "first projection of the interval (plan read + the model's error learnt + "
        "replications + KPIs)", wall, cpu, PROJECTION_LIMIT_S,
    )  # fmt: skip
    wall, cpu, (_, again) = _timed(whole, args.repeat)
    assert again.rest_of_day == result.rest_of_day  # the same numbers, the error reused
    later = report(
        "a later projection in the interval (the model's error reused)",
        wall, cpu, PROJECTION_LIMIT_S,
    )  # fmt: skip
    if not args.no_model_error:
        print(
            f"    later / first: wall {later[0] / first_wall:.2f}x, CPU {later[1] / first_cpu:.2f}x"
        )
        nxt = at + dt.timedelta(seconds=plan.scenario.interval_s)
        wall, cpu, _ = _timed(lambda: whole(nxt), 1)
        report(
            f"the next interval's first projection ({nxt:%H:%M}: learnt again, once)",
            wall, cpu, PROJECTION_LIMIT_S,
        )  # fmt: skip
    change = parse_change(args.change)
    wall, cpu, _ = _timed(
        lambda: project(apply_changes(plan, [change]), args.replications, 0, workers=args.workers),
        args.repeat,
    )
    print(
        f"what-if {change} re-run: {wall:.2f} s wall, {cpu:.2f} s CPU; limit "
        f"{WHATIF_LIMIT_S:.0f} s: wall {wall / WHATIF_LIMIT_S:.2f}x, CPU "
        f"{cpu / WHATIF_LIMIT_S:.2f}x of the limit ({_load()})"
    )
    if tmp is not None:
        tmp.cleanup()
    return 0


def validate(args) -> int:
    import numpy as np

    from analytics.centres import get_centre
    from analytics.ingest import ingest_file
    from analytics.periods import Period
    from analytics.store import Store
    from simulation.forecasting.forecast import data_days, forecast
    from simulation.forecasting.saved import save_forecast
    from simulation.intraday.day import build_plan
    from simulation.intraday.model_error import arrived_kpis, model_error, widen
    from simulation.intraday.projection import project

    tmp = tempfile.TemporaryDirectory()
    kept = args.store is not None and args.store.exists()
    store = Store(args.store or Path(tmp.name) / "bank.duckdb")
    if not kept:
        store.initialise()
        root = Path(__file__).resolve().parents[1]
        mapping = root / "data" / "mappings" / "anonymous_bank.toml"
        ingest_file(store, "calls", args.validate, "anonymous_bank", mapping=mapping)
    with store.reader() if kept else store.writer() as con:
        centre = get_centre(con, "anonymous_bank")
        first, last = data_days(con, centre)
        days = [first + dt.timedelta(days=k) for k in range(7, (last - first).days + 1)]
        for day in days if not kept else ():  # a forecast of each day from the days before it
            fc = forecast(
                con, centre, train=Period(first, day - dt.timedelta(days=1), ""), horizon_days=1
            )
            save_forecast(con, centre, fc)
    rows = []
    with store.reader() as con:
        for day in days:
            at = dt.datetime.combine(day, dt.time(12), tzinfo=centre.tz)
            end = at.replace(hour=0) + dt.timedelta(days=1)
            actual = arrived_kpis(con, centre, at, end)
            if not actual["offered"]:
                continue
            row = {"day": day, "offered": actual["offered"]}
            for mode in ("actual", "forecast"):
                try:
                    plan = build_plan(
                        con,
                        centre,
                        at,
                        arrivals=mode,
                        staffing="presence",
                        morning=args.morning,
                        presence_share_by=args.share,
                        handling=args.handling,
                    )
                except ValueError as exc:
                    print(f"{day} {mode}: {exc}", file=sys.stderr)
                    break
                result = project(plan, args.replications, 0, workers=args.workers)
                rest = result.rest_of_day
                if mode == "forecast" and not args.no_model_error:
                    c0 = _cpu()
                    error = model_error(
                        con,
                        centre,
                        at,
                        [k for k in result.kpi_names if k.startswith("sl_")],
                        interval_s=plan.scenario.interval_s,
                        staffing="presence",
                        morning=args.morning,
                        presence_share_by=args.share,
                        handling=args.handling,
                    )
                    row["model_error_cpu"] = _cpu() - c0
                    row["model_error_sd"] = error.sd.get("sl_offered_12")
                    row["model_error_days"] = error.days
                    for k in KPIS:  # the band without the model's error, for comparison
                        row[f"bare_{k}_p10"] = rest[f"{k}_p10"]
                        row[f"bare_{k}_p90"] = rest[f"{k}_p90"]
                    rest = widen(result, error).rest_of_day
                for k in KPIS:
                    row[f"{mode}_{k}"] = rest[k]
                    row[f"{mode}_{k}_p10"] = rest[f"{k}_p10"]
                    row[f"{mode}_{k}_p90"] = rest[f"{k}_p90"]
                    row[f"real_{k}"] = actual[k]
            else:
                rows.append(row)
                print(
                    f"{day} offered {actual['offered']:4d}: answer rate real "
                    f"{actual['answer_rate']:.3f} replayed {row['actual_answer_rate']:.3f} "
                    f"forecast {row['forecast_answer_rate']:.3f} "
                    f"[{row['forecast_answer_rate_p10']:.3f}–{row['forecast_answer_rate_p90']:.3f}]"
                    f"; ASA real {actual['asa_s']:.1f} replayed {row['actual_asa_s']:.1f} "
                    f"forecast {row['forecast_asa_s']:.1f} "
                    f"[{row['forecast_asa_s_p10']:.1f}–{row['forecast_asa_s_p90']:.1f}]"
                    f"; sl_offered_12 real {actual['sl_offered_12']:.3f} forecast "
                    f"{row['forecast_sl_offered_12']:.3f} [{row['forecast_sl_offered_12_p10']:.3f}"
                    f"–{row['forecast_sl_offered_12_p90']:.3f}] model error sd "
                    f"{row.get('model_error_sd') or 0:.3f} ({row.get('model_error_days', 0)} days, "
                    f"learnt in {row.get('model_error_cpu', 0):.1f} s CPU)",
                    flush=True,
                )
    tmp.cleanup()
    print(f"\n{len(rows)} days cut at 12:00, {args.replications} replications each")
    ar = np.array([100 * (r["actual_answer_rate"] - r["real_answer_rate"]) for r in rows])
    asa = np.array([100 * (r["actual_asa_s"] / r["real_asa_s"] - 1) for r in rows])
    print(
        f"--arrivals actual: answer rate error mean {ar.mean():+.2f} points, mean |error| "
        f"{np.abs(ar).mean():.2f}, within 2 points on {(np.abs(ar) <= 2).sum()}/{len(ar)} days"
    )
    print(
        f"--arrivals actual: ASA error mean {asa.mean():+.1f}%, mean |error| "
        f"{np.abs(asa).mean():.1f}%, within 20% on {(np.abs(asa) <= 20).sum()}/{len(asa)} days"
    )
    # pooled over the days: the afternoon of the whole month
    real_ans = sum(r["real_answer_rate"] * r["offered"] for r in rows) / sum(
        r["offered"] for r in rows
    )
    sim_ans = sum(r["actual_answer_rate"] * r["offered"] for r in rows) / sum(
        r["offered"] for r in rows
    )
    print(
        f"--arrivals actual, the month's afternoons pooled: answer rate real {real_ans:.3f}, "
        f"projected {sim_ans:.3f} ({100 * (sim_ans - real_ans):+.2f} points)"
    )
    answered = [r["real_answer_rate"] * r["offered"] for r in rows]
    real_asa = sum(r["real_asa_s"] * a for r, a in zip(rows, answered, strict=True)) / sum(answered)
    sim_asa = sum(r["actual_asa_s"] * a for r, a in zip(rows, answered, strict=True)) / sum(
        answered
    )
    print(
        f"--arrivals actual, the month's afternoons pooled: ASA real {real_asa:.1f} s, "
        f"projected {sim_asa:.1f} s ({100 * (sim_asa / real_asa - 1):+.1f}%)"
    )
    for k in KPIS:
        inside = [
            r[f"forecast_{k}_p10"] <= r[f"real_{k}"] <= r[f"forecast_{k}_p90"]
            for r in rows
            if r[f"forecast_{k}_p10"] is not None
        ]
        width = [r[f"forecast_{k}_p90"] - r[f"forecast_{k}_p10"] for r in rows]
        scale = 100 if k not in ("asa_s", "offered") else 1
        unit = " points" if scale == 100 else (" s" if k == "asa_s" else " calls")
        print(
            f"--arrivals forecast: {k} inside p10–p90 on {sum(inside)}/{len(inside)} days "
            f"({100 * sum(inside) / len(inside):.0f}%); mean width "
            f"{scale * float(np.mean(width)):.1f}{unit}"
        )
        if rows and f"bare_{k}_p10" in rows[0]:
            bare = [r[f"bare_{k}_p10"] <= r[f"real_{k}"] <= r[f"bare_{k}_p90"] for r in rows]
            bare_width = [r[f"bare_{k}_p90"] - r[f"bare_{k}_p10"] for r in rows]
            print(
                f"    without the model's error: {sum(bare)}/{len(bare)} days "
                f"({100 * sum(bare) / len(bare):.0f}%); mean width "
                f"{scale * float(np.mean(bare_width)):.1f}{unit}"
            )
    return 0


ALERT_RULE = {
    "name": "today-sl30",
    "kind": "sl_projection",
    "kpi": "sl_answered_30",
    "target": 0.7,
    "critical_below": 0.5,
    "cooldown": "2h",
}
BAD_DAYS = {dt.date(2026, 3, 10), *(dt.date(2026, 6, d) for d in range(7, 12))}


def alerts(args) -> int:
    """The example ``sl_projection`` rule every 15 minutes from opening to closing on every
    working day of each store (``cca generate --scenario bahrain_lmra``), by Erlang A and
    by the simulation: the first warning and critical on the bad days with the lead time,
    and how many ordinary days (a week of history or more) warned though they closed at
    target. The simulation runs once with a ``confidence`` of nearly 0 (an alert whenever its
    median closes below target, with the share of replications below target and below
    critical); each gate is read off those alerts: the old one (no projection before
    ``min_calls_so_far`` calls, then the median decides) and ``--confidence`` (before those
    calls the share decides, then the median)."""
    from analytics.calendars import BusinessCalendar
    from analytics.centres import get_centre
    from analytics.kpi import call_kpis
    from analytics.periods import Period
    from analytics.store import Store
    from simulation.operations.alerts.evaluate import CentreEvaluator
    from simulation.operations.alerts.rules import rule_from_dict

    rules = {
        m: rule_from_dict("bahrain_lmra", {**ALERT_RULE, "confidence": 1e-9, "method": m})
        for m in ("erlang", "simulation")
    }
    days = []
    for db in args.alerts:
        with Store(db).reader() as con:
            centre = get_centre(con, "bahrain_lmra")
            calendar = BusinessCalendar(centre)
            ev = CentreEvaluator(con, centre)
            first, last = con.execute(
                "SELECT min(arrived_at), max(arrived_at) FROM calls WHERE centre_id = ?",
                [centre.centre_id],
            ).fetchone()
            day = first.astimezone(centre.tz).date()
            while day <= last.astimezone(centre.tz).date():
                first_day, last_day = args.days
                wanted = day.day >= 8 or day in BAD_DAYS
                if calendar.is_working_day(day) and wanted and first_day <= day.day <= last_day:
                    [real] = call_kpis(con, centre, period=Period(day, day, str(day)))
                    row = {"day": day, "real": real["sl_answered_30"], "erlang": [], "sim": []}
                    t = dt.datetime.combine(day, dt.time(7), tzinfo=centre.tz)
                    while t.hour < 17:
                        for m, rule in rules.items():
                            for a in ev.evaluate(rule, t):
                                row["erlang" if m == "erlang" else "sim"].append((t, a))
                        t += dt.timedelta(minutes=15)
                    days.append(row)
                    for t, a in row["sim"]:
                        print(
                            f"  {t:%Y-%m-%d %H:%M} calls {a['calls_so_far']:3d} median "
                            f"{a['value']:.3f} [{a['projected_sl_p10']:.3f}–"
                            f"{a['projected_sl_p90']:.3f}] below target "
                            f"{a['share_below_target']:.2f} below critical "
                            f"{a['share_below_critical']:.2f} lead {a['lead_time_min']}",
                            flush=True,
                        )
                    print(_alert_line(row, args.confidence), flush=True)
                day += dt.timedelta(days=1)
    normal = [r for r in days if r["day"] not in BAD_DAYS]
    print(f"\n{len(days)} days, {len(normal)} ordinary (closed at target: "
          f"{sum(r['real'] >= 0.7 for r in normal)})")  # fmt: skip
    for gate in ("erlang", "calls", *(f"{c:g}" for c in (0.5, 0.7, 0.8, 0.9))):
        warned = [r for r in normal if _first(r, gate)[0] is not None]
        false = [r for r in warned if r["real"] >= 0.7]
        print(
            f"gate {gate}: {len(warned)} ordinary days warned, {len(false)} of them closed at "
            "target (false warnings): "
            + ", ".join(f"{r['day']:%d %b} {_first(r, gate)[0][0]:%H:%M}" for r in false)
        )
    return 0


def _first(row, gate: str):
    """(first warning, first critical) of ``row``'s day under ``gate``: each (instant,
    alert) or None."""
    if gate == "erlang":
        hits = [(t, a, a["severity"] == "critical") for t, a in row["erlang"]]
    elif gate == "calls":  # the old gate: 20 calls, then the median decides
        hits = [(t, a, a["value"] < 0.5) for t, a in row["sim"] if not a["early"]]
    else:  # before the calls the share decides, then the median
        c = float(gate)
        hits = [
            (t, a, a["share_below_critical"] >= c if a["early"] else a["value"] < 0.5)
            for t, a in row["sim"]
            if not a["early"] or a["share_below_target"] >= c
        ]
    warn = next(((t, a) for t, a, _ in hits), None)
    crit = next(((t, a) for t, a, critical in hits if critical), None)
    return warn, crit


def _alert_line(row, confidence: float) -> str:
    def at(hit):
        if hit is None:
            return "never"
        t, a = hit
        lead = a.get("lead_time_min")
        return f"{t:%H:%M}" + ("" if lead is None else f" (lead {lead:.0f} min)")

    bad = "BAD " if row["day"] in BAD_DAYS else ""
    parts = [f"{bad}{row['day']} real {row['real']:.3f}"]
    for gate in ("erlang", "calls", f"{confidence:g}"):
        warn, crit = _first(row, gate)
        parts.append(f"{gate}: {at(warn)} / {at(crit)}")
    return " | ".join(parts)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--db", type=Path, help="a store (default: a generated seed centre)")
    p.add_argument("--centre", default="bahrain_lmra")
    p.add_argument("--at", default="2026-09-15 12:00", help="local time of the centre")
    p.add_argument("--arrivals", choices=("forecast", "actual"), default="forecast")
    p.add_argument("--staffing", default="presence")
    p.add_argument("--replications", type=int, default=100)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--change", default="+2@13:00-16:00")
    p.add_argument(
        "--morning", action="store_true", help="agents scaled by what the morning says of them"
    )
    p.add_argument("--validate", type=Path, metavar="FILE", help="the bank's log (validation)")
    p.add_argument(
        "--store", type=Path, help="validation: keep the bank's store here (reused if it exists)"
    )
    p.add_argument("--share", choices=("load", "slot"), default="slot", help="presence share by")
    p.add_argument("--handling", choices=("today", "history"), default="history")
    p.add_argument(
        "--no-model-error", action="store_true",
        help="leave the queue model's error out of the service level's band",
    )  # fmt: skip
    p.add_argument(
        "--alerts", type=Path, nargs="+", metavar="DB",
        help="generated bahrain_lmra months: the sl_projection rule's warnings",
    )  # fmt: skip
    p.add_argument(
        "--days", type=lambda t: tuple(int(x) for x in t.split("-")), default=(1, 31),
        metavar="FIRST-LAST", help="alerts: days of the month (default 1-31)",
    )  # fmt: skip
    p.add_argument("--confidence", type=float, default=0.8, help="alerts: the gate shown per day")
    args = p.parse_args()
    if args.alerts:
        return alerts(args)
    return validate(args) if args.validate else speed(args)


if __name__ == "__main__":
    sys.exit(main())
