"""`cca store info|compact|migrate`: the lake store's upkeep (docs/stores.md).

Also home of ``--known-at`` (``cca kpi``, ``cca export``, ``cca alerts check``): read the
store as it stood at an instant, so a figure a manager saw can be reproduced exactly.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from cca.options import actions, output_formats

KNOWN_AT_HELP = (
    "read the store as it stood at this instant (ISO 8601 with offset, e.g. "
    "2026-10-01T09:00+03:00): the figures shown then, not later loads. Not --as-of"
)


def add_known_at(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--known-at", metavar="TIMESTAMP", help=KNOWN_AT_HELP)


def known_at(text: str | None) -> dt.datetime | None:
    """The instant of ``--known-at`` (None without one)."""
    from cca.options import instant

    return instant(text, "--known-at", "2026-10-01T09:00+03:00")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "store",
        help="the store: what it holds, compaction, migrating a single-file store",
        description=(
            "The analytics store is a DuckLake: a catalogue (SQLite beside --db, or "
            "PostgreSQL) and Parquet files. See docs/stores.md."
        ),
    )
    sub = actions(parser, "action")
    info = sub.add_parser(
        "info",
        parents=[output_formats("table", "json")],
        help="centres, rows, files, snapshots and size",
        description="What the store holds: centres, rows per table, data files, snapshots "
        "and bytes on disk.",
    )
    info.set_defaults(handler=_info)
    compact = sub.add_parser(
        "compact",
        parents=[output_formats("table", "json")],
        help="merge small files, flush inlined rows, expire old snapshots, delete orphans",
        description="Fold the rollup's deltas, flush rows inlined in the catalogue, merge "
        "small Parquet files, expire snapshots older than --retain-days (they can no "
        "longer be read with --known-at) and delete files nothing reaches (a killed "
        "load's). Writers also run it every few hundred snapshots.",
    )
    compact.add_argument(
        "--retain-days",
        type=float,
        default=30.0,
        help="keep snapshots of the last N days readable with --known-at (default 30)",
    )
    compact.set_defaults(handler=_compact)
    migrate = sub.add_parser(
        "migrate",
        help="convert a single-file store of the previous design into a lake store",
        description="Copy every table of OLD (a DuckDB file of schema 1 to 6) into the new "
        "lake store --to PATH (or a postgresql:// URL) in one transaction, with a progress "
        "bar. OLD is left as it was; the KPIs of the two are identical.",
    )
    migrate.add_argument(
        "old", type=Path, help="the single-file store, e.g. data/contact_centre.duckdb"
    )
    migrate.add_argument("--to", required=True, help="the new lake store's path or URL")
    migrate.set_defaults(handler=_migrate)
    parser.set_defaults(handler=lambda args: parser.print_help())


def _rows(info: dict) -> list[dict]:
    out = [{"what": k, "value": v} for k, v in info.items() if k != "rows"]
    out += [{"what": f"rows: {t}", "value": n} for t, n in info["rows"].items()]
    return [
        {
            "what": r["what"],
            "value": ", ".join(r["value"]) if isinstance(r["value"], list) else r["value"],
        }
        for r in out
    ]


def _info(args) -> int:
    from analytics.errors import UserError
    from analytics.maintenance import store_info
    from analytics.store import Store, StoreError
    from cca.output import emit

    store = Store(args.db)
    try:
        if not store.exists():
            raise UserError(f"no store at {store.path}")
        info = store_info(store)
    except StoreError as exc:
        raise UserError(str(exc)) from None
    emit([info] if args.format == "json" else _rows(info), args.format)
    return 0


def _compact(args) -> int:
    from analytics.errors import UserError
    from analytics.maintenance import compact
    from analytics.store import Store, StoreError
    from cca.output import emit

    if args.retain_days < 0:
        raise UserError("--retain-days must be >= 0")
    store = Store(args.db)
    try:
        if not store.exists():
            raise UserError(f"no store at {store.path}")
        done = compact(store, dt.timedelta(days=args.retain_days))
    except StoreError as exc:
        raise UserError(str(exc)) from None
    if args.format == "json":
        emit([done], "json")
    else:
        rows = [
            {"what": k, "before": done["before"].get(k), "after": done["after"].get(k)}
            for k in ("data_files", "data_bytes", "snapshots", "bytes_on_disk")
            if k in done["before"]
        ]
        emit(rows, "table")
    return 0


def _migrate(args) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from analytics.errors import UserError
    from analytics.maintenance import migrate_single_file
    from analytics.store import Store, StoreError, store_location

    target = Store(store_location(args.to))
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), transient=False
    ) as bar:
        task = bar.add_task("rows", total=None)

        def progress(table: str, done: int, total: int) -> None:
            bar.update(task, description=f"copying {table}", completed=done, total=total)

        try:
            copied = migrate_single_file(args.old, target, progress)
        except StoreError as exc:
            raise UserError(str(exc)) from None
    for table, n in copied.items():
        print(f"{table}: {n:,} rows")
    print(f"Store: {target.location} (use --db {args.to})")
    return 0
