"""`cca generate`: months of realistic history for a seed centre, into the store.

    cca generate --scenario bahrain_lmra --start 2025-10 --months 12
    cca generate --scenario saudi_mol --start 2026-08 --months 3 --seed 7

Calls come from the SimPy queue model month by month (waits and abandons from the
queue), tickets from the pack's e-support, SMS and walk-in channels with working-day
resolution, staffing per interval from the pack's Erlang rule; public holidays,
Ramadan, month-start peaks and the pack's incidents shape the calendar (see
simulation/synthetic/history.py). Re-running the same command changes nothing; another seed
replaces those months. Progress goes to standard error.
"""

from __future__ import annotations

import re
import sys

from analytics.errors import UserError
from cca.options import command, output_formats, seed


def register(subparsers) -> None:
    p = command(
        subparsers,
        "generate",
        __doc__,
        "generate months of synthetic history for a scenario pack into the store",
        output_formats("table", "json"),
        seed("random seed (default 0)"),
    )
    p.add_argument("--scenario", required=True, metavar="NAME|FILE", help="e.g. bahrain_lmra")
    p.add_argument(
        "--start", metavar="YYYY-MM", help="first month (default: the scenario's start month)"
    )
    p.add_argument("--months", type=int, default=1, help="number of months (default 1)")
    p.set_defaults(handler=handle)


def parse_month(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise UserError(f"--start {text!r}: give a month like 2026-09")
    return int(match.group(1)), int(match.group(2))


def generate(store, scenario: str, start: str | None, months: int, seed: int, quiet=False):
    """Generate and store; returns the ``WriteSummary``. Progress bars on standard error."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from simulation.synthetic.history import generate_history, write_history
    from simulation.synthetic.pack import load_pack

    try:
        pack = load_pack(scenario)
    except (FileNotFoundError, ValueError) as exc:
        raise UserError(str(exc)) from None
    if months < 1:
        raise UserError(f"--months {months}: give 1 or more")
    first = parse_month(start) if start else (pack.scenario.start.year, pack.scenario.start.month)
    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} months"),
        TimeElapsedColumn(),
        console=console,
        disable=quiet,
        transient=False,
    ) as progress:
        task = progress.add_task(f"simulating {pack.centre_id}", total=months)

        def step(label: str, done: int, total: int) -> None:
            progress.update(task, completed=done, description=f"simulating {label}")

        history = generate_history(pack, first, months, seed, progress=step)
        writing = progress.add_task(f"storing {pack.centre_id}", total=1)
        summary = write_history(store, pack, history)
        progress.update(writing, completed=1)
    return summary


def handle(args) -> int:
    from analytics.store import Store
    from cca.output import emit

    store = Store(args.db) if args.db else Store()
    summary = generate(store, args.scenario, args.start, args.months, args.seed)
    record = summary.as_record()
    record["seconds"] = round(record["seconds"], 2)
    emit([record], args.format)
    if args.format == "table":
        print(
            f"next: cca kpi calls --centre {summary.centre_id} --period {summary.last_month} "
            "--by category",
            file=sys.stderr,
        )
    return 0
