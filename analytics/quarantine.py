"""Quarantine: every row an ingest refuses, with its physical line (a Parquet file's row
number), column, value and reason: rows that failed a check at the door, earlier rows of
an id that a later row in the same file superseded, and lines DuckDB's CSV reader set
aside (``structural_rejects``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from analytics.mapping import ColumnMapping
from analytics.records import RecordKind
from analytics.row_checks import Check, ident
from analytics.source_file import FileScan, byte_lines, record_lines
from analytics.store import LOCAL_ROW_ID


def structural_rejects(
    con: duckdb.DuckDBPyConnection, path: Path, fmt: str, plan: ColumnMapping
) -> list[tuple[int, str | None, str | None, str]]:
    """Lines DuckDB's CSV reader set aside: (physical line, column, value, reason)."""
    rows = con.execute(
        """
        SELECT line_byte_position, column_name, csv_line, error_type, error_message
        FROM reject_errors
        WHERE scan_id = (SELECT max(scan_id) FROM reject_scans)
        ORDER BY line_byte_position
        """
    ).fetchall()
    if not rows:
        return []
    # DuckDB reports a line's start 1-based; several errors on one line count once.
    first: dict[int, tuple] = {}
    for row in rows:
        first.setdefault(int(row[0]), row)
    positions = sorted(first)
    lines = byte_lines(path, [max(p - 1, 0) for p in positions])
    out = []
    for line, position in zip(lines, positions, strict=True):
        _pos, column, csv_line, error_type, message = first[position]
        if error_type == "INVALID ENCODING":
            reason = (
                f"bytes that are not valid {plan.encoding} (set [source] encoding in a mapping "
                "if the file is, e.g., Latin-1)"
            )
        elif error_type in ("TOO MANY COLUMNS", "MISSING COLUMNS"):
            reason = f"wrong number of fields: {message}"
        else:
            reason = f"{error_type.lower()}: {message}"
        out.append((line, column, csv_line, reason))
    return out


def quarantine_rows(
    con: duckdb.DuckDBPyConnection,
    spec: RecordKind,
    path: Path,
    fmt: str,
    batch_id: int,
    structural: list[tuple[int, str | None, str | None, str]],
    scan: FileScan,
    plan: ColumnMapping,
    delimiter: str,
    checks: list[Check],
    source: Any = None,
) -> int:
    """Write every refused row to quarantine with its physical line (Parquet: row number);
    the number of rows refused."""
    key = ident(spec.key)
    recs = con.execute(
        """
        SELECT rowid FROM staged WHERE keep AND problem IS NOT NULL
        UNION ALL SELECT rec FROM earlier WHERE NOT same
        UNION ALL SELECT last_rec FROM earlier WHERE NOT same
        """
    ).fetchnumpy()["rowid"]
    superseded = con.execute("SELECT count(*) FROM earlier WHERE NOT same").fetchall()[0][0]
    rejected = len(recs) - superseded + len(structural)
    if len(recs):
        recs = np.unique(recs)
        # the staged table was made inside the writer's transaction, whose rows DuckDB
        # numbers from LOCAL_ROW_ID: the record index is the rest
        index = recs % LOCAL_ROW_ID
        if source is not None:  # a telephony format knows each row's line
            lines = source.lines(con, index)
        elif fmt == "parquet":
            lines = index + 1
        else:
            lines = record_lines(path, index, [s[0] for s in structural], scan, plan, delimiter)
        con.register("rec_lines", pa.table({"rec": recs, "line": lines}))
        con.register(
            "row_rules",
            pa.table(
                {
                    "n": list(range(len(checks))),
                    "column_name": [c.column for c in checks],
                    "reason": [c.reason for c in checks],
                }
            ),
        )
        con.execute(
            """
            INSERT INTO quarantine (batch_id, line, column_name, value, reason)
            SELECT $batch, l.line, r.column_name, s.problem_value, r.reason
            FROM staged s JOIN rec_lines l ON l.rec = s.rowid JOIN row_rules r ON r.n = s.problem
            WHERE s.keep AND s.problem IS NOT NULL
            """,
            {"batch": batch_id},
        )
        con.unregister("row_rules")
        con.execute(
            f"""
            INSERT INTO quarantine (batch_id, line, column_name, value, reason)
            SELECT $batch, el.line, $key_name, s.{key},
                   $key_name || ' ' || s.{key} || ' appears again on '
                       || $where || ' ' || ll.line
                       || ' with different values; that later row was loaded'
            FROM earlier e
            JOIN staged s ON s.rowid = e.rec
            JOIN rec_lines el ON el.rec = e.rec
            JOIN rec_lines ll ON ll.rec = e.last_rec
            WHERE NOT e.same
            """,
            {
                "batch": batch_id,
                "key_name": spec.key,
                "where": "row" if fmt == "parquet" else "line",
            },
        )
        con.unregister("rec_lines")
    if structural:
        con.register(
            "structural",
            pa.table(
                {
                    "line": [s[0] for s in structural],
                    "column_name": [s[1] for s in structural],
                    "value": [s[2] for s in structural],
                    "reason": [s[3] for s in structural],
                }
            ),
        )
        con.execute(
            "INSERT INTO quarantine (batch_id, line, column_name, value, reason) "
            "SELECT ?, line, column_name, value, reason FROM structural",
            [batch_id],
        )
        con.unregister("structural")
    return rejected
