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
        width = max(len(c) for c in columns)
        for c in columns:
            out.write(f"{c.ljust(width)}  {_cell(rows[0][c])}\n")
        return
    cells = [[_cell(r[c]) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    out.write("  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True)) + "\n")
    for row in cells:
        out.write("  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)) + "\n")
