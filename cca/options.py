"""Options and argument handling several commands share, written once so that every
command spells them alike.

Parsers: ``command`` adds a command (or an action of one) whose ``--help`` is its module
docstring; ``actions`` its required sub-commands. Options as argparse parent parsers
(``parents=[...]``): ``output_formats`` (``--format``), ``worker_processes``
(``--workers``), ``centre`` (``--centre``), ``seed`` (``--seed``), ``interval_length``
(``--interval-s``), ``dask_scheduler`` (``--scheduler``) and ``listen_address``
(``--host``, ``--port``).

Values: ``period`` and ``instant`` read an option's text, and ``centre_reader`` opens the
store on ``--centre``; each turns what is wrong into a ``UserError`` naming the option.
Heavy modules (the store, DuckDB) are imported when a command runs, not when ``cca``
starts.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from analytics.errors import UserError

if TYPE_CHECKING:
    from analytics.periods import Period


def command(
    subparsers, name: str, doc: str | None, help: str, *parents: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    """The parser of command ``name``: ``help`` in the list of commands, ``doc`` (the
    module docstring, its line breaks kept) as its ``--help``."""
    return subparsers.add_parser(
        name,
        parents=list(parents),
        help=help,
        description=doc,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def actions(parser: argparse.ArgumentParser, dest: str = "action"):
    """The required sub-commands (ACTION) of ``parser``; the chosen one lands in ``dest``."""
    sub = parser.add_subparsers(dest=dest, metavar="ACTION")
    sub.required = True
    return sub


def output_formats(*formats: str) -> argparse.ArgumentParser:
    """``--format`` with ``formats`` (default: table, json, csv); ``table`` is the default."""
    formats = formats or ("table", "json", "csv")
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--format",
        choices=formats,
        default="table",
        help="table for people (default), json or csv for programs (docs/cli.md)",
    )
    return parent


def worker_processes() -> argparse.ArgumentParser:
    """``--workers``: local processes for simulations."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--workers", type=int, help="local worker processes (default: one per CPU)")
    return parent


def centre(help: str = "centre id", metavar: str | None = None) -> argparse.ArgumentParser:
    """``--centre``, required."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--centre", required=True, metavar=metavar, help=help)
    return parent


def seed(help: str = "seed of the run (default 0)") -> argparse.ArgumentParser:
    """``--seed``, an integer, 0 by default."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--seed", type=int, default=0, help=help)
    return parent


def interval_length() -> argparse.ArgumentParser:
    """``--interval-s``: the length of a scenario's intervals in seconds, 1800 by default."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--interval-s", type=int, default=1800, help="interval length in seconds (default 1800)"
    )
    return parent


def dask_scheduler() -> argparse.ArgumentParser:
    """``--scheduler``: a Dask scheduler's address for the simulations."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler for the simulations, e.g. tcp://127.0.0.1:8786 (default: "
        "$DASK_SCHEDULER_ADDRESS; else a local process pool)",
    )
    return parent


def listen_address() -> argparse.ArgumentParser:
    """``--host`` and ``--port`` the dashboards listen on."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--host", default="127.0.0.1", help="dashboards host (default 127.0.0.1)")
    parent.add_argument("--port", type=int, default=8050, help="dashboards port (default 8050)")
    return parent


def period(text: str, option: str) -> Period:
    """The period an option names (2024-09, a date range, 1446-03H)."""
    from analytics.periods import parse_period

    try:
        return parse_period(text)
    except ValueError as exc:
        raise UserError(f"{option}: {exc}") from None


def instant(
    text: str | None, option: str, example: str = "2024-10-01T09:00+03:00", *, local=False
) -> dt.datetime | None:
    """The aware instant an option gives, ISO 8601 with a UTC offset (None without one);
    with ``local``, a time without an offset too (a naive wall time, for the caller to
    place in a centre's time zone)."""
    if text is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"{option}: {text!r} is not an ISO 8601 instant") from None
    if moment.tzinfo is None and not local:
        raise UserError(f"{option}: {text!r} needs a UTC offset, e.g. {example}")
    return moment


@contextmanager
def centre_reader(args: argparse.Namespace, *errors: type[Exception]) -> Iterator[tuple]:
    """A read connection to the store ``--db`` (as it stood at ``--known-at``, if the
    command has it) and the settings of ``--centre``, as ``(con, centre)``. A store error, an unknown centre, a ``ValueError`` or one of
    ``errors`` raised inside becomes a ``UserError`` with its message."""
    from analytics.centres import UnknownCentre, get_centre
    from analytics.store import Store, StoreError

    moment = instant(getattr(args, "known_at", None), "--known-at", "2026-10-01T09:00+03:00")
    try:
        with Store(args.db, known_at=moment).reader() as con:
            yield con, get_centre(con, args.centre)
    except (StoreError, UnknownCentre, ValueError, *errors) as exc:
        raise UserError(str(exc)) from None
