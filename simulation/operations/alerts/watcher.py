"""The watcher: check every centre's rules, send each new alert once per cool-down.

One *cycle* (``Watcher.run_once``) opens the analytics store read-only, evaluates every
enabled rule of the watched centres at one instant (``simulation.operations.alerts.evaluate``),
records each raised alert in the app-state store (``record_alert``: the same centre,
rule and subject inside its rule's cool-down is not sent again, only marked as still
seen; a warning that turns critical is sent at once), hands the new ones to the
``Dispatcher`` (webhooks, e-mail; it never blocks the cycle) and resolves the open
alerts that a rule no longer raises. ``Watcher.run`` repeats cycles every ``every_s``
seconds until ``stop()`` — which SIGTERM and SIGINT call — and then waits a bounded time
for deliveries in flight.

``replay`` runs cycles over history (``as_of`` stepping through each day, no channels):
how many alerts each rule would have raised, and when.
"""

from __future__ import annotations

import datetime as dt
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from analytics.appstate import AppState
from analytics.centres import Centre, get_centre, list_centres
from analytics.store import Store
from simulation.operations.alerts.channels import Dispatcher
from simulation.operations.alerts.evaluate import CentreEvaluator, evaluate_rules
from simulation.operations.alerts.rules import Rule, default_rules_file
from simulation.operations.alerts.state import (
    list_channels,
    load_rules,
    record_alert,
    resolve_missing,
    rules_of,
)


def ensure_rules(state: AppState, centres: Iterable[Centre]) -> list[str]:
    """Load ``data/alerts/<centre>.toml`` for watched centres that have no rules stored
    yet (a first run); returns the files loaded."""
    have = {r.centre_id for r in rules_of(state)}
    loaded = []
    for centre in centres:
        path = default_rules_file(centre.centre_id)
        if centre.centre_id not in have and path.exists():
            load_rules(state, path, username="cca alerts")
            loaded.append(str(path))
    return loaded


def _centres(con, centre_ids: Sequence[str] | None) -> list[Centre]:
    if centre_ids:
        return [get_centre(con, c) for c in centre_ids]
    return list_centres(con)


def check(
    store: Store,
    state: AppState,
    centre_ids: Sequence[str] | None = None,
    as_of: dt.datetime | Callable[[Centre], dt.datetime] | None = None,
) -> tuple[list[dict], dict[str, str]]:
    """Evaluate every enabled rule once, without recording or sending anything.

    ``as_of``: an instant, a function of the centre giving one (a local wall time read in
    each centre's zone), or None for now. Returns (alerts, {"centre/rule": error}).
    """
    alerts, errors = [], {}
    with store.reader() as con:
        centres = _centres(con, centre_ids)
        ensure_rules(state, centres)
        rules = rules_of(state, [c.centre_id for c in centres])
        for centre in centres:
            moment = _moment(as_of, centre)
            found, failed = evaluate_rules(con, centre, rules, moment)
            alerts += found
            errors.update({f"{centre.centre_id}/{k}": v for k, v in failed.items()})
    return alerts, errors


def _moment(as_of, centre: Centre) -> dt.datetime:
    if as_of is None:
        return dt.datetime.now(dt.UTC)
    return as_of(centre) if callable(as_of) else as_of


@dataclass
class CycleResult:
    """What one cycle did: alerts raised, newly fired (id, alert), resolved, errors."""

    as_of: dt.datetime | None
    raised: list[dict] = field(default_factory=list)
    fired: list[tuple[int, dict]] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


class Watcher:
    """Checks rules in cycles and sends new alerts (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        state: AppState,
        centre_ids: Sequence[str] | None = None,
        dispatcher: Dispatcher | None = None,
        log: Callable[[str], None] | None = None,
    ):
        self.store = store
        self.state = state
        self.centre_ids = list(centre_ids) if centre_ids else None
        self.dispatcher = dispatcher if dispatcher is not None else Dispatcher(state)
        self.log = log or (lambda text: print(text, file=sys.stderr))
        self._stop = threading.Event()
        self._evaluators: dict[str, CentreEvaluator] = {}

    def run_once(
        self, as_of: dt.datetime | None = None, con=None, kinds: set[str] | None = None
    ) -> CycleResult:
        """One cycle at ``as_of`` (default now). ``con``: an open reader to reuse
        (``replay`` keeps one, and its evaluators' caches, for a whole history);
        ``kinds``: check only rules of these kinds (None: all)."""
        if con is None:
            with self.store.reader() as fresh:
                self._evaluators.clear()  # a new snapshot: cached profiles may be stale
                return self._cycle(fresh, as_of, kinds)
        return self._cycle(con, as_of, kinds)

    def _cycle(self, con, as_of: dt.datetime | None, kinds: set[str] | None) -> CycleResult:
        moment = as_of or dt.datetime.now(dt.UTC)
        result = CycleResult(moment)
        centres = _centres(con, self.centre_ids)
        for path in ensure_rules(self.state, centres):
            self.log(f"loaded alert rules from {path}")
        rules = rules_of(self.state, [c.centre_id for c in centres])
        for centre in centres:
            evaluator = self._evaluators.setdefault(centre.centre_id, CentreEvaluator(con, centre))
            mine = [
                r
                for r in rules
                if r.centre_id == centre.centre_id
                and r.enabled
                and (kinds is None or r.kind in kinds)
            ]
            alerts, errors = evaluate_rules(con, centre, mine, moment, evaluator)
            result.raised += alerts
            result.errors.update({f"{centre.centre_id}/{k}": v for k, v in errors.items()})
            channels = list_channels(self.state, centre.centre_id) if mine else {}
            for rule in mine:
                if rule.name in errors:
                    continue
                own = [a for a in alerts if a["rule"] == rule.name]
                for alert in own:
                    alert_id = record_alert(self.state, alert, rule.cooldown_s)
                    if alert_id is None:
                        continue
                    result.fired.append((alert_id, alert))
                    targets = [channels[c] for c in rule.channels if c in channels]
                    if targets:
                        self.dispatcher.send(alert_id, alert, targets)
                result.resolved += resolve_missing(
                    self.state, centre.centre_id, rule.name, [a["subject"] for a in own], moment
                )
        for key, error in result.errors.items():
            self.log(f"rule {key} failed: {error}")
        return result

    def stop(self, *_args) -> None:
        """Ask ``run`` to stop after the current cycle (signal-handler safe)."""
        self._stop.set()

    def run(self, every_s: float, max_cycles: int | None = None, drain_s: float = 30.0) -> int:
        """Cycle every ``every_s`` seconds until ``stop()`` (SIGTERM, SIGINT); returns
        the number of cycles. Deliveries in flight get ``drain_s`` seconds to finish."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)
        cycles = 0
        try:
            while not self._stop.is_set():
                try:
                    result = self.run_once()
                    for _id, alert in result.fired:
                        self.log(f"{alert['severity']}: {alert['message']['en']}")
                    self.log(
                        f"check {cycles + 1} at {result.as_of:%Y-%m-%d %H:%M:%S %Z}: "
                        f"{len(result.raised)} raised, {len(result.fired)} new, "
                        f"{len(result.resolved)} resolved"
                    )
                except Exception as exc:  # noqa: BLE001 - keep watching through a bad cycle
                    self.log(f"check failed: {type(exc).__name__}: {exc}")
                cycles += 1
                if max_cycles is not None and cycles >= max_cycles:
                    break
                self._stop.wait(every_s)
        finally:
            self.dispatcher.close(drain_s)
        return cycles


def replay(
    store: Store,
    state: AppState,
    centre_id: str,
    first: dt.date,
    last: dt.date,
    *,
    step_minutes: int = 30,
    hours: tuple[int, int] = (6, 20),
    rules: Sequence[Rule] | None = None,
    progress: Callable[[dt.date], None] | None = None,
    working_days_only: bool = False,
    kind_every_minutes: dict[str, int] | None = None,
) -> list[tuple[int, dict]]:
    """Run the watcher over history: every ``step_minutes`` from ``hours[0]`` to
    ``hours[1]`` local time of each day ``first``..``last`` (only the centre's working
    days if ``working_days_only``), recording into ``state`` (use a scratch app-state),
    sending nothing. ``kind_every_minutes`` checks some kinds less often (e.g.
    ``{"ticket_deadline": 120}``: a ticket query costs ~50 times a call query). Returns
    every alert fired (after the cool-downs) as (alert_id, alert)."""
    from analytics.calendars import BusinessCalendar

    if rules is not None:
        from simulation.operations.alerts.state import insert_rule

        with state.connect() as con:
            con.execute("DELETE FROM alert_rules WHERE centre_id = ?", [centre_id])
            for rule in rules:
                insert_rule(con, rule, "replay", dt.datetime.now(dt.UTC).isoformat(), None)
    watcher = Watcher(store, state, [centre_id], dispatcher=_NoDispatch(), log=lambda _t: None)
    fired = []
    every = kind_every_minutes or {}
    with store.reader() as con:
        centre = get_centre(con, centre_id)
        zone, calendar = centre.tz, BusinessCalendar(centre)
        all_kinds = {r.kind for r in rules_of(state, [centre_id])} or None
        day = first
        while day <= last:
            if working_days_only and not calendar.is_working_day(day):
                if progress:
                    progress(day)
                day += dt.timedelta(days=1)
                continue
            midnight = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
            moment = midnight + dt.timedelta(hours=hours[0])
            end = midnight + dt.timedelta(hours=hours[1])
            while moment <= end:
                minute = int((moment - midnight).total_seconds() // 60)
                kinds = None
                if all_kinds is not None and every:
                    kinds = {k for k in all_kinds if minute % every.get(k, step_minutes) == 0}
                fired += watcher.run_once(moment, con=con, kinds=kinds).fired
                moment += dt.timedelta(minutes=step_minutes)
            if progress:
                progress(day)
            day += dt.timedelta(days=1)
    return fired


class _NoDispatch(Dispatcher):
    """Replays send nothing."""

    def __init__(self):  # noqa: D107 - no pool needed
        self._pending, self._lock = set(), threading.Lock()

    def send(self, alert_id, alert, channels):
        return []

    def close(self, timeout_s=None):
        return None
