"""`cca demo`: the two seed centres, living, in one command (behind `make demo`).

    cca demo              # build what is missing, show the KPIs, serve the dashboards
    cca demo --no-serve   # for scripts: build and show, do not serve

When the store lacks a seed centre, its history is generated (`cca generate`):

* bahrain_lmra: the thirteen months ending with the latest complete September, the month
  seed 004 published (11,000 calls offered, 10,000 answered, "98.9%");
* saudi_mol: the three latest complete months (seed 000: 110,000 calls a month, 12 s).

It then makes sure the demo users exist (one per role: admin, manager, planner,
executive, wallboard, with random passwords kept in ``<db stem>.demo-users.txt`` beside
the database, mode 0600, never in the repository), prints a KPI summary by caller
category for each centre's latest month and its seed month from the KPI layer (the same
definitions as `cca kpi`), where the dashboards are and the demo users' credentials,
and serves the dashboards (`cca serve`). While it serves, bahrain_lmra's day runs live
beside it (`cca live simulate` writing ``<db stem>.bahrain_lmra.queue_log``: the day
from its opening up to now at once, then in real time, never an event after now; `cca
live follow` committing it), so the wallboard shows today and moves (``--no-live``: not).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from cca.options import command, listen_address, seed

SEED_CENTRES = ("bahrain_lmra", "saudi_mol")
SUMMARY_KPIS = (
    "offered",
    "answered",
    "abandoned",
    "short_abandoned",
    "answer_rate",
    "answer_rate_excl_short",
    "asa_s",
    "sl_offered_12",
    "sl_offered_30",
)


def register(subparsers) -> None:
    p = command(
        subparsers,
        "demo",
        __doc__,
        "build the seed centres' history, print their KPIs and serve the dashboards",
        seed("random seed of generated history"),
        listen_address(),
    )
    p.add_argument("--no-serve", action="store_true", help="do not start the dashboards")
    p.add_argument(
        "--no-live", action="store_true", help="do not run bahrain_lmra's live day beside it"
    )
    p.set_defaults(handler=handle)


def demo_plan(today: dt.date) -> dict[str, tuple[tuple[int, int], int, tuple[int, int]]]:
    """Per seed centre: (first month, months, seed month) of the demo's history."""
    last_complete = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    sep_year = today.year if today.month > 9 else today.year - 1
    # Thirteen months: the seed September can be held against the September before.
    bahrain_first = (sep_year - 1, 9)
    y, m = last_complete
    saudi_first = (y, m - 2) if m > 2 else (y - 1, m + 10)
    return {
        "bahrain_lmra": (bahrain_first, 13, (sep_year, 9)),
        "saudi_mol": (saudi_first, 3, last_complete),
    }


def centres_with_history(store) -> set[str]:
    """Seed centres that already have calls in the store."""
    if not store.exists():
        return set()
    with store.reader() as con:
        rows = con.execute(
            "SELECT DISTINCT centre_id FROM calls WHERE centre_id IN (?, ?)", list(SEED_CENTRES)
        ).fetchall()
    return {r[0] for r in rows}


def summary_rows(store, centre_id: str, seed_month: str | None = None) -> list[dict]:
    """KPI rows by caller category for the centre's latest month and its seed month."""
    from analytics.centres import get_centre
    from analytics.kpi import call_kpis, ticket_kpis
    from analytics.periods import parse_period

    rows = []
    with store.reader() as con:
        centre = get_centre(con, centre_id)
        con.execute("SET TimeZone = 'UTC'")
        latest = con.execute(
            "SELECT max(arrived_at) FROM calls WHERE centre_id = ?", [centre_id]
        ).fetchone()[0]
        if latest is None:
            return []
        local = latest.astimezone(centre.tz)
        months = [f"{local.year:04d}-{local.month:02d}"]
        if seed_month and seed_month not in months:
            months.append(seed_month)
        for month in months:
            label = "latest" if month == months[0] else "seed"
            if seed_month == months[0]:
                label = "latest, seed"
            period = parse_period(month)
            tickets = ticket_kpis(con, centre, period=period)[0]
            for kpis in [
                *call_kpis(con, centre, period=period),
                *call_kpis(con, centre, period=period, by=("category",)),
            ]:
                row = {
                    "centre": centre_id,
                    "month": f"{month} ({label})",
                    "category": kpis.get("category", "all"),
                }
                row |= {k: kpis[k] for k in SUMMARY_KPIS}
                row["tickets"] = tickets["created"] if "category" not in kpis else None
                row["ticket_sla_met"] = tickets["sla_met_rate"] if "category" not in kpis else None
                rows.append(row)
    return rows


DEMO_ROLES = ("admin", "manager", "planner", "executive", "wallboard")


def demo_users(db_path) -> list[tuple[str, str, str]]:
    """(user, password, role) of the demo accounts, created on first use: random
    passwords, written beside the database (0600) so later runs print the same ones."""
    import os
    import secrets
    from pathlib import Path

    from analytics.appstate import AppState
    from dashboards import auth

    state = AppState.beside(db_path)
    path = Path(db_path).with_name(Path(db_path).stem + ".demo-users.txt")
    known = {}
    if path.exists():
        for line in path.read_text().splitlines():
            name, _, password = line.partition(" ")
            known[name] = password
    existing = {u["username"]: u for u in auth.list_users(state)}
    accounts = []
    for role in DEMO_ROLES:
        name = role
        password = known.get(name)
        if name not in existing:
            password = password or secrets.token_urlsafe(9)
            auth.add_user(state, name, password, role)
        elif password is None:
            continue  # an account of that name that the demo did not make: leave it
        accounts.append((name, password, role))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.writelines(f"{name} {password}\n" for name, password, _ in accounts)
    return accounts


def handle(args) -> int:
    from analytics.store import Store
    from cca.commands.generate import generate
    from cca.output import emit

    store = Store(args.db) if args.db else Store()
    plan = demo_plan(dt.date.today())
    present = centres_with_history(store)
    for centre_id in SEED_CENTRES:
        first, months, _ = plan[centre_id]
        if centre_id in present:
            print(f"{centre_id}: already in {store.path}", file=sys.stderr)
            continue
        print(
            f"{centre_id}: generating {months} months from {first[0]:04d}-{first[1]:02d} "
            f"into {store.path}",
            file=sys.stderr,
        )
        generate(store, centre_id, f"{first[0]:04d}-{first[1]:02d}", months, args.seed)

    url = f"http://{args.host}:{args.port}/"
    print(f"Database: {store.path}")
    serve = dashboards_command()
    accounts = demo_users(store.path)
    print(
        "Seed figures: bahrain_lmra's seed month shows answer_rate ~0.909 and "
        "answer_rate_excl_short ~0.989 (S = 30 s); saudi_mol ~110,000 calls, asa_s ~12 s."
    )
    print()
    for centre_id in SEED_CENTRES:
        seed = plan[centre_id][2]
        rows = summary_rows(store, centre_id, f"{seed[0]:04d}-{seed[1]:02d}")
        emit(rows, "table")
        print()
    print(f"Dashboards: {url}")
    print("Demo users (user / password / role) — more with `cca users add NAME --role ROLE`:")
    for name, password, role in accounts:
        print(f"    {name:<10} {password:<14} {role}")
    sys.stdout.flush()
    if args.no_serve or serve is None:
        return 0
    live = [] if args.no_live else start_live_day(store.path, LIVE_CENTRE)
    try:
        return serve.handle(
            argparse.Namespace(
                db=store.path,
                host=args.host,
                port=args.port,
                threads=8,
                secure_cookies=False,
                idle_minutes=serve_defaults(serve).idle_minutes,
            )
        )
    finally:
        for proc in live:
            proc.terminate()
            proc.wait(timeout=10)


LIVE_CENTRE = "bahrain_lmra"


def start_live_day(db_path, centre_id: str) -> list:
    """`cca live simulate` and `cca live follow` of one centre, as child processes."""
    import subprocess
    from pathlib import Path

    log = Path(db_path).with_name(f"{Path(db_path).stem}.{centre_id}.queue_log")
    cca = [sys.executable, "-m", "cca", "--db", str(db_path), "live"]
    print(f"Live: {centre_id}'s day up to now, then in real time, into {log} (followed; "
          "see /wallboard)")  # fmt: skip
    return [
        subprocess.Popen([*cca, "simulate", "--scenario", centre_id, "--queue-log", str(log)]),
        subprocess.Popen([*cca, "follow", str(log), "--centre", centre_id, "--poll", "0.5"]),
    ]


def serve_defaults(serve) -> argparse.Namespace:
    """`cca serve`'s options at their defaults (the demo serves as `cca serve` would)."""
    parser = argparse.ArgumentParser()
    serve.register(parser.add_subparsers())
    return parser.parse_args(["serve"])


def dashboards_command():
    """The `cca serve` command module once the dashboards exist, else None."""
    try:
        from cca.commands import serve
    except ImportError:
        return None
    return serve
