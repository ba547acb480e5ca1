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

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np

from analytics.formats import LineReject
from analytics.store import LOCAL_ROW_ID

_NEVER = "\x01"


def _reader(path: Path) -> str:
    return (
        f"read_csv('{str(path).replace(chr(39), chr(39) * 2)}', columns = {{'raw': 'VARCHAR'}}, "
        f"header = false, delim = '{_NEVER}', quote = '', escape = '', auto_detect = false, "
        "new_line = '\\n', strict_mode = false, ignore_errors = true, store_rejects = true)"
    )


def _two_steps(
    con: duckdb.DuckDBPyConnection, table: str, query: str, name: str, reader: str
) -> None:
    """Scan the file into a table as it is (a plain scan keeps the file's order), then
    run ``query`` over it with each row's number in ``row_no``: the query may reorder
    rows (DuckDB turns long IN lists into joins), the numbers stay with them."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table}_scan AS SELECT * FROM {reader}")
    numbered = f"(SELECT rowid % {LOCAL_ROW_ID} + 1 AS row_no, * FROM {table}_scan)"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {query.replace(name, numbered)}")
    con.execute(f"DROP TABLE {table}_scan")


def read_numbered_lines(
    con: duckdb.DuckDBPyConnection, path: Path, table: str, query: str
) -> list[LineReject]:
    """Create temp ``table`` as ``query``, in which ``__lines__`` is the file's lines.

    ``__lines__`` has one column ``raw`` (the line without its line break; NULL for a
    blank line); ``query`` must keep one output row per input row, in order, so that
    ``row_no`` of ``table`` is the physical line. Returns the lines that could not be
    read.
    """
    _two_steps(con, table, query, "__lines__", _reader(path))
    bad = con.execute(
        "SELECT count(*) FROM reject_errors WHERE scan_id = (SELECT max(scan_id) FROM reject_scans)"
    ).fetchall()[0][0]
    if not bad:
        return []
    with tempfile.TemporaryDirectory(prefix="cca-lines-") as tmp:
        clean = Path(tmp) / path.name
        rejects = _blank_bad_lines(path, clean)
        _two_steps(con, table, query, "__lines__", _reader(clean))
    return rejects


@dataclass
class NumberedFields:
    """A delimited log read by DuckDB's CSV reader; rows map back to physical lines.

    The CSV reader is the fastest way to split lines into fields, but it skips empty
    lines, so row *r* is physical line *r* plus the empty lines before it. Those are
    found only when a line number is actually needed (something goes to quarantine).
    """

    path: Path
    rejects: list[LineReject] = field(default_factory=list)
    _blank: np.ndarray | None = None

    def blank_lines(self) -> np.ndarray:
        """Sorted physical numbers of the empty lines of the file that was read."""
        if self._blank is None:
            found: list[int] = []
            newlines = 0
            carry = b""
            with open(self.path, "rb") as f:
                while chunk := f.read(1 << 24):
                    block = carry + chunk
                    cut = block.rfind(b"\n") + 1
                    block, carry = block[:cut], block[cut:]
                    if block.startswith((b"\n", b"\r\n")) or b"\n\n" in block or b"\n\r\n" in block:
                        for i, line in enumerate(block.split(b"\n")[:-1]):
                            if line in (b"", b"\r"):
                                found.append(newlines + i + 1)
                    newlines += block.count(b"\n")
            self._blank = np.array(found, dtype=np.int64)
        return self._blank

    def physical(self, rows: np.ndarray) -> np.ndarray:
        """Physical line numbers of 1-based row numbers."""
        rows = np.asarray(rows, dtype=np.int64)
        blank = self.blank_lines()
        lines = rows.copy()
        while len(blank):  # converges after as many rounds as empty lines fall in between
            shifted = rows + np.searchsorted(blank, lines, side="right")
            if np.array_equal(shifted, lines):
                break
            lines = shifted
        return lines


def in_source_order(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object] | None = None
) -> None:
    """Run a ``CREATE TABLE ... AS`` whose rows must stay in the source's order.

    A plain scan with projections keeps the file's order in the table (DuckDB's
    preserve_insertion_order), but DuckDB rewrites an IN list of five or more constants
    into a join, and that join reorders the rows of a file read in parallel; with the
    rewrite off the IN list is evaluated in place and the order holds.
    """
    before = con.execute("SELECT current_setting('disabled_optimizers')").fetchall()[0][0]
    off = ",".join(filter(None, [before, "in_clause"]))
    con.execute(f"SET disabled_optimizers = '{off}'")
    try:
        con.execute(sql, params or {})
    finally:
        if before:
            con.execute(f"SET disabled_optimizers = '{before}'")
        else:
            con.execute("RESET disabled_optimizers")


def read_numbered_fields(
    con: duckdb.DuckDBPyConnection, path: Path, table: str, query: str, *, fields: int = 12
) -> NumberedFields:
    """Create temp ``table`` as ``query``, in which ``__fields__`` has columns c1..cN.

    Each line is split on ``|`` (no quoting; missing and empty fields are NULL, fields
    past N are dropped). ``query`` must be a projection of ``__fields__`` (one row per
    input row, no joins or aggregates), so that the table keeps the file's order and
    ``rowid + 1`` is the row number; :meth:`NumberedFields.physical` turns a row number
    into the physical line. Reading and splitting in one statement, with no table of the
    raw fields, is what keeps this close to a bare ``read_csv``. Lines with bytes that
    are not UTF-8 are blanked in a private copy first and returned as rejects.
    """
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(1, fields + 1))

    def reader(p: Path) -> str:
        return (
            f"read_csv('{str(p).replace(chr(39), chr(39) * 2)}', columns = {{{columns}}}, "
            "header = false, delim = '|', quote = '', escape = '', auto_detect = false, "
            "new_line = '\\n', strict_mode = false, null_padding = true, ignore_errors = true, "
            "store_rejects = true)"
        )

    def create(p: Path) -> None:
        in_source_order(
            con,
            f"CREATE OR REPLACE TEMP TABLE {table} AS "
            + query.replace("__fields__", f"(SELECT * FROM {reader(p)})"),
        )

    create(path)
    bad = con.execute(
        "SELECT count(*) FROM reject_errors WHERE scan_id = (SELECT max(scan_id) FROM reject_scans)"
    ).fetchall()[0][0]
    if not bad:
        return NumberedFields(path)
    tmp = Path(tempfile.mkdtemp(prefix="cca-fields-"))
    clean = tmp / path.name
    rejects = _blank_bad_lines(path, clean)
    try:
        create(clean)
        result = NumberedFields(clean, rejects)
        result.blank_lines()  # before the copy goes
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return result


def _blank_bad_lines(path: Path, clean: Path) -> list[LineReject]:
    rejects: list[LineReject] = []
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
                rejects.append((number, None, body.decode("utf-8", errors="replace")[:200], reason))
                out.write(b"\n" if line.endswith(b"\n") else b"")
    return rejects
