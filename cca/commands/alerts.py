"""`cca alerts`: proactive alerts — check rules once, watch, load rules, acknowledge.

    cca alerts check [--centre ID] [--as-of TIMESTAMP] [--format table|json]
    cca alerts watch [--every 5m] [--centre ID]
    cca alerts load [FILE ...]              (default: data/alerts/*.toml)
    cca alerts rules [--centre ID] | open [--centre ID] | ack ALERT_ID --user NAME
    cca alerts replay --centre ID --from DAY --to DAY [--step 30m]

Rules live in the app-state store beside the database (``<db>.app.sqlite``); a centre
without rules gets ``data/alerts/<centre>.toml`` on first use. ``check`` evaluates every
rule once and records nothing: with ``--as-of`` (ISO 8601; without an offset it is read in
each centre's time zone) it judges the store as it stood then — calls that had arrived,
tickets as they were, loads finished — so a rule can be tried on history. ``watch`` keeps
checking every ``--every``, records every alert, sends each new one once per cool-down to
its rule's channels (webhook, e-mail; SMTP from CCA_SMTP_* variables) and stops cleanly on
SIGTERM. ``replay`` runs the watcher over past days into a scratch app-state (nothing is
sent) and prints what fired.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from analytics.errors import UserError
from cca.options import actions, command, instant, output_formats


def register(subparsers) -> None:
    p = command(
        subparsers,
        "alerts",
        __doc__,
        "proactive alerts: check rules, watch and send, load rules, acknowledge",
    )
    sub = actions(p, "action")

    c = sub.add_parser(
        "check",
        parents=[output_formats("table", "json")],
        help="evaluate every rule once (records and sends nothing)",
    )
    c.add_argument("--centre", action="append", help="centre id (repeatable; default: all)")
    c.add_argument(
        "--as-of",
        help="judge the store as it stood then: 2026-03-10T11:00 (each centre's local "
        "time) or with an offset, 2026-03-10T11:00+03:00 (default: now)",
    )
    from cca.commands.store import add_known_at

    add_known_at(c)
    c.set_defaults(handler=_check)

    w = sub.add_parser("watch", help="check every --every, send new alerts, stop on SIGTERM")
    w.add_argument("--every", default="5m", help="time between checks: 30s, 5m, 1h (default 5m)")
    w.add_argument("--centre", action="append", help="centre id (repeatable; default: all)")
    w.add_argument("--cycles", type=int, help="stop after this many checks (default: never)")
    w.set_defaults(handler=_watch)

    load = sub.add_parser("load", help="load rules files into the app-state store")
    load.add_argument("files", nargs="*", type=Path, help="default: data/alerts/*.toml")
    load.set_defaults(handler=_load)

    r = sub.add_parser(
        "rules", parents=[output_formats("table", "json")], help="list the stored rules"
    )
    r.add_argument("--centre", action="append")
    r.set_defaults(handler=_rules)

    o = sub.add_parser(
        "open", parents=[output_formats("table", "json")], help="list the open alerts"
    )
    o.add_argument("--centre", action="append")
    o.set_defaults(handler=_open)

    a = sub.add_parser("ack", help="acknowledge an open alert (written to the audit log)")
    a.add_argument("alert_id", type=int)
    a.add_argument("--user", required=True, help="who acknowledges it")
    a.set_defaults(handler=_ack)

    rp = sub.add_parser(
        "replay",
        parents=[output_formats("table", "json")],
        help="run the watcher over past days (sends nothing)",
    )
    rp.add_argument("--centre", required=True)
    rp.add_argument("--from", dest="first", required=True, help="first day, YYYY-MM-DD")
    rp.add_argument("--to", dest="last", required=True, help="last day, YYYY-MM-DD")
    rp.add_argument("--step", default="30m", help="time between checks (default 30m)")
    rp.add_argument("--hours", default="6-20", help="local hours checked each day (default 6-20)")
    rp.add_argument("--working-days", action="store_true", help="only the centre's working days")
    rp.add_argument(
        "--tickets-every",
        default=None,
        help="check ticket_deadline rules only this often, e.g. 2h (a ticket query is slow)",
    )
    rp.add_argument("--state", type=Path, help="scratch app-state file (default: a temporary one)")
    rp.set_defaults(handler=_replay)


def _state(args):
    from analytics.appstate import AppState
    from analytics.store import Store

    return AppState.beside(Store(args.db).path)


def _store(args):
    from analytics.store import Store
    from cca.commands.store import known_at

    return Store(args.db, known_at=known_at(getattr(args, "known_at", None)))


def parse_as_of(text: str | None):
    """None, an aware instant, or a function of the centre reading a local wall time."""
    moment = instant(text, "--as-of", local=True)
    if moment is None or moment.tzinfo is not None:
        return moment
    return lambda centre: moment.replace(tzinfo=centre.tz)


def _seconds(text: str, option: str) -> int:
    from simulation.operations.alerts.rules import RuleError, parse_duration

    try:
        seconds = parse_duration(text, option)
    except RuleError as exc:
        raise UserError(str(exc)) from None
    if seconds <= 0:
        raise UserError(f"{option}: give a duration > 0")
    return seconds


def _rows(alerts: list[dict]) -> list[dict]:
    return [
        {
            "severity": a["severity"],
            "centre_id": a["centre_id"],
            "rule": a["rule"],
            "subject": a.get("subject", ""),
            "as_of": a["as_of"],
            "value": a["value"],
            "threshold": a["threshold"],
            "message": a["message"]["en"],
        }
        for a in alerts
    ]


def _guard(fn):
    from analytics.centres import UnknownCentre
    from analytics.store import StoreError
    from simulation.operations.alerts.rules import RuleError

    try:
        return fn()
    except (StoreError, UnknownCentre, RuleError) as exc:
        raise UserError(str(exc)) from None


def _check(args) -> int:
    from cca.output import emit
    from simulation.operations.alerts.watcher import check

    as_of = parse_as_of(args.as_of)
    alerts, errors = _guard(lambda: check(_store(args), _state(args), args.centre, as_of))
    for key, error in errors.items():
        print(f"rule {key} failed: {error}", file=sys.stderr)
    if args.format == "json":
        emit(alerts, "json")
    elif alerts:
        emit(_rows(alerts), "table")
    else:
        print("no alerts", file=sys.stderr)
    return 1 if errors else 0


def _watch(args) -> int:
    from simulation.operations.alerts.watcher import Watcher

    every = _seconds(args.every, "--every")
    watcher = Watcher(_store(args), _state(args), args.centre)
    print(f"watching every {every} s; SIGTERM or Ctrl-C stops", file=sys.stderr)
    cycles = _guard(lambda: watcher.run(every, max_cycles=args.cycles))
    print(f"stopped after {cycles} checks", file=sys.stderr)
    return 0


def _load(args) -> int:
    from simulation.operations.alerts.rules import ALERTS_DIR
    from simulation.operations.alerts.state import load_rules

    files = args.files or sorted(ALERTS_DIR.glob("*.toml"))
    if not files:
        raise UserError(f"no rules files given and none in {ALERTS_DIR}")
    state = _state(args)
    for path in files:
        parsed = _guard(lambda path=path: load_rules(state, path, username="cca alerts load"))
        print(
            f"{path}: {len(parsed.rules)} rules, {len(parsed.channels)} channels "
            f"for {parsed.centre_id}",
            file=sys.stderr,
        )
    return 0


def _rules(args) -> int:
    from cca.output import emit
    from simulation.operations.alerts.state import rules_of

    rules = rules_of(_state(args), args.centre)
    rows = [{"centre_id": r.centre_id, **r.as_dict()} for r in rules]
    if args.format == "table":
        rows = [
            {k: (", ".join(v) if isinstance(v, list) else v) for k, v in row.items()
             if k in ("centre_id", "name", "kind", "cooldown", "channels", "enabled")}
            for row in rows
        ]  # fmt: skip
    emit(rows, args.format)
    return 0


def _open(args) -> int:
    from cca.output import emit
    from simulation.operations.alerts.state import open_alerts

    alerts = open_alerts(_state(args), args.centre)
    if args.format == "json":
        emit(alerts, "json")
    else:
        emit([{"alert_id": a["alert_id"], **r} for a, r in zip(alerts, _rows(alerts), strict=True)])
    return 0


def _ack(args) -> int:
    from simulation.operations.alerts.state import acknowledge

    if not acknowledge(_state(args), args.alert_id, args.user):
        raise UserError(f"alert {args.alert_id} is not open")
    print(f"alert {args.alert_id} acknowledged by {args.user}", file=sys.stderr)
    return 0


def _replay(args) -> int:
    import tempfile

    from rich.console import Console
    from rich.progress import Progress

    from analytics.appstate import AppState
    from cca.output import emit
    from simulation.operations.alerts.watcher import replay

    try:
        first, last = dt.date.fromisoformat(args.first), dt.date.fromisoformat(args.last)
        h0, h1 = (int(x) for x in args.hours.split("-"))
    except ValueError:
        raise UserError("--from/--to: YYYY-MM-DD; --hours: like 6-20") from None
    step = _seconds(args.step, "--step") // 60 or 1
    every = {}
    if args.tickets_every:
        every["ticket_deadline"] = _seconds(args.tickets_every, "--tickets-every") // 60 or 1
    with tempfile.TemporaryDirectory(prefix="cca-replay-") as tmp:
        state = AppState(args.state or Path(tmp) / "replay.app.sqlite")
        days = (last - first).days + 1
        with Progress(transient=True, console=Console(stderr=True)) as progress:
            task = progress.add_task("replaying", total=days)
            fired = _guard(
                lambda: replay(
                    _store(args), state, args.centre, first, last,
                    step_minutes=step, hours=(h0, h1),
                    progress=lambda _d: progress.advance(task),
                    working_days_only=args.working_days, kind_every_minutes=every,
                )
            )  # fmt: skip
    alerts = [a for _id, a in fired]
    if args.format == "json":
        emit(alerts, "json")
    else:
        emit(_rows(alerts), "table")
    return 0
