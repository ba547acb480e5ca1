"""Options several commands share, as argparse parent parsers (``parents=[...]``).

A command that prints rows takes ``parents=[output_formats(...)]``; one that runs
simulations on local processes ``parents=[worker_processes()]``. Their names, defaults and
help are written once here, so every command spells them alike.
"""

from __future__ import annotations

import argparse


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
