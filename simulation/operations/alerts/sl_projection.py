"""The ``sl_projection`` rule: will today close below its service-level target?

Today's calls so far plus the rest of today (the saved forecast or the recent weeks'
profile, scaled by today's volume so far) under exact Erlang A (``ErlangRest``) or the
intraday simulation from the queue's state (``simulation.intraday``); the fewest extra
agents that close the gap, and the lead time to the point of no return.

Erlang A gives one number and waits for ``min_calls_so_far`` calls before trusting it;
so does the simulation's median. Before those calls the simulation is gated by its band
instead: it warns from opening (before any call, from the profile and the staffing
table) when ``confidence`` of its replications close below target, and turns critical
when as many close below ``critical_below``; each replication draws the day's level with
the profile's own day-to-day error (``profile_cv``), so a quiet profile is trusted and a
wild one is not.
``simulation.operations.alerts.evaluate`` describes every rule kind.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace

from analytics.centres import Centre
from analytics.exports.i18n import Labels
from analytics.kpi import threshold_label
from analytics.kpi.catalogue import SL_NAME
from analytics.translation import gettext, in_languages, ngettext
from simulation.formulas.erlang import ErlangA
from simulation.operations.alerts.rules import Rule

# an interval length (s) as the KPI layer names it
INTERVAL_NAME = {900: "15min", 1800: "30min", 3600: "60min"}


def percent(x: float | None) -> str:
    """A share as an alert's message shows it: ``74.0%`` (``—`` for none)."""
    return "—" if x is None else f"{100 * x:.1f}%"


def local_time(moment: dt.datetime, centre: Centre) -> dt.datetime:
    """An instant in the centre's time zone."""
    return moment.astimezone(centre.tz)


# long: one rule read top to bottom (today's staffing, the projection by Erlang A or by
# simulation, the gate before and after min_calls_so_far, the alert's figures and words);
# splitting it would pass a dozen intermediate figures between the parts.
def sl_projection(ev, rule: Rule, as_of: dt.datetime) -> list[dict]:
    """The ``sl_projection`` rule's alert at ``as_of``, if today will close below its
    target; ``ev`` is the centre's ``CentreEvaluator`` (the store's figures, cached)."""
    p = rule.params
    variant, t_text = SL_NAME.match(p["kpi"]).groups()
    threshold_s = float(t_text)
    short_s = ev.centre.short_abandon_s
    local = local_time(as_of, ev.centre)
    day = local.date()
    lo, hi = ev.day_bounds(day)
    day_roster = ev.staffing(lo, hi)
    # the rest of today: staffed or not (an open interval nobody covers still gets calls)
    roster = [r for r in day_roster if r[0] + dt.timedelta(seconds=r[1]) > as_of]
    if not roster:
        return []  # nothing left to staff today: no projection to make
    interval_s = int(roster[0][1])
    interval = INTERVAL_NAME.get(interval_s, "30min")
    so_far = ev.calls_kpis(lo, as_of, thresholds_s=[threshold_s])[0]
    # Erlang A, a point projection, waits for enough calls to judge today by them. Before
    # them the simulation speaks from the forecast and the staffing alone, when
    # ``confidence`` of its replications (the profile's day-to-day error drawn in them)
    # close below target: a warning a manager acts on must be one that holds.
    early = so_far["offered"] < p["min_calls_so_far"]
    if early and (p["method"] == "erlang" or not p["confidence"]):
        return []
    name = f"{variant}_{threshold_label(threshold_s)}"
    num0, den0 = so_far_counts(so_far, variant, name)
    first = local_time(
        min((r[0] for r in day_roster if (r[2] or 0) > 0), default=day_roster[0][0]),
        ev.centre,
    )
    last = roster[-1]
    span = (first.time(), local_time(last[0] + dt.timedelta(seconds=last[1]), ev.centre).time())
    profile, profile_days = ev.day_profile(day, p["weeks"], interval, span)
    forecast_run = None
    saved = ev.saved_profile(day, interval)
    if saved is not None:  # a planner's saved forecast of today knows its day type
        profile, forecast_run = saved
    if not profile:
        return []
    aht, patience = ev.handling(day, p["weeks"])
    aht = p.get("aht_s") or aht
    patience = p.get("patience_s") or patience
    if not aht or not patience:
        return []
    # Volume so far against the profile: today's own level for the rest of the day.
    expected_so_far = 0.0
    for t, mean in profile.items():
        start = dt.datetime.combine(day, t, tzinfo=ev.centre.tz)
        elapsed = (as_of - start).total_seconds() / interval_s
        expected_so_far += mean * min(max(elapsed, 0.0), 1.0)
    scale = 1.0
    if p["reforecast"]:
        # Shrunk towards the profile by a prior of 30 calls: the first quarter-hour's
        # few calls say little about the day's level; an outage morning says a lot.
        scale = (so_far["offered"] + 30.0) / (expected_so_far + 30.0)
    rest = []  # (calls, seconds, agents) per remaining interval
    for start, length, agents in roster:
        begin = max(start, as_of)
        seconds = (start + dt.timedelta(seconds=length) - begin).total_seconds()
        calls = profile.get(local_time(start, ev.centre).time(), 0.0) * scale
        rest.append((calls * seconds / length, seconds, float(agents or 0)))
    model = ErlangRest(rest, aht, patience, threshold_s, short_s, variant)
    projected = model.value(num0, den0, extra=0)
    simulated = None
    if p["method"] != "erlang":
        recent = ev.recent_days(day, p["weeks"], interval)
        # the profile's error read off the days it came from; from one day alone it
        # cannot be, and every recent day of the same span (weekdays mixed: wider) tells it
        spread_days = profile_days
        if len(spread_days) < 2:
            spread_days = sorted(d for d in recent["offered"] if recent["spans"].get(d) == span)
        # drawn only before the calls: after them the rest's level is read off today's
        # calls (``scale``), and the profile's error would pull every median down
        volume_cv = 0.0
        if early:
            volume_cv = profile_cv(
                profile, [recent["offered"][d] for d in spread_days], local.time(), interval_s
            )
        simulated = _simulated_rest(
            ev, p, as_of, profile, scale, interval_s, variant, name, volume_cv
        )
        if simulated is None and (p["method"] == "simulation" or early):
            return []
    erlang_projected = projected
    if simulated is not None:
        projected = simulated["projected_sl"]
    if projected is None or projected >= p["target"]:
        return []
    critical = p.get("critical_below")
    if not early:  # as many calls as Erlang A waits for: the median decides, as it does
        severity = "critical" if critical is not None and projected < critical else "warning"
    else:  # before them, the share of replications below target (below critical) decides
        if simulated["share_below"](p["target"]) < p["confidence"]:
            return []
        severity = "warning"
        if critical is not None and simulated["share_below"](critical) >= p["confidence"]:
            severity = "critical"
    best = model.value(num0, den0, extra=None)  # every remaining call within T
    agents_short = None
    if best is not None and best >= p["target"]:
        for k in range(1, p["max_extra_agents"] + 1):
            v = model.value(num0, den0, extra=k)
            if v is not None and v >= p["target"]:
                agents_short = k
                break
    closing = local_time(roster[-1][0] + dt.timedelta(seconds=roster[-1][1]), ev.centre)
    lead = None if simulated is None else simulated["lead_time_min"]
    message = _message(
        ev.centre, as_of, projected, name, p["target"], so_far, agents_short, lead, closing
    )
    return [
        ev.alert(
            rule,
            as_of,
            severity,
            projected,
            p["target"],
            message,
            kpi=name,
            projected_sl=projected,
            sl_so_far=so_far[name],
            calls_so_far=so_far["offered"],
            calls_rest=sum(r[0] for r in rest),
            volume_scale=scale,
            forecast_run=forecast_run,
            agents_short=agents_short,
            best_possible_sl=best,
            aht_s=aht,
            patience_s=patience,
            closing=closing.isoformat(timespec="minutes"),
            method="erlang" if simulated is None else "simulation",
            erlang_projected_sl=erlang_projected,
            early=early,
            share_below_target=None if simulated is None else simulated["share_below"](p["target"]),
            share_below_critical=(
                None
                if simulated is None or critical is None
                else simulated["share_below"](critical)
            ),
            **{
                k: v
                for k, v in (simulated or {}).items()
                if k not in ("projected_sl", "share_below")
            },
        )  # fmt: skip
    ]


def _message(centre, as_of, projected, name, target, so_far, agents_short, lead, closing) -> dict:
    """The alert's sentence in every language: the projected close, the gap in agents and,
    from the simulation, until when the day can still be saved."""
    if lead is not None:
        breach = local_time(as_of + dt.timedelta(minutes=lead), centre)

        def saved(lang):
            return ngettext(
                lang,
                " It can still be saved until {time} ({n} min).",
                " It can still be saved until {time} ({n} min).",
                round(lead),
                time=f"{breach:%H:%M}",
            )
    else:

        def saved(lang):
            return ""

    if agents_short is not None:

        def gap(lang):
            return ngettext(
                lang,
                "unless {n} more agent log in now",
                "unless {n} more agents log in now",
                agents_short,
            )
    else:

        def gap(lang):
            return gettext(lang, "and no number of extra agents within reach closes the gap today")

    return in_languages(
        "{cid}: today will close at {projected} {kpi} (target {target}, {so_far} so far "
        "on {calls} calls) {gap}; closing {closing}.{saved}",
        cid=centre.centre_id,
        projected=percent(projected),
        kpi=lambda lang: Labels(lang).kpi(name).lower(),
        target=percent(target),
        so_far=percent(so_far[name]),
        calls=so_far["offered"],
        gap=gap,
        closing=f"{closing:%H:%M}",
        saved=saved,
    )


def profile_cv(profile: dict, days: list[dict], cut: dt.time, interval_s: int) -> float:
    """The day-level cv of the calls from ``cut``'s interval on around ``profile``
    (expected calls per local interval start) on the ``days`` it was read off (calls per
    interval start each), beyond Poisson noise and widened by Student's t for their few
    degrees of freedom (``simulation.intraday.reforecast``): how far a day's rest may
    run off the profile. 0 with fewer than 2 days."""
    from simulation.intraday.reforecast import small_sample_factor

    def seconds(t: dt.time) -> int:
        return t.hour * 3600 + t.minute * 60 + t.second

    rest = [t for t in profile if seconds(t) + interval_s > seconds(cut)]
    expected = sum(profile[t] for t in rest)
    if len(days) < 2 or expected < 1:
        return 0.0
    y = [sum(d.get(t, 0) for t in rest) / expected - 1.0 for d in days]
    extra = sum(v * v for v in y) / len(y) - 1.0 / expected
    return math.sqrt(max(extra, 0.0)) * small_sample_factor(len(days))


def _simulated_rest(
    ev, p, as_of, profile, scale, interval_s, variant, name, volume_cv=0.0
) -> dict | None:
    """Today's close by the intraday projection (``simulation.intraday``): the queue
    as the log shows it at ``as_of`` (callers waiting, calls in service), the rest of
    the day's calls of ``profile`` × ``scale`` with a day-level ``volume_cv`` drawn per
    replication, the staffing table's agents, ``p``'s
    replications; its median and p10/p90, and the lead time: minutes from ``as_of``
    to the point of no return, the end of the interval after which the day can no
    longer close at target even if every later call were answered in time (0: past
    it already). None when the projection cannot be built (no staffing table today,
    ``as_of`` outside the hours the history shows)."""
    import numpy as np

    from simulation.intraday.day import build_plan
    from simulation.intraday.projection import point_of_no_return, project

    n = 86400 // interval_s
    expected = np.zeros(n)
    for t, mean in profile.items():
        expected[(t.hour * 3600 + t.minute * 60) // interval_s] += float(mean) * scale
    try:
        plan = build_plan(
            ev.con,
            ev.centre,
            as_of,
            arrivals="forecast",
            staffing="table",
            interval_s=interval_s,
            morning=False,
            expected=expected,
            history_days=7 * p["weeks"],
        )
    except ValueError:
        return None
    plan = replace(plan, volume_cv=volume_cv)
    threshold_s = float(SL_NAME.match(name).group(2))
    result = project(plan, p["replications"], 0, thresholds_s=[threshold_s])
    breach, _ = point_of_no_return(
        result,
        lambda row: so_far_counts(row, variant, name),
        p["target"],
        as_of,
        interval_s,
    )
    lead = None if breach is None else max((breach - as_of).total_seconds() / 60.0, 0.0)
    days = [r[name] for r in result.per_replication if r.get(name) is not None]
    return {
        "projected_sl": result.day[name],
        "projected_sl_p10": result.day[f"{name}_p10"],
        "projected_sl_p90": result.day[f"{name}_p90"],
        "lead_time_min": lead,
        "waiting_now": plan.state.summary()["waiting"],
        "in_service_now": plan.state.summary()["in_service"],
        # the share of replications whose day closes below a level
        "share_below": lambda level: sum(v < level for v in days) / len(days) if days else 0.0,
    }


def so_far_counts(row: dict, variant: str, name: str) -> tuple[float, float]:
    """Numerator and denominator of today's service level so far (from call_kpis)."""
    den = {
        "sl_offered": row["offered"],
        "sl_with_abandons": row["offered"],
        "sl_answered": row["answered"],
        "sl_excl_short": row["offered"] - row["short_abandoned"],
    }[variant]
    value = row[name]
    return (0.0 if value is None else value * den), float(den)


@dataclass
class ErlangRest:
    """The rest of today under Erlang A: (calls, seconds, agents) per remaining interval."""

    rest: list[tuple[float, float, float]]
    aht_s: float
    patience_s: float
    threshold_s: float
    short_s: float
    variant: str

    def _probabilities(self, calls: float, seconds: float, agents: int) -> tuple[float, float]:
        """P(numerator event) and P(denominator event) of one caller in the interval."""
        t, s = self.threshold_s, self.short_s
        if agents <= 0:  # nobody to answer: everyone waits until their patience runs out
            gone_by_t = 1 - math.exp(-t / self.patience_s)
            num = gone_by_t if self.variant == "sl_with_abandons" else 0.0
            den = {"sl_answered": 0.0, "sl_excl_short": math.exp(-s / self.patience_s)}.get(
                self.variant, 1.0
            )
            return num, den
        o = ErlangA(calls, seconds, self.aht_s, self.patience_s).outcomes(agents, (t,), s)
        within = o.answered_within[t]
        if self.variant == "sl_with_abandons":
            return min(1.0, within + o.abandoned_within[t]), 1.0
        if self.variant == "sl_answered":
            return within, o.p_answer
        if self.variant == "sl_excl_short":
            return within, 1.0 - o.short_abandoned
        return within, 1.0

    def value(self, num0: float, den0: float, extra: int | None) -> float | None:
        """Today's projected service level with ``extra`` agents more in every remaining
        interval (None: the best case, every remaining caller answered within T)."""
        num, den = num0, den0
        for calls, seconds, agents in self.rest:
            if calls <= 0:
                continue
            if extra is None:
                num, den = num + calls, den + calls
                continue
            n = agents + extra
            lo = math.floor(n)
            p_lo = self._probabilities(calls, seconds, lo)
            if n > lo:  # fractional agents (a mean over the interval): interpolate
                p_hi = self._probabilities(calls, seconds, lo + 1)
                w = n - lo
                p_lo = tuple((1 - w) * a + w * b for a, b in zip(p_lo, p_hi, strict=True))
            num += calls * p_lo[0]
            den += calls * p_lo[1]
        return num / den if den > 0 else None
