"""A source file as the ingest reads it: one pass over its bytes (checksum, quotes,
blank lines), its format, its header and delimiter, and the physical line each record
starts on (for messages that name the line).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from analytics.mapping import ColumnMapping

DELIMITERS = (",", "\t", ";", "|")


class IngestError(ValueError):
    """The file as a whole cannot be ingested (unreadable, wrong columns, bad mapping)."""


@dataclass(frozen=True)
class FileScan:
    """One pass over the raw bytes: checksum, and whether every record is one line."""

    sha256: str
    size: int
    has_quote: bool
    has_blank_line: bool


def scan_file(path: Path, quote: str) -> FileScan:
    digest = hashlib.sha256()
    quote_byte = quote.encode() if quote else b""
    has_quote = has_blank = False
    size = 0
    previous = b""
    with open(path, "rb") as f:
        while chunk := f.read(1 << 24):
            digest.update(chunk)
            size += len(chunk)
            if quote_byte and not has_quote and quote_byte in chunk:
                has_quote = True
            if not has_blank:
                joined = previous + chunk
                has_blank = b"\n\n" in joined or b"\n\r\n" in joined
            previous = chunk[-2:]
    return FileScan(digest.hexdigest(), size, has_quote, has_blank)


def detect_format(path: Path, requested: str) -> str:
    from analytics.formats import formats, sniff_format

    if requested in ("csv", "parquet", *formats()):
        return requested
    if requested != "auto":
        raise IngestError(
            f"{path}: unknown input format {requested!r}; use auto, csv, parquet or "
            + ", ".join(formats())
        )
    with open(path, "rb") as f:
        head = f.read(4)
    if head == b"PAR1" or path.suffix.lower() in (".parquet", ".pq"):
        return "parquet"
    return sniff_format(path) or "csv"


def header_line(path: Path, encoding: str) -> str:
    with open(path, "rb") as f:
        raw = f.readline(1 << 20)
    if not raw.strip():
        raise IngestError(f"{path}: the file is empty (line 1 should be a header)")
    codec = {"utf-8": "utf-8-sig", "latin-1": "latin-1", "utf-16": "utf-16"}[encoding]
    try:
        return raw.decode(codec).rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise IngestError(
            f"{path} line 1: the header is not valid {encoding} (byte {exc.start}); "
            "set [source] encoding in a mapping"
        ) from exc


def sniff_delimiter(header: str, wanted: set[str]) -> str:
    """The delimiter that splits the header into the most wanted (else most) names."""

    def score(delimiter: str) -> tuple[int, int]:
        names = {n.strip().strip('"') for n in header.split(delimiter)}
        return (len(names & wanted), len(names))

    return max(DELIMITERS, key=score)


# --------------------------------------------------------------------------- line numbers


def byte_lines(path: Path, positions: list[int]) -> list[int]:
    """Physical 1-based line numbers of byte offsets (ascending or not)."""
    if not positions:
        return []
    order = sorted(set(positions))
    found: dict[int, int] = {}
    newlines = 0
    offset = 0
    i = 0
    with open(path, "rb") as f:
        while i < len(order) and (chunk := f.read(1 << 24)):
            while i < len(order) and order[i] < offset + len(chunk):
                found[order[i]] = newlines + chunk.count(b"\n", 0, order[i] - offset) + 1
                i += 1
            newlines += chunk.count(b"\n")
            offset += len(chunk)
    for p in order[i:]:
        found[p] = newlines + 1
    return [found[p] for p in positions]


def record_lines(
    path: Path,
    recs: np.ndarray,
    skipped_lines: list[int],
    scan: FileScan,
    mapping: ColumnMapping,
    delimiter: str,
) -> np.ndarray:
    """Physical start line of each record index (0-based, as DuckDB produced them).

    When no record spans lines and no line is blank, record r is the r-th data line
    after the header not set aside as malformed, so this is arithmetic. Otherwise the
    file is walked with Python's csv reader up to the last record asked for.
    """
    recs = np.asarray(recs, dtype=np.int64)
    skipped = np.array(sorted(skipped_lines), dtype=np.int64)
    if not scan.has_quote and not scan.has_blank_line and mapping.encoding != "utf-16":
        lines = recs + 2
        while True:  # converges after as many rounds as skipped lines fall in between
            shifted = recs + 2 + np.searchsorted(skipped, lines, side="right")
            if np.array_equal(shifted, lines):
                return lines
            lines = shifted
    import csv

    wanted = {int(r) for r in recs}
    last = max(wanted, default=-1)
    skipped_set = set(skipped.tolist())
    start_of: dict[int, int] = {}
    codec = "utf-8-sig" if mapping.encoding == "utf-8" else mapping.encoding
    with open(path, encoding=codec, errors="replace", newline="") as f:
        reader = csv.reader(
            f,
            delimiter=delimiter,
            quotechar=mapping.quote or '"',
            quoting=csv.QUOTE_MINIMAL if mapping.quote else csv.QUOTE_NONE,
            strict=False,
        )
        consumed = 0
        rec = -1
        for number, fields in enumerate(reader):
            start = consumed + 1
            consumed = reader.line_num
            if number == 0 or not fields or start in skipped_set:
                continue  # the header, blank lines, malformed lines DuckDB set aside
            rec += 1
            if rec in wanted:
                start_of[rec] = start
            if rec >= last:
                break
    return np.array([start_of.get(int(r), 0) for r in recs], dtype=np.int64)
