"""Checking the store against a centre's alert rules at one instant.

Each rule kind asks the KPI layer (``analytics.kpi``) about the store *as it stood at*
``as_of``: only calls that arrived before it, tickets judged then (``ticket_kpis``'
``as_of``), loads finished by then. So a rule can be tried on history (``cca alerts
check --as-of``) exactly as it would have run live.

* ``sl_projection`` — will today close below the service-level target? Today's calls so
  far (their counts from ``call_kpis``) plus the rest of today: the latest saved
  forecast of today's intervals (``cca forecast --save``, trained on days before today;
  the alert's ``forecast_run``) or else the intraday profile of the same weekday over
  the last ``weeks`` weeks (median offered calls per interval, days without calls left
  out), scaled by today's volume so far against that forecast or profile
  (``reforecast``: an outage day that doubled the morning's calls doubles the afternoon's
  too), served by the staffing table's agents of each remaining interval (summed over
  queues and sites) under exact Erlang A (``simulation.formulas.erlang.ErlangA``: the recent weeks'
  AHT and the censored-MLE exponential patience Σ waits / abandons, or the rule's
  ``aht_s`` / ``patience_s``). A fractional number of agents is interpolated between its
  two whole neighbours. It fires while staffed intervals remain today, with the projected
  value and ``agents_short``: the fewest agents which, added to every remaining interval,
  bring the projection to the target (None when even answering every remaining call
  within T would not). Both wait for ``min_calls_so_far`` calls today; before them,
  with ``method`` ``simulation`` (or ``auto`` when it can be built), the intraday
  projection speaks from opening when ``confidence`` of its replications (the profile's
  day-to-day error drawn in them) close below target (critical: below
  ``critical_below``), with its lead time (``sl_projection.py``).
* ``abandon_rate`` — the ``abandon_rate`` of the calls that arrived in the last
  ``minutes`` minutes, when at least ``min_calls`` were offered.
* ``ticket_deadline`` — the KPI layer's ``at_risk`` (open tickets whose deadline falls
  within the next working day) per category, from ``ticket_kpis(by=("category",))``.
* ``stale_data`` — subject ``load``: no ingest batch has finished for ``refresh_hours``
  (a store loaded after ``as_of``, i.e. history being replayed, has nothing to judge and
  stays quiet); subject ``calls``: the last whole interval had no call although the
  calendar has the centre open, the staffing table (when it covers today) rosters
  agents, and each of the last ``weeks`` same weekdays that were working days had at
  least ``min_expected_calls`` calls in it.
* ``site_imbalance`` — arrivals per counter (``tickets`` of a channel, e.g. walk-in
  visitors, with the rule's counters per site) or per agent (``calls``, agents from the
  rule or the staffing table's ``site`` rows) over the last ``hours``; a site fires when
  its load per unit is ``ratio`` times the median of its siblings' and it had at least
  ``min_arrivals``.

Every alert is a flat dict: ``centre_id``, ``rule``, ``kind``, ``subject``, ``severity``
(``warning`` | ``critical``), ``as_of`` (ISO 8601 in the centre's zone), ``value``,
``threshold``, ``message`` ({"en", "ar"}) and the rule's own figures.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import duckdb

from analytics.calendars import BusinessCalendar, registered
from analytics.centres import Centre
from analytics.exports.i18n import Labels
from analytics.kpi import call_kpis, ticket_kpis
from analytics.labels import display, labels_for
from analytics.periods import Period
from analytics.translation import LANGUAGES, N_, gettext, in_languages, ngettext
from simulation.operations.alerts.rules import Rule
from simulation.operations.alerts.sl_projection import (
    INTERVAL_NAME,
    local_time,
    percent,
    sl_projection,
)


@dataclass
class CentreEvaluator:
    """Evaluates rules of one centre on one open read-only connection.

    Recent-weeks profiles are cached per day, so replaying a day every few minutes
    (``simulation.operations.alerts.watcher.replay``) asks for them once.
    """

    con: object
    centre: Centre
    _cache: dict = field(default_factory=dict)

    # ----------------------------------------------------------------- helpers

    def _cached(self, key, make: Callable):
        if key not in self._cache:
            if len(self._cache) > 256:
                self._cache.clear()
            self._cache[key] = make()
        return self._cache[key]

    def labels(self, lang: str) -> dict:
        return self._cached(
            ("labels", lang), lambda: labels_for(self.con, self.centre.centre_id, lang)
        )

    def calls_kpis(
        self,
        lo: dt.datetime,
        hi: dt.datetime,
        *,
        by: Sequence[str] = (),
        thresholds_s: Sequence[float] | None = None,
    ) -> list[dict]:
        """``call_kpis`` of the calls that arrived in [lo, hi)."""
        # DuckDB 2 refuses new work while an earlier execute() has rows unread (a
        # caller's fetchone()); a finished query ends it, as analytics' registered() does.
        self.con.execute("SELECT 1").fetchall()
        window = self.con.sql(
            "SELECT * FROM calls WHERE centre_id = ? AND arrived_at >= ? AND arrived_at < ?",
            params=[self.centre.centre_id, lo, hi],
        )
        # DuckDB 2 names it to_arrow_table; 1.x arrow() (both give a pyarrow.Table)
        table = window.to_arrow_table() if hasattr(window, "to_arrow_table") else window.arrow()
        with registered(self.con, window=table) as names:
            return call_kpis(
                self.con,
                self.centre,
                period=None,
                by=tuple(by),
                source=names["window"],
                thresholds_s=thresholds_s,
            )

    def staffing(self, lo: dt.datetime, hi: dt.datetime, by_site: bool = False) -> list[tuple]:
        """(interval_start, interval_s, agents_available[, site]) of [lo, hi), summed over
        queues (and sites unless ``by_site``)."""
        site = ", site" if by_site else ""
        return self.con.execute(
            f"SELECT interval_start, max(interval_s), sum(coalesce(agents_available, "
            f"agents_scheduled, 0)){site} FROM staffing WHERE centre_id = ? "
            f"AND interval_start >= ? AND interval_start < ? GROUP BY interval_start{site} "
            "ORDER BY 1",
            [self.centre.centre_id, lo, hi],
        ).fetchall()

    def day_bounds(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        return Period(day, day, str(day)).bounds(self.centre.tz)

    def recent_days(self, day: dt.date, weeks: int, interval: str) -> dict:
        """The last ``weeks`` weeks before ``day``: offered calls per local date and time
        of day (``call_kpis`` by ``interval``), and each date's rostered span (first
        staffed interval start, last end, local) from the staffing table."""

        def make():
            first = day - dt.timedelta(days=7 * weeks)
            lo, _ = self.day_bounds(first)
            hi, _ = self.day_bounds(day)
            rows = call_kpis(
                self.con,
                self.centre,
                period=Period(first, day - dt.timedelta(days=1), "recent weeks"),
                interval=interval,
            )
            offered: dict[dt.date, dict[dt.time, int]] = {}
            for r in rows:
                if r["offered"]:
                    start = r["interval_start"]
                    offered.setdefault(start.date(), {})[start.time()] = r["offered"]
            spans: dict[dt.date, tuple] = {}
            for start, length, agents in self.staffing(lo, hi):
                if (agents or 0) <= 0:
                    continue
                a = local_time(start, self.centre)
                b = local_time(start + dt.timedelta(seconds=length), self.centre)
                s0, s1 = spans.get(a.date(), (a.time(), b.time()))
                spans[a.date()] = (min(s0, a.time()), max(s1, b.time()))
            return {"offered": offered, "spans": spans}

        return self._cached(("recent", day, weeks, interval), make)

    def day_profile(
        self, day: dt.date, weeks: int, interval: str, span: tuple | None
    ) -> tuple[dict[dt.time, float], list[dt.date]]:
        """Expected offered calls per local time of day for ``day``: per interval, the
        median over comparable days — the same weekday of the last ``weeks`` weeks that
        had calls and, when ``span`` (today's rostered span) is given, the same rostered
        span (Ramadan's shorter days do not shape an ordinary day, nor the reverse); if no
        such weekday, any day of those weeks with that span. The median keeps one bad
        day (an outage) from shaping the next weeks."""
        recent = self.recent_days(day, weeks, interval)
        offered, spans = recent["offered"], recent["spans"]

        def comparable(d: dt.date) -> bool:
            return d in offered and (span is None or spans.get(d) == span)

        same = [day - dt.timedelta(days=7 * k) for k in range(1, weeks + 1)]
        days = [d for d in same if comparable(d)]
        if not days:
            days = sorted(d for d in offered if comparable(d))
        times = {t for d in days for t in offered[d]}
        profile = {t: statistics.median(offered[d].get(t, 0) for d in days) for t in times}
        return profile, days

    def saved_profile(self, day: dt.date, interval: str) -> tuple[dict[dt.time, float], int] | None:
        """Expected offered calls per local time of day for ``day`` from the latest saved
        forecast (``cca forecast --save``) of this interval covering it and trained on
        days before it, with its run id; None when there is none."""
        from simulation.forecasting.saved import saved_forecast

        def make():
            try:
                frame = saved_forecast(
                    self.con, self.centre, day, day, interval=interval, trained_before=day
                )
            except duckdb.CatalogException:  # a store from before the forecasts tables
                return None
            if frame is None or frame.empty:
                return None
            times = [local_time(t, self.centre).time() for t in frame["interval_start"]]
            return dict(zip(times, frame["offered"].astype(float), strict=True)), int(
                frame.attrs["run_id"]
            )

        return self._cached(("saved_profile", day, interval), make)

    def handling(self, day: dt.date, weeks: int) -> tuple[float | None, float | None]:
        """AHT (s) and mean patience (s) of the last ``weeks`` weeks: the patience is the
        censored exponential MLE, Σ waits of answered and abandoned calls / abandons."""

        def make():
            row = call_kpis(
                self.con,
                self.centre,
                period=Period(
                    day - dt.timedelta(days=7 * weeks), day - dt.timedelta(days=1), "recent"
                ),
            )[0]
            waited = (row["asa_s"] or 0) * row["answered"] + (row["avg_abandon_wait_s"] or 0) * (
                row["abandoned"]
            )
            patience = waited / row["abandoned"] if row["abandoned"] else None
            return row["aht_s"], patience

        return self._cached(("handling", day, weeks), make)

    # ----------------------------------------------------------------- kinds

    def evaluate(self, rule: Rule, as_of: dt.datetime) -> list[dict]:
        """The alerts ``rule`` raises at ``as_of`` (an aware instant)."""
        if as_of.tzinfo is None:
            raise ValueError("as_of must be an aware datetime (an instant)")
        check = getattr(self, f"_{rule.kind}")
        return check(rule, as_of)

    def alert(self, rule: Rule, as_of, severity, value, threshold, message, subject="", **figs):
        """One alert; ``message`` is ``{lang: sentence}`` (``analytics.translation``)."""
        return {
            "centre_id": self.centre.centre_id,
            "rule": rule.name,
            "kind": rule.kind,
            "subject": subject,
            "severity": severity,
            "as_of": local_time(as_of, self.centre).isoformat(timespec="seconds"),
            "value": value,
            "threshold": threshold,
            "message": message,
            **figs,
        }

    def _sl_projection(self, rule: Rule, as_of: dt.datetime) -> list[dict]:
        return sl_projection(self, rule, as_of)

    def _abandon_rate(self, rule: Rule, as_of: dt.datetime) -> list[dict]:
        p = rule.params
        lo = as_of - dt.timedelta(minutes=p["minutes"])
        row = self.calls_kpis(lo, as_of)[0]
        rate = row["abandon_rate"]
        if row["offered"] < p["min_calls"] or rate is None or rate <= p["cap"]:
            return []
        critical = p.get("critical_above")
        severity = "critical" if critical is not None and rate > critical else "warning"
        cid = self.centre.centre_id
        message = in_languages(
            "{cid}: {rate} of the calls of the last {minutes} were abandoned "
            "({abandoned} of {offered}), above the {cap} cap.",
            cid=cid,
            rate=percent(rate),
            minutes=lambda lang: ngettext(lang, "{n} minute", "{n} minutes", p["minutes"]),
            abandoned=row["abandoned"],
            offered=row["offered"],
            cap=percent(p["cap"]),
        )
        return [
            self.alert(
                rule,
                as_of,
                severity,
                rate,
                p["cap"],
                message,
                offered=row["offered"],
                abandoned=row["abandoned"],
                minutes=p["minutes"],
            )  # fmt: skip
        ]

    def _ticket_deadline(self, rule: Rule, as_of: dt.datetime) -> list[dict]:
        p = rule.params
        day = local_time(as_of, self.centre).date()
        rows = ticket_kpis(
            self.con, self.centre, period=Period(day, day, str(day)), by=("category",), as_of=as_of
        )
        out = []
        for r in rows:
            n = r["at_risk"] or 0
            if n < max(p["min_tickets"], 1):
                continue
            critical = p.get("critical_at")
            severity = "critical" if critical is not None and n >= critical else "warning"
            cat = r["category"]
            message = {
                lang: ngettext(
                    lang,
                    "{cid}: {n} open {category} ticket reach their deadline within the next "
                    "working day ({backlog} open in the category).",
                    "{cid}: {n} open {category} tickets reach their deadline within the next "
                    "working day ({backlog} open in the category).",
                    n,
                    cid=self.centre.centre_id,
                    category=display(cat, "category", self.labels(lang), lang),
                    backlog=r["backlog"],
                )
                for lang in LANGUAGES
            }
            out.append(
                self.alert(
                    rule,
                    as_of,
                    severity,
                    float(n),
                    float(p["min_tickets"]),
                    message,
                    subject=cat or "",
                    category=cat,
                    at_risk=n,
                    backlog=r["backlog"],
                )  # fmt: skip
            )
        return out

    def _stale_data(self, rule: Rule, as_of: dt.datetime) -> list[dict]:
        p = rule.params
        cid = self.centre.centre_id
        out = []
        last, later = self.con.execute(
            "SELECT max(coalesce(finished_at, started_at)) FILTER (WHERE coalesce(finished_at, "
            "started_at) <= ?), count(*) FILTER (WHERE started_at > ?) FROM ingest_batches "
            "WHERE centre_id = ?",
            [as_of, as_of, cid],
        ).fetchall()[0]
        if last is not None:
            hours = (as_of - last).total_seconds() / 3600
            if hours > p["refresh_hours"]:
                message = in_languages(
                    "{cid}: no data has been loaded for {hours} hours (last load {last}; it "
                    "should come every {every} hours).",
                    cid=cid,
                    hours=f"{hours:.1f}",
                    last=f"{local_time(last, self.centre):%Y-%m-%d %H:%M}",
                    every=f"{p['refresh_hours']:g}",
                )
                out.append(
                    self.alert(
                        rule,
                        as_of,
                        "critical" if hours > 2 * p["refresh_hours"] else "warning",
                        hours,
                        p["refresh_hours"],
                        message,
                        subject="load",
                        last_load=local_time(last, self.centre).isoformat(timespec="seconds"),
                    )  # fmt: skip
                )
        # else: never loaded by as_of — a replay of history loaded later (``later``), or
        # a feed not started yet: there is no load to be late.
        out += self._no_calls(rule, as_of)
        return out

    def _no_calls(self, rule: Rule, as_of: dt.datetime) -> list[dict]:
        p = rule.params
        length = dt.timedelta(minutes=p["interval_minutes"])
        local = local_time(as_of, self.centre)
        day = local.date()
        midnight = dt.datetime.combine(day, dt.time(), tzinfo=self.centre.tz)
        k = math.floor((local - midnight) / length)
        if k < 1:
            return []
        t0, t1 = midnight + (k - 1) * length, midnight + k * length
        calendar = BusinessCalendar(self.centre)
        if not any(lo <= t0 and t1 <= hi for lo, hi in calendar.opening_spans(day)):
            return []
        lo_day, hi_day = self.day_bounds(day)
        roster = self._cached(("roster", day), lambda: self.staffing(lo_day, hi_day))
        if roster and not any(
            s < t1 and s + dt.timedelta(seconds=n) > t0 and (a or 0) > 0 for s, n, a in roster
        ):
            return []  # the day's roster has nobody on (e.g. Ramadan's shorter hours)
        interval = INTERVAL_NAME.get(int(length.total_seconds()))
        if interval is None:
            return []
        offered = self.recent_days(day, p["weeks"], interval)["offered"]
        same = [day - dt.timedelta(days=7 * k) for k in range(1, p["weeks"] + 1)]
        working = [d for d in same if calendar.is_working_day(d)]
        if not working or any(
            offered.get(d, {}).get(t0.time(), 0) < p["min_expected_calls"] for d in working
        ):
            return []  # not normally busy then
        if self.calls_kpis(t0, t1)[0]["offered"] > 0:
            return []
        cid = self.centre.centre_id
        message = in_languages(
            "{cid}: no calls {start}–{end} although the centre is open then and had at least "
            "{expected} calls in it on each of the last {weeks} {weekdays}: is the feed or the "
            "switch down?",
            cid=cid,
            start=f"{t0:%H:%M}",
            end=f"{t1:%H:%M}",
            expected=p["min_expected_calls"],
            weeks=len(working),
            weekdays=lambda lang: Labels(lang).weekdays(t0.isoweekday()),
        )
        return [
            self.alert(
                rule,
                as_of,
                "warning",
                0.0,
                float(p["min_expected_calls"]),
                message,
                subject="calls",
                interval_start=t0.isoformat(timespec="minutes"),
            )  # fmt: skip
        ]

    def _feed_stale(self, rule: Rule, as_of: dt.datetime) -> list[dict]:
        """A live feed (``cca live follow``) silent for ``silent_minutes`` while open."""
        from analytics.kpi.live import feed_health, is_open

        p = rule.params
        if not is_open(self.centre, as_of):
            return []
        out = []
        for feed in feed_health(self.con, self.centre, wall=as_of):
            minutes = (feed["silent_s"] or 0) / 60
            if feed["silent_s"] is None or minutes < p["silent_minutes"]:
                continue
            critical = p.get("critical_minutes")
            message = in_languages(
                "{cid}: the live feed {source} ({format}) has read nothing for {minutes} while "
                "the centre is open: is the follower or the switch down?",
                cid=self.centre.centre_id,
                source=str(feed["source"]),
                format=str(feed["format"]),
                minutes=functools.partial(_minutes, round(minutes)),
            )
            out.append(
                self.alert(
                    rule,
                    as_of,
                    "critical" if critical is not None and minutes >= critical else "warning",
                    minutes,
                    float(p["silent_minutes"]),
                    message,
                    subject=feed["feed_id"],
                    last_read=feed["last_read_at"].isoformat() if feed["last_read_at"] else None,
                )  # fmt: skip
            )
        return out

    def _site_imbalance(self, rule: Rule, as_of: dt.datetime) -> list[dict]:
        p = rule.params
        window = dt.timedelta(hours=p["hours"])
        arrivals: dict[str, float] = {}
        capacity: dict[str, float] = dict(p.get("capacity") or {})
        if p["source"] == "tickets":
            # Whole quarter-hours before as_of: a bucket's `created` counts its tickets.
            local = local_time(as_of, self.centre)
            end = local.replace(minute=local.minute - local.minute % 15, second=0, microsecond=0)
            start = end - window
            first, last = start.date(), (end - dt.timedelta(microseconds=1)).date()
            if end <= start:
                return []
            rows = ticket_kpis(
                self.con,
                self.centre,
                period=Period(first, last, "window"),
                by=("channel", "site"),
                interval="15min",
                as_of=as_of,
            )
            for r in rows:
                if r["channel"] == p["channel"] and start <= r["interval_start"] < end:
                    arrivals[r["site"]] = arrivals.get(r["site"], 0) + (r["created"] or 0)
            unit = N_("counter")
        else:
            for r in self.calls_kpis(as_of - window, as_of, by=("site",)):
                arrivals[r["site"]] = float(r["offered"])
            if not capacity:
                rows = self.staffing(as_of - window, as_of, by_site=True)
                staffed: dict[str, list[float]] = {}
                for _s, _n, agents, site in rows:
                    staffed.setdefault(site, []).append(float(agents or 0))
                capacity = {s: sum(v) / len(v) for s, v in staffed.items() if s}
            unit = N_("agent")
        sites = [s for s in capacity if capacity[s] > 0]
        if len(sites) < 2:
            return []
        load = {s: arrivals.get(s, 0.0) / capacity[s] for s in sites}
        out = []
        cid = self.centre.centre_id
        for site in sites:
            siblings = statistics.median(load[s] for s in sites if s != site)
            if arrivals.get(site, 0) < p["min_arrivals"]:
                continue
            ratio = math.inf if siblings == 0 else load[site] / siblings
            if ratio < p["ratio"]:
                continue
            crit = p.get("critical_ratio")
            severity = "critical" if crit is not None and ratio >= crit else "warning"
            message = in_languages(
                "{cid}: {site} has {load} arrivals per {unit} in the last {hours} h, {times} "
                "times its siblings' median ({siblings}).",
                cid=cid,
                site=lambda lang, site=site: display(site, "site", self.labels(lang), lang),
                load=f"{load[site]:.1f}",
                unit=lambda lang: gettext(lang, unit),
                hours=f"{p['hours']:g}",
                times="∞" if math.isinf(ratio) else f"{ratio:.1f}",
                siblings=f"{siblings:.1f}",
            )
            out.append(
                self.alert(
                    rule,
                    as_of,
                    severity,
                    None if math.isinf(ratio) else ratio,
                    p["ratio"],
                    message,
                    subject=site,
                    site=site,
                    arrivals=arrivals.get(site, 0),
                    capacity=capacity[site],
                    load_per_unit=load[site],
                    siblings_median=siblings,
                )  # fmt: skip
            )
        return out


def _minutes(n: int, lang: str) -> str:
    """'15 minutes' / «15 دقيقة» (Arabic's six plural forms)."""
    return ngettext(lang, "{n} minute", "{n} minutes", n)


def evaluate_rules(
    con, centre: Centre, rules: Sequence[Rule], as_of: dt.datetime, evaluator=None
) -> tuple[list[dict], dict[str, str]]:
    """Every enabled rule of ``centre`` at ``as_of``: (alerts, {rule: error}) — a rule
    that fails (e.g. a KPI it cannot compute) is reported, never stops the others."""
    evaluator = evaluator or CentreEvaluator(con, centre)
    alerts, errors = [], {}
    for rule in rules:
        if not rule.enabled or rule.centre_id != centre.centre_id:
            continue
        try:
            alerts += evaluator.evaluate(rule, as_of)
        except Exception as exc:  # noqa: BLE001 - one broken rule must not silence the rest
            errors[rule.name] = f"{type(exc).__name__}: {exc}"
    return alerts, errors
