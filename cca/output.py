"""Printing records for people (table) and programs (json, csv).

``--format json`` prints a JSON array of objects and nothing else on standard output
(docs/cli.md); progress and messages go to standard error.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from analytics.jsonable import jsonable


def _cell(value: Any) -> str:
    """A table cell: numbers with thousands separators, small ones to four decimals (a
    ratio reads 0.9119; the KPI catalogue's rounder display formats are for reports and
    tiles, while a table keeps what the JSON holds)."""
    value = jsonable(value)
    if value is None:
        return "—"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:.4f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _table(columns: list[str], cells: list[list[str]], out: TextIO, header: bool) -> None:
    """A borderless table (rich): with a header, numbers right-aligned; never wrapped or
    cut, no trailing blanks."""
    import io

    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, show_header=header, pad_edge=False, padding=(0, 1))
    for i, c in enumerate(columns):
        numeric = header and any(row[i][:1].isdigit() or row[i][:1] in "-—" for row in cells)
        table.add_column(c, justify="right" if numeric else "left", no_wrap=True)
    for row in cells:
        table.add_row(*row)
    width = sum(max(len(c), *(len(r[i]) for r in cells)) + 2 for i, c in enumerate(columns))
    buffer = io.StringIO()
    Console(file=buffer, width=max(width, 20), color_system=None, highlight=False).print(table)
    out.write("".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines()))


def emit(rows: Sequence[dict[str, Any]], fmt: str = "table", out: TextIO | None = None) -> None:
    """Print ``rows`` (dicts with the same keys) as a table, JSON array or CSV."""
    out = out or sys.stdout
    rows = list(rows)
    if fmt == "json":
        json.dump([{k: jsonable(v) for k, v in r.items()} for r in rows], out, indent=2)
        out.write("\n")
        return
    columns = list(rows[0].keys()) if rows else []
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for r in rows:
            writer.writerow(["" if jsonable(r[c]) is None else jsonable(r[c]) for c in columns])
        return
    if fmt != "table":
        raise ValueError(f"unknown format {fmt!r}")
    if not rows:
        out.write("(no rows)\n")
        return
    if len(rows) == 1:
        # One record reads best as name / value lines.
        _table(["name", "value"], [[c, _cell(rows[0][c])] for c in columns], out, False)
        return
    _table(columns, [[_cell(r[c]) for c in columns] for r in rows], out, True)
