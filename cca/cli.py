"""`cca`: the command line of contact-centre-analytics (reference: docs/cli.md).

Each subcommand lives in ``cca/commands/<name>.py`` with ``register(subparsers)``,
which adds its parser and sets ``handler``. Registration must stay cheap (argparse
only): heavy imports (pandas, simpy, dash) happen inside the handlers, so that
``cca --help`` is instant.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from analytics.errors import UserError
from analytics.store import default_db_path, store_location

# Order is the order shown in `cca --help`.
COMMANDS = [
    "demo",
    "generate",
    "ingest",
    "kpi",
    "erlang",
    "simulate",
    "staff",
    "forecast",
    "roster",
    "calibrate",
    "export",
    "backtest",
    "intraday",
    "alerts",
    "live",
    "serve",
    "users",
    "store",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cca",
        description="Contact-centre analytics: KPIs, Erlang and simulation staffing, dashboards.",
    )
    parser.add_argument(
        "--db",
        type=store_location,
        default=None,
        help=f"the store: a path, or a postgresql:// URL for a catalogue shared by several "
        f"hosts (default: $CCA_DB or {default_db_path()}); see docs/stores.md",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        # A command module that fails to import is an error, never a command left out.
        importlib.import_module(f"cca.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    # Files this process makes (the store, its app state, keys, exports) are the owner's
    # alone: they hold callers' pseudonyms, users and sessions (docs/security.md).
    os.umask(0o077)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.db is None:
        args.db = default_db_path()
    try:
        result = args.handler(args)
    except UserError as exc:
        print(f"cca {args.command}: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    return int(result or 0)
