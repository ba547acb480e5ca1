"""Ingest: loading call logs and tickets into the store without losing a row.

A nightly load of a contact centre's switch export must be boring: the same file twice
adds nothing, overlapping days union, a corrected call replaces its old version, and
one bad row never costs the other thousands. This module does that in four steps,
all inside one store writer (so the file is one transaction and readers see the old
data or the new, never half):

1. **Read.** CSV (every cell read as text, the delimiter sniffed from the header unless
   a mapping fixes it) or Parquet (stored types kept). Malformed lines -- too many or
   too few fields, bytes that are not valid in the file's encoding -- are set aside by
   DuckDB's reader with their byte position.
2. **Map.** A :class:`~analytics.mapping.ColumnMapping` gives one SQL expression per canonical
   column plus a row filter; without one, the file's columns must carry the canonical
   names of docs/stores.md.
3. **Validate at the door.** Each row is typed (timestamps as instants: a timestamp
   without offset is read in the centre's time zone) and checked: required values,
   numbers, the outcome vocabulary, non-negative finite durations, answered_at ≥
   arrived_at and so on. The first failing check of a row sends it to ``quarantine``
   with its physical line, column, value and reason.
4. **Merge.** Rows are matched on (centre, id): a new id is loaded, the same values
   again are a duplicate, different values are a correction that replaces the old row
   (updated). Within one file the last occurrence of an id wins; an earlier occurrence
   with different values is quarantined, naming the line that superseded it.

Caller identifiers never reach the database: only a keyed pseudonym,
``HMAC-SHA256(key, sha256(salt || caller_id))`` with the key outside the store
(``analytics.pseudonyms``).

Counts satisfy ``read = loaded + updated + duplicate + rejected + filtered``.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
import zoneinfo
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from analytics import pseudonyms
from analytics.call_log import changing_calls
from analytics.centres import ensure_centre
from analytics.formats.lines import in_source_order
from analytics.labels import save_labels
from analytics.mapping import ColumnMapping, MappingError
from analytics.records import (  # noqa: F401  (part of the ingest API)
    CALLS,
    OUTCOMES,
    OUTCOMES_SQL,
    RECORD_KINDS,
    TICKETS,
    Column,
    RecordKind,
)
from analytics.store import LOCAL_ROW_ID, Store

# Text timestamps are tried as ISO 8601 (space or T, fractions, Z or ±HH[:MM] offsets)
# first, then as these day-first forms used by the seed centres' exports, then as the
# mapping's own formats.
DEFAULT_TIMESTAMP_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M")
DELIMITERS = (",", "\t", ";", "|")
FIRST_REJECTS_SHOWN = 5
# DuckDB's default is 80% of RAM. The staged rows of ten million calls (about 2.1 GB
# uncompressed) fit inside this, which keeps the process under 4 GB; anything larger
# spills to the process's private spill directory (analytics.store, CCA_SPILL_DIR).
DEFAULT_MEMORY_LIMIT = "3.2GB"


class IngestError(ValueError):
    """The file as a whole cannot be ingested (unreadable, wrong columns, bad mapping)."""


@dataclass(frozen=True)
class Reject:
    """One quarantined row: where it was and why it was refused."""

    line: int | None
    column: str | None
    value: str | None
    reason: str


@dataclass
class IngestResult:
    """What one ingest did; ``read = loaded + updated + duplicate + rejected + filtered``."""

    batch_id: int
    centre_id: str
    kind: str
    file: str
    format: str
    read: int = 0
    loaded: int = 0
    updated: int = 0
    duplicate: int = 0
    rejected: int = 0
    filtered: int = 0
    seconds: float = 0.0
    centre_created: bool = False
    ignored_columns: tuple[str, ...] = ()
    first_rejects: list[Reject] = field(default_factory=list)
    # what a telephony format (analytics.formats) has to say about the file
    notes: list[str] = field(default_factory=list)
    # seconds spent in each step, for benchmarks/ingest.py
    timings: dict[str, float] = field(default_factory=dict)

    def lap(self, step: str, since: float) -> float:
        now = time.perf_counter()
        self.timings[step] = self.timings.get(step, 0.0) + now - since
        return now

    @property
    def nothing_loadable(self) -> bool:
        """True when the file had rows and every one of them was refused."""
        return self.rejected > 0 and self.loaded + self.updated + self.duplicate == 0

    def as_record(self) -> dict[str, Any]:
        return {
            "centre_id": self.centre_id,
            "kind": self.kind,
            "file": self.file,
            "format": self.format,
            "batch_id": self.batch_id,
            "read": self.read,
            "loaded": self.loaded,
            "updated": self.updated,
            "duplicate": self.duplicate,
            "rejected": self.rejected,
            "filtered": self.filtered,
            "seconds": round(self.seconds, 3),
            "centre_created": self.centre_created,
            "ignored_columns": list(self.ignored_columns),
            "first_rejects": [r.__dict__ for r in self.first_rejects],
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------- reading


def _ident(name: str) -> str:
    """A column name as a quoted SQL identifier (names come from file headers)."""
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    """One of this module's own constant strings as a SQL literal (never user data)."""
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class _FileScan:
    """One pass over the raw bytes: checksum, and whether every record is one line."""

    sha256: str
    size: int
    has_quote: bool
    has_blank_line: bool


def _scan_file(path: Path, quote: str) -> _FileScan:
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
    return _FileScan(digest.hexdigest(), size, has_quote, has_blank)


def _detect_format(path: Path, requested: str) -> str:
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


def _header_line(path: Path, encoding: str) -> str:
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


def _sniff_delimiter(header: str, wanted: set[str]) -> str:
    """The delimiter that splits the header into the most wanted (else most) names."""

    def score(delimiter: str) -> tuple[int, int]:
        names = {n.strip().strip('"') for n in header.split(delimiter)}
        return (len(names & wanted), len(names))

    return max(DELIMITERS, key=score)


# --------------------------------------------------------------------------- SQL builders


def _typed_sql(column: Column, raw: str, raw_type: str, formats: int) -> str:
    """The typed value of one canonical column from its mapped (raw) value."""
    text = f"CAST({raw} AS VARCHAR)"
    if column.role == "timestamp":
        if raw_type == "TIMESTAMP WITH TIME ZONE":
            return raw
        if raw_type.startswith("TIMESTAMP") or raw_type == "DATE":
            # The session time zone is the centre's: a naive instant is local time there.
            return f"CAST({raw} AS TIMESTAMPTZ)"
        tries = [f"TRY_CAST({text} AS TIMESTAMPTZ)"] + [
            f"TRY_CAST(try_strptime({text}, $fmt{i}) AS TIMESTAMPTZ)" for i in range(formats)
        ]
        return f"COALESCE({', '.join(tries)})"
    if column.role == "seconds":
        if raw_type == "INTERVAL":
            return f"epoch({raw})"
        if raw_type != "VARCHAR":
            # Through text: DuckDB prunes isnan() on Parquet columns whose statistics
            # leave NaN out, and a NaN wait would then slip through.
            return f"TRY_CAST({text} AS DOUBLE)"
        return f"TRY_CAST({raw} AS DOUBLE)"
    if column.role == "key":
        return f"NULLIF(trim({text}), '')"
    if column.role == "outcome":
        # Nearly every value is already one of the vocabulary; only the others are
        # trimmed and lower-cased (new strings for every row cost 0.4 s of CPU per five
        # million calls, the comparison a fifth of that).
        vocabulary = ", ".join(_literal(o) for o in OUTCOMES)
        return f"CASE WHEN {text} IN ({vocabulary}) THEN {text} ELSE lower(trim({text})) END"
    if column.role == "caller":
        # Staged as the trimmed id and hashed on the way into the stored table (see
        # _stored_sql): 64 hex characters a row would push ten million staged calls
        # out of memory. The raw id lives only in this process and its spill directory.
        return f"NULLIF(trim({text}), '')"
    return f"NULLIF({text}, '')"


@dataclass(frozen=True)
class _Check:
    """A row rule: the SQL condition that makes a row bad, and what to tell the user."""

    condition: str
    column: str
    value: str  # SQL for the offending value as the source gave it
    reason: str


def _problem(condition: str, column: str, value: str, reason: str) -> _Check:
    return _Check(condition, column, value, reason)


def _problem_sql(checks: list[_Check]) -> str:
    """The number of the first failing check and the offending value, or NULL.

    Only the number and the value are staged: the column name and reason are looked up
    from ``checks`` for the few rows that fail, which keeps the staged table narrow.
    """
    whens = " ".join(
        f"WHEN {c.condition} THEN {{'n': {i}, 'v': CAST({c.value} AS VARCHAR)}}"
        for i, c in enumerate(checks)
    )
    return f"CASE {whens} END"


def _checks(kind: RecordKind, present: set[str]) -> list[_Check]:
    """The row rules in the order they are tried."""
    checks: list[_Check] = []
    for c in kind.columns:
        n, r = _ident(c.name), _ident("r_" + c.name)
        if c.name not in present and not c.required:
            continue
        if c.role == "key":
            checks.append(_problem(f"{n} IS NULL", c.name, r, "is empty"))
        elif c.role == "timestamp":
            if c.required:
                checks.append(_problem(f"{r} IS NULL", c.name, r, "is empty"))
            checks.append(
                _problem(
                    f"{r} IS NOT NULL AND {n} IS NULL",
                    c.name,
                    r,
                    "is not a timestamp (ISO 8601 with optional offset, DD/MM/YYYY HH:MM[:SS], "
                    "or a mapping's timestamp_formats)",
                )
            )
        elif c.role == "outcome":
            checks.append(
                _problem(
                    f"{n} IS NULL OR {n} NOT IN " + OUTCOMES_SQL,
                    c.name,
                    r,
                    "is not one of answered, abandoned, timeout",
                )
            )
        elif c.role == "seconds":
            given = _ident("given_" + c.name) if c.name == "wait_s" else n
            checks += [
                _problem(f"{r} IS NOT NULL AND {given} IS NULL", c.name, r, "is not a number"),
                _problem(f"isnan({given})", c.name, r, "is NaN (not a number of seconds)"),
                _problem(f"isinf({given})", c.name, r, "is infinite"),
                _problem(f"{given} < 0", c.name, r, "is negative (durations are >= 0 s)"),
            ]
    if kind is CALLS:
        checks += [
            # no contact centre logged a call before 1970: such a time is a clock or
            # parsing error (an epoch of 0), and the quarter-hour rollup counts from 1970
            _problem(
                "arrived_at < TIMESTAMPTZ '1970-01-01 00:00:00+00'",
                "arrived_at",
                "r_arrived_at",
                "is before 1970 (a clock or parsing error?)",
            ),
            _problem(
                "answered_at < arrived_at", "answered_at", "r_answered_at", "is before arrived_at"
            ),
            _problem(
                "ended_at < COALESCE(answered_at, arrived_at)",
                "ended_at",
                "r_ended_at",
                "is before answered_at (or arrived_at)",
            ),
            _problem(
                "answered_at IS NOT NULL AND outcome <> 'answered'",
                "answered_at",
                "r_answered_at",
                "is set on a call whose outcome is not answered",
            ),
            _problem(
                "wait_s IS NULL",
                "wait_s",
                "r_wait_s",
                "is empty and cannot be derived (needs answered_at for answered calls, "
                "ended_at for the others)",
            ),
        ]
    else:
        checks += [
            _problem(
                "first_response_at < created_at",
                "first_response_at",
                "r_first_response_at",
                "is before created_at",
            ),
            _problem(
                "resolved_at < created_at", "resolved_at", "r_resolved_at", "is before created_at"
            ),
        ]
    return checks


def _stored_sql(column: Column, alias: str) -> str:
    """A staged column as the stored table holds it (a caller needs ``pseudonyms.params``)."""
    ref = f"{alias}.{_ident(column.stored)}" if alias else _ident(column.stored)
    return pseudonyms.pseudonym_sql(ref) if column.role == "caller" else ref


def _valued_columns(kind: RecordKind, present: set[str]) -> list[Column]:
    """The non-key columns a staged row can hold a value in: those the file (or its
    mapping) gives, and a call's wait_s, which is derived when not given. Every other
    staged column is NULL in every row."""
    return [
        c
        for c in kind.columns
        if c.name != kind.key and (c.name in present or (kind is CALLS and c.name == "wait_s"))
    ]


def _row_hash_sql(kind: RecordKind, present: set[str], alias: str = "", staged: bool = True) -> str:
    """A 64-bit hash of a row's valued columns (see ``_valued_columns``)."""
    values = [
        _stored_sql(c, alias) if staged else _ident(c.stored)
        for c in _valued_columns(kind, present)
    ]
    return "hash(" + ", ".join(values) + ")"


def _absent_are_null_sql(kind: RecordKind, present: set[str]) -> str:
    """True when a stored row is NULL in every column the staged rows are NULL in: with
    equal hashes of the valued columns, the stored row is then the staged one. (Hashing
    the absent columns too would cost a hash input per column per row on both sides.)"""
    valued = {c.name for c in _valued_columns(kind, present)}
    absent = [_ident(c.stored) for c in kind.columns if c.name != kind.key and c.name not in valued]
    return " AND ".join([f"{a} IS NULL" for a in absent] or ["true"])


def _same_row_sql(kind: RecordKind, present: set[str], a: str, b: str) -> str:
    """Two staged rows hold the same values (absent columns are NULL in both)."""
    stored = [c.stored for c in _valued_columns(kind, present)]
    return " AND ".join(f"{a}.{_ident(s)} IS NOT DISTINCT FROM {b}.{_ident(s)}" for s in stored)


# --------------------------------------------------------------------------- line numbers


def _byte_lines(path: Path, positions: list[int]) -> list[int]:
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


def _record_lines(
    path: Path,
    recs: np.ndarray,
    skipped_lines: list[int],
    scan: _FileScan,
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


# --------------------------------------------------------------------------- the ingest


def _caller_params(con, spec: RecordKind, salt: str, present: set[str]) -> dict:
    """The pseudonym's parameters when the file has callers (``analytics.pseudonyms``);
    an older store's unkeyed caller hashes are re-keyed first, in this transaction."""
    if "caller_id" not in present and not (spec is CALLS and pseudonyms.unkeyed(con)):
        return {}
    try:
        key = pseudonyms.caller_key()
        pseudonyms.rekey(con, key)
    except pseudonyms.CallerKeyError as exc:
        raise IngestError(str(exc)) from None
    return pseudonyms.params(salt, key)


def ingest_file(
    store: Store,
    kind: str,
    path: str | os.PathLike[str],
    centre_id: str,
    *,
    mapping: ColumnMapping | str | os.PathLike[str] | None = None,
    timezone: str | None = None,
    input_format: str = "auto",
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    writer: duckdb.DuckDBPyConnection | None = None,
) -> IngestResult:
    """Load one file of calls or tickets for a centre; one transaction, nothing lost.

    ``writer``, a connection from ``store.writer()``, makes the load part of a larger
    write that is published as a whole (``cca generate`` stores calls, tickets and
    staffing together); without it the load is its own write.

    ``mapping`` is a :class:`ColumnMapping` or the path of a mapping TOML file; without it the
    file must use the canonical column names. ``timezone`` is the time zone of a centre
    created by this ingest (naive timestamps are read in the centre's time zone).
    Raises :class:`IngestError` when the file as a whole cannot be used.
    """
    from analytics.mapping import load_mapping

    started = time.perf_counter()
    if kind not in RECORD_KINDS:
        raise IngestError(f"unknown record kind {kind!r}; use calls or tickets")
    spec = RECORD_KINDS[kind]
    path = Path(path)
    if mapping is not None and not isinstance(mapping, ColumnMapping):
        try:
            mapping = load_mapping(mapping)
        except MappingError as exc:
            raise IngestError(str(exc)) from exc
    if mapping is not None and mapping.kind != kind:
        raise IngestError(f"{mapping.origin} maps {mapping.kind}, not {kind}")
    plan = mapping or ColumnMapping(kind=kind, origin="canonical columns")
    if not path.is_file():
        raise IngestError(f"{path}: no such file")
    fmt = _detect_format(path, input_format)
    timezone = timezone or plan.timezone
    from analytics.formats import FormatError, formats

    telephony = formats().get(fmt)  # a format of analytics.formats, read into a temp table
    if telephony is not None and kind not in telephony.kinds:
        raise IngestError(f"{path}: --format {fmt} holds {', '.join(telephony.kinds)}, not {kind}")
    if telephony is not None and mapping is not None:
        raise IngestError(f"{path}: a mapping does not apply to --format {fmt}")

    # The checksum and the one-record-per-line test read the raw bytes once, beside
    # DuckDB's own read.
    scan_box: dict[str, Any] = {}

    def scan() -> None:
        try:
            scan_box["scan"] = _scan_file(path, plan.quote)
        except OSError as exc:  # reported after the read below
            scan_box["error"] = exc

    scanner = threading.Thread(target=scan, daemon=True)
    scanner.start()

    timings: dict[str, float] = {}
    lap_start = time.perf_counter()
    with _writer_connection(store, writer) as con:
        timings["open"] = time.perf_counter() - lap_start
        if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", memory_limit):
            raise IngestError(f"memory limit {memory_limit!r} is not like 2GB or 512MiB")
        con.execute(f"SET memory_limit = {_literal(memory_limit)}")
        # DuckDB draws progress bars on standard output, which belongs to --format json.
        # Inside Jupyter DuckDB refuses the setting unless ipywidgets is installed; there
        # the bar is harmless, so a refusal is not an error.
        try:
            con.execute("SET enable_progress_bar = false")
        except duckdb.Error:
            pass
        try:
            centre_exists = con.execute(
                "SELECT count(*) FROM centres WHERE centre_id = ?", [centre_id]
            ).fetchall()[0][0]
            centre = ensure_centre(con, centre_id, timezone)
        except ValueError as exc:
            raise IngestError(str(exc)) from exc
        # A validated IANA name (the Centre checks it), so it may be formatted in.
        zoneinfo.ZoneInfo(centre.timezone)
        con.execute(f"SET TimeZone = {_literal(centre.timezone)}")
        salt = con.execute("SELECT value FROM meta WHERE key = 'caller_salt'").fetchall()[0][0]
        # unique even while other loads run (DuckLake has no sequences)
        batch_id = store.claim_batch_id(con)
        result = IngestResult(
            batch_id=batch_id,
            centre_id=centre_id,
            kind=kind,
            file=str(path),
            format=fmt,
            centre_created=not centre_exists,
            timings=timings,
        )

        params: dict[str, Any] = {"path": str(path)}
        delimiter = plan.delimiter or ","
        source = None
        if telephony is not None:
            try:
                source = telephony.read(con, path, centre_id=centre_id, batch_id=batch_id)
            except (duckdb.Error, FormatError) as exc:
                raise IngestError(f"{path}: cannot read as {fmt}: {_first_line(exc)}") from exc
            mapping = plan = source.mapping
            timings.update(source.timings)
            result.notes = source.notes
            params = {}
            header = ""
            reader = describe_reader = source.table
        elif fmt == "csv":
            header = _header_line(path, plan.encoding)
            wanted = {c.name for c in spec.columns} if mapping is None else _referenced_names(plan)
            delimiter = plan.delimiter or _sniff_delimiter(header, wanted)
            params |= {"delim": delimiter, "quote": plan.quote, "enc": plan.encoding}
            reader = (
                "read_csv($path, all_varchar = true, header = true, delim = $delim, "
                "quote = $quote, escape = $quote, encoding = $enc, ignore_errors = true, "
                "store_rejects = true)"
            )
            describe_reader = reader.replace(", store_rejects = true", "")
        else:
            header = ""
            reader = describe_reader = "read_parquet($path)"
        try:
            source_columns = {
                r[0]: r[1]
                for r in con.execute(
                    f"DESCRIBE SELECT * FROM {describe_reader}",
                    {k: v for k, v in params.items()},
                ).fetchall()
            }
        except duckdb.Error as exc:
            raise IngestError(f"{path}: cannot read as {fmt}: {_first_line(exc)}") from exc

        hint = ""
        if fmt == "csv" and len(source_columns) == 1:
            others = [d for d in DELIMITERS if d != delimiter and d in header]
            hint = f"; the header is one column {header[:80]!r}" + (
                f" -- is the file {others[0]!r}-separated?" if others else ""
            )
        # Mapped layer: one expression per canonical column (identity without a mapping).
        if mapping is None:
            missing = [c.name for c in spec.columns if c.required and c.name not in source_columns]
            if (
                spec is CALLS
                and "wait_s" not in source_columns
                and not ({"answered_at", "ended_at"} & set(source_columns))
            ):
                missing.append("wait_s (or answered_at/ended_at to derive it)")
            if missing:
                raise IngestError(
                    f"{path} line 1: missing required column(s) {', '.join(missing)}"
                    f" (found: {', '.join(source_columns)}){hint}"
                )
            expressions = {c.name: _ident(c.name) for c in spec.columns if c.name in source_columns}
            result.ignored_columns = tuple(
                n for n in source_columns if n not in {c.name for c in spec.columns}
            )
            keep = "true"
        else:
            unknown = sorted(set(plan.columns) - {c.name for c in spec.columns})
            if unknown:
                raise IngestError(
                    f"{plan.origin}: columns.{unknown[0]} is not a canonical {kind} column"
                )
            missing = [c.name for c in spec.columns if c.required and c.name not in plan.columns]
            if missing:
                raise IngestError(f"{plan.origin}: no expression for required {', '.join(missing)}")
            expressions = dict(plan.columns)
            keep = plan.filter or "true"
            for name, expression in [*expressions.items(), ("filter", keep)]:
                try:
                    con.execute(
                        f"DESCRIBE SELECT {expression} FROM {describe_reader}", params
                    ).fetchall()
                except duckdb.Error as exc:
                    raise IngestError(
                        f"{plan.origin}: {'columns.' + name if name != 'filter' else 'filter'} "
                        f"= {' '.join(expression.split())!r} does not fit {path}: "
                        f"{_first_line(exc)}{hint}"
                    ) from exc
        present = set(expressions)
        # A format's rows carry their physical line (they need not be in file order);
        # a CSV's or Parquet's rows are numbered by their order in the staged table.
        line_sql = ", line AS source_line" if source is not None else ""
        mapped_sql = ", ".join(
            [f"{expr} AS {_ident('r_' + name)}" for name, expr in expressions.items()]
            + [f"COALESCE(({keep})::BOOLEAN, false) AS keep"]
        )
        raw_types = {
            r[0][2:]: r[1]
            for r in con.execute(
                f"DESCRIBE SELECT {mapped_sql} FROM {describe_reader}", params
            ).fetchall()
            if r[0].startswith("r_")
        }
        formats = DEFAULT_TIMESTAMP_FORMATS + plan.timestamp_formats
        params |= {f"fmt{i}": f for i, f in enumerate(formats)}

        typed = []
        for c in spec.columns:
            raw = _ident("r_" + c.name)
            name = _ident("given_" + c.name if c.name == "wait_s" else c.stored)
            if c.name in present:
                typed.append(f"{_typed_sql(c, raw, raw_types[c.name], len(formats))} AS {name}")
                typed.append(raw)
            else:
                sql_type = {"timestamp": "TIMESTAMPTZ", "seconds": "DOUBLE"}.get(c.role, "VARCHAR")
                typed.append(f"CAST(NULL AS {sql_type}) AS {name}")
                typed.append(f"CAST(NULL AS VARCHAR) AS {raw}")
        derived = ""
        if spec is CALLS:
            derived = (
                ", COALESCE(given_wait_s, CASE WHEN outcome = 'answered' "
                "THEN epoch(answered_at) - epoch(arrived_at) "
                "ELSE epoch(ended_at) - epoch(arrived_at) END) AS wait_s"
            )
        checks = _checks(spec, present)
        # Only the key and the columns that can hold a value are staged; a column the
        # file does not give is NULL in every row and is left to the stored table's
        # default (each all-NULL column of five million rows costs DuckDB about 0.15 s
        # of CPU to write, in the staged table and again in the stored one).
        staged_columns = [spec.column(spec.key), *_valued_columns(spec, present)]
        stage_sql = f"""
            CREATE TEMP TABLE staged AS
            SELECT {", ".join(_ident(c.stored) for c in staged_columns)}, keep,
                   p.n AS problem, p.v AS problem_value{line_sql.replace("line AS ", "")}
            FROM (SELECT *, CASE WHEN keep THEN {_problem_sql(checks)} END AS p
                  FROM (SELECT *{derived} FROM (
                        SELECT {", ".join(typed)}, keep{line_sql.replace("line AS ", "")}
                        FROM (SELECT {mapped_sql}{line_sql} FROM {reader}))))
        """
        lap = time.perf_counter()
        try:
            # Record r of a CSV is found again by counting lines: the table must keep the
            # file's order, whatever the mapping's expressions are.
            in_source_order(
                con, stage_sql, {k: v for k, v in params.items() if f"${k}" in stage_sql}
            )
        except duckdb.Error as exc:
            raise IngestError(f"{path}: cannot read as {fmt}: {_first_line(exc)}") from exc
        lap = result.lap("read, map and validate", lap)
        for temporary in source.temporary if source is not None else []:
            kind_word, name = temporary.split(" ", 1)
            con.execute(f"DROP {kind_word} IF EXISTS {name}")
        scanner.join()
        lap = result.lap("checksum (waiting)", lap)
        if "error" in scan_box:
            raise IngestError(f"{path}: {scan_box['error']}")
        file_scan: _FileScan = scan_box["scan"]

        caller = _caller_params(con, spec, salt, present)
        _merge(con, spec, centre_id, batch_id, result, caller, present, staged_columns)
        save_labels(con, centre_id, plan.labels)  # the mapping's names of its codes, if any
        lap = time.perf_counter()
        structural = _structural_rejects(con, path, fmt, plan) if fmt == "csv" else []
        if source is not None:
            structural = list(source.rejects)
        _quarantine(
            con,
            spec,
            path,
            fmt,
            batch_id,
            result,
            structural,
            file_scan,
            plan,
            delimiter,
            checks,
            source=source,
        )
        lap = result.lap("quarantine", lap)
        result.read = con.execute("SELECT count(*) FROM staged").fetchall()[0][0] + len(structural)
        result.filtered = con.execute("SELECT count(*) FROM staged WHERE NOT keep").fetchall()[0][0]
        result.first_rejects = [
            Reject(*row)
            for row in con.execute(
                "SELECT line, column_name, value, reason FROM quarantine WHERE batch_id = ? "
                "ORDER BY line NULLS LAST LIMIT ?",
                [batch_id, FIRST_REJECTS_SHOWN],
            ).fetchall()
        ]
        result.seconds = time.perf_counter() - started
        con.execute(
            """
            INSERT INTO ingest_batches (batch_id, centre_id, kind, file, sha256, format, mapping,
                rows_read, rows_loaded, rows_updated, rows_duplicate, rows_rejected,
                rows_filtered, started_at, finished_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
                    now() - to_microseconds(?::BIGINT), now())
            """,
            [
                batch_id,
                centre_id,
                kind,
                str(path),
                file_scan.sha256,
                fmt,
                mapping.origin if mapping is not None else None,
                result.read,
                result.loaded,
                result.updated,
                result.duplicate,
                result.rejected,
                result.filtered,
                int(result.seconds * 1e6),
            ],
        )
        for table in ("staged", "earlier", "matched"):
            con.execute(f"DROP TABLE IF EXISTS {table}")
        lap = time.perf_counter()
    result.lap("commit", lap)
    result.seconds = time.perf_counter() - started
    return result


def _writer_connection(
    store: Store, writer: duckdb.DuckDBPyConnection | None
) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
    """The caller's writer connection, or a write of its own."""
    return nullcontext(writer) if writer is not None else store.writer()


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _referenced_names(mapping: ColumnMapping) -> set[str]:
    """Source column names a mapping's expressions mention (for sniffing a delimiter)."""
    names: set[str] = set()
    for expression in [*mapping.columns.values(), mapping.filter or ""]:
        names |= set(re.findall(r'"([^"]+)"', expression))
        names |= set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", expression))
    return names


def _merge(
    con: duckdb.DuckDBPyConnection,
    spec: RecordKind,
    centre_id: str,
    batch_id: int,
    result: IngestResult,
    caller: dict,
    present: set[str],
    staged_columns: list[Column],
) -> None:
    """Insert new rows, replace corrected ones, count duplicates (within file and stored).

    ``present`` names the canonical columns the file gives; ``staged_columns`` are the
    columns of the staged table (the key and the valued ones, see ``_valued_columns``);
    the others are NULL in every row and left to the stored table's default."""
    key = _ident(spec.key)
    lap = time.perf_counter()
    # Within one file the last occurrence of an id wins. Grouping on a 64-bit hash of
    # the id is several times faster than on the text; the few candidates it finds are
    # then grouped on the id itself, so a hash collision cannot merge two calls.
    con.execute(
        f"""
        CREATE TEMP TABLE earlier AS
        WITH candidates AS (
            SELECT hash({key}) AS h FROM staged WHERE keep AND problem IS NULL
            GROUP BY h HAVING count(*) > 1),
        repeats AS (
            SELECT s.{key} AS id, max(s.rowid) AS last_rec
            FROM staged s SEMI JOIN candidates c ON hash(s.{key}) = c.h
            WHERE s.keep AND s.problem IS NULL
            GROUP BY s.{key} HAVING count(*) > 1)
        SELECT s.rowid AS rec, r.last_rec, {_same_row_sql(spec, present, "s", "l")} AS same
        FROM repeats r
        JOIN staged s ON s.{key} = r.id AND s.rowid <> r.last_rec AND s.keep
             AND s.problem IS NULL
        JOIN staged l ON l.rowid = r.last_rec
        """
    )
    in_file_duplicates = con.execute("SELECT count(*) FROM earlier WHERE same").fetchall()[0][0]
    earlier_count = con.execute("SELECT count(*) FROM earlier").fetchall()[0][0]
    has_earlier = earlier_count > 0
    not_earlier = (
        "AND NOT EXISTS (SELECT 1 FROM earlier e WHERE e.rec = s.rowid)" if has_earlier else ""
    )
    lap = result.lap("repeats within the file", lap)
    has_existing = (
        con.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {spec.table} WHERE centre_id = ? LIMIT 1)",
            [centre_id],
        ).fetchall()[0][0]
        > 0
    )
    updated = existing_duplicates = 0
    not_same = ""
    # Calls change through the call log, which rebuilds the quarter-hours they touch
    # (old and new instants) in this transaction; tickets have no rollup.
    with changing_calls(con, centre_id) if spec is CALLS else nullcontext() as calls:
        if has_existing:
            # Stored rows are compared by a 64-bit hash of their values, so that the join
            # carries two narrow columns instead of every column of both sides.
            match_sql = f"""
                CREATE TEMP TABLE matched AS
                SELECT s.rowid AS rec, s.{key} AS id, s.h = c.h AND c.absent_null AS same
                FROM (SELECT rowid, {key}, {_row_hash_sql(spec, present)} AS h FROM staged
                      WHERE keep AND problem IS NULL) s
                JOIN (SELECT {key}, {_row_hash_sql(spec, present, staged=False)} AS h,
                             {_absent_are_null_sql(spec, present)} AS absent_null
                      FROM {spec.table} WHERE centre_id = $centre) c ON c.{key} = s.{key}
                {not_earlier.replace("AND", "WHERE", 1)}
                """
            # the key is bound only when a caller column is given (and so hashed)
            con.execute(
                match_sql,
                {"centre": centre_id} | (caller if "$salt" in match_sql else {}),
            )
            lap = result.lap("match stored rows", lap)
            updated, existing_duplicates = con.execute(
                "SELECT count(*) FILTER (WHERE NOT same), count(*) FILTER (WHERE same) FROM matched"
            ).fetchall()[0]
            if updated:
                corrected = f"{key} IN (SELECT id FROM matched WHERE NOT same)"
                if calls is not None:
                    calls.delete(corrected)
                else:
                    con.execute(
                        f"DELETE FROM {spec.table} WHERE centre_id = $centre AND {corrected}",
                        {"centre": centre_id},
                    )
            lap = result.lap("delete corrected rows", lap)
            if existing_duplicates:
                not_same = (
                    "AND NOT EXISTS (SELECT 1 FROM matched m WHERE m.rec = s.rowid AND m.same)"
                )
        columns = ["centre_id", *(_ident(c.stored) for c in staged_columns), "batch_id"]
        select = f"""
            SELECT $centre, {", ".join(_stored_sql(c, "s") for c in staged_columns)}, $batch
            FROM staged s
            WHERE s.keep AND s.problem IS NULL {not_earlier} {not_same}
            """
        params = {"centre": centre_id, "batch": batch_id} | (caller if "$salt" in select else {})
        valid = con.execute(
            "SELECT count(*) FROM staged WHERE keep AND problem IS NULL"
        ).fetchall()[0][0]
        if valid == earlier_count + existing_duplicates:
            # Every row is a duplicate or superseded (a file loaded again): nothing to
            # insert, and the anti-joins over all staged rows would find just that.
            inserted = 0
        elif calls is not None:
            inserted = calls.insert(columns, select, params, batch_id=batch_id)
        else:
            inserted = con.execute(
                f"INSERT INTO {spec.table} ({', '.join(columns)}) {select}", params
            ).fetchall()[0][0]
        lap = result.lap("insert", lap)
    if spec is CALLS and (inserted or updated):
        result.lap("quarter-hour rollup", lap)
    result.updated = updated
    result.loaded = inserted - updated
    result.duplicate = in_file_duplicates + existing_duplicates


def _structural_rejects(
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
    lines = _byte_lines(path, [max(p - 1, 0) for p in positions])
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


def _quarantine(
    con: duckdb.DuckDBPyConnection,
    spec: RecordKind,
    path: Path,
    fmt: str,
    batch_id: int,
    result: IngestResult,
    structural: list[tuple[int, str | None, str | None, str]],
    scan: _FileScan,
    plan: ColumnMapping,
    delimiter: str,
    checks: list[_Check],
    source: Any = None,
) -> None:
    """Write every refused row to quarantine with its physical line (Parquet: row number)."""
    key = _ident(spec.key)
    recs = con.execute(
        """
        SELECT rowid FROM staged WHERE keep AND problem IS NOT NULL
        UNION ALL SELECT rec FROM earlier WHERE NOT same
        UNION ALL SELECT last_rec FROM earlier WHERE NOT same
        """
    ).fetchnumpy()["rowid"]
    superseded = con.execute("SELECT count(*) FROM earlier WHERE NOT same").fetchall()[0][0]
    result.rejected = len(recs) - superseded + len(structural)
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
            lines = _record_lines(path, index, [s[0] for s in structural], scan, plan, delimiter)
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
