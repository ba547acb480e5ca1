"""Numbered lines: a text file read by DuckDB one whole line per row, with line numbers.

Line-oriented telephony logs (the Asterisk queue log, JSON lines) must be quarantined by
physical line, but DuckDB's CSV reader does not return line numbers. Read with a
delimiter and quote that never occur, each line becomes one row in file order, blank
lines included (as NULL), so row *r* of the resulting table is line *r + 1*. That holds
only while the reader sets no line aside; a line with bytes that are not valid UTF-8 (or
with the 0x01 byte used as the "never" delimiter) would be set aside and shift every
later row. So when DuckDB reports any such line, the file is read again from a copy in
which those lines are blanked, and they come back as rejects with their line numbers.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb

from analytics.formats import LineReject

_NEVER = "\x01"


def _reader(path: Path) -> str:
    return (
        f"read_csv('{str(path).replace(chr(39), chr(39) * 2)}', columns = {{'raw': 'VARCHAR'}}, "
        f"header = false, delim = '{_NEVER}', quote = '', escape = '', auto_detect = false, "
        "new_line = '\\n', strict_mode = false, ignore_errors = true, store_rejects = true)"
    )


def read_numbered_lines(
    con: duckdb.DuckDBPyConnection, path: Path, table: str, query: str
) -> list[LineReject]:
    """Create temp ``table`` as ``query``, in which ``__lines__`` is the file's lines.

    ``__lines__`` has one column ``raw`` (the line without its line break; NULL for a
    blank line); ``query`` must keep one output row per input row, in order, so that
    ``rowid + 1`` of ``table`` is the physical line. Returns the lines that could not be
    read.
    """
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {table} AS {query.replace('__lines__', _reader(path))}"
    )
    bad = con.execute(
        "SELECT count(*) FROM reject_errors WHERE scan_id = (SELECT max(scan_id) FROM reject_scans)"
    ).fetchall()[0][0]
    if not bad:
        return []
    rejects: list[LineReject] = []
    with tempfile.TemporaryDirectory(prefix="cca-lines-") as tmp:
        clean = Path(tmp) / path.name
        with open(path, "rb") as src, open(clean, "wb") as out:
            for number, line in enumerate(src, start=1):
                body = line.rstrip(b"\r\n")
                reason = None
                if _NEVER.encode() in body:
                    reason = "contains the control byte 0x01"
                else:
                    try:
                        body.decode("utf-8")
                    except UnicodeDecodeError as exc:
                        reason = f"bytes that are not valid UTF-8 (at byte {exc.start} of the line)"
                if reason is None:
                    out.write(line)
                else:
                    shown = body.decode("utf-8", errors="replace")[:200]
                    rejects.append((number, None, shown, reason))
                    out.write(b"\n" if line.endswith(b"\n") else b"")
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS " + query.replace("__lines__", _reader(clean))
        )
    return rejects
