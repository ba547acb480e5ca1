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
   with different values is quarantined, naming the line that superseded it
   (``analytics.merge``).

Caller identifiers never reach the database: only a keyed pseudonym,
``HMAC-SHA256(key, sha256(salt || caller_id))`` with the key outside the store
(``analytics.pseudonyms``).

Counts satisfy ``read = loaded + updated + duplicate + rejected + filtered``.
"""

from __future__ import annotations

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

from analytics import pseudonyms, snapshot_cache
from analytics.centres import Centre, UnknownCentre, ensure_centre, get_centre
from analytics.formats.lines import in_source_order
from analytics.labels import save_labels
from analytics.mapping import ColumnMapping, MappingError
from analytics.merge import merge_staged
from analytics.quarantine import quarantine_rows, structural_rejects
from analytics.records import (  # noqa: F401  (part of the ingest API)
    CALLS,
    OUTCOMES,
    OUTCOMES_SQL,
    RECORD_KINDS,
    TICKETS,
    Column,
    RecordKind,
)
from analytics.row_checks import (
    ident,
    literal,
    problem_sql,
    row_checks,
    typed_sql,
    valued_columns,
)
from analytics.source_file import (
    DELIMITERS,
    FileScan,
    IngestError,
    detect_format,
    header_line,
    scan_file,
    sniff_delimiter,
)
from analytics.store import Store

# Text timestamps are tried as ISO 8601 (space or T, fractions, Z or ±HH[:MM] offsets)
# first, then as these day-first forms used by the seed centres' exports, then as the
# mapping's own formats.
DEFAULT_TIMESTAMP_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M")
FIRST_REJECTS_SHOWN = 5
# DuckDB's default is 80% of RAM. The staged rows of ten million calls (about 2.1 GB
# uncompressed) fit inside this, which keeps the process under 4 GB; anything larger
# spills to the process's private spill directory (analytics.store, CCA_SPILL_DIR).
DEFAULT_MEMORY_LIMIT = "3.2GB"
# From this size on a file is read before its write begins (``ingest_file``); a small one
# is read inside it, which saves the second look at the centre a separate read needs
# (a 100-call load: 86 ms inside against 127 ms before).
EARLY_READ_BYTES = 8_000_000
# A file up to this size is loaded by a process running DuckDB on one thread
# (``threads_for``): its statements are all small, and waking a second thread for each
# costs more than it brings (100-call loads: median 87-150 -> 72-120 ms).
SMALL_FILE_BYTES = 1_000_000


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


# long: one transaction's steps in order (options, the source, its mapped layer, staging, merge,
# quarantine, the batch row), sharing its connection, staged table, timings and result; the
# steps' SQL and checks are in row_checks, source_file and quarantine
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
    batch_file: str | None = None,
) -> IngestResult:
    """Load one file of calls or tickets for a centre; one transaction, nothing lost.

    ``writer``, a connection from ``store.writer()``, makes the load part of a larger
    write that is published as a whole (``cca generate`` stores calls, tickets and
    staffing together); without it the load is its own write. ``batch_file``: the name
    the batch records in place of ``path`` (a live feed's, whose rounds are temporary files).

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
    fmt = detect_format(path, input_format)
    timezone = timezone or plan.timezone
    from analytics.formats import formats

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
            scan_box["scan"] = scan_file(path, plan.quote)
        except OSError as exc:  # reported after the read below
            scan_box["error"] = exc

    scanner = threading.Thread(target=scan, daemon=True)
    scanner.start()

    timings: dict[str, float] = {}
    lap_start = time.perf_counter()
    result = IngestResult(
        batch_id=0,  # claimed when the write begins
        centre_id=centre_id,
        kind=kind,
        file=batch_file or str(path),
        format=fmt,
        timings=timings,
    )
    # A large file of its own write (not a telephony format, which writes as it reads) is
    # read and checked into temp tables before the write begins: a table made inside the
    # write's transaction is scanned by one thread only (inserting five million calls
    # took 8.5 s from it against 3.5 s), and other writers need not wait for the read.
    early = None
    if writer is None and telephony is None and path.stat().st_size >= EARLY_READ_BYTES:
        early = store.connection()
    staged = None
    try:
        if early is not None:
            _session(early, memory_limit)
            zone = _zone_to_read(store, centre_id, timezone)
            early.execute(f"SET TimeZone = {literal(zone)}")
            timings["open"] = time.perf_counter() - lap_start
            staged = _stage(
                early, spec=spec, path=path, fmt=fmt, plan=plan, mapping=mapping,
                telephony=None, centre_id=centre_id, batch_id=None, result=result,
                timings=timings,
            )  # fmt: skip
            lap_start = time.perf_counter()
        with _writer_connection(store, writer, early) as con:
            timings["open"] = timings.get("open", 0.0) + time.perf_counter() - lap_start
            if early is None:
                _session(con, memory_limit)
            try:
                try:  # read once per snapshot (analytics.snapshot_cache), as is the salt
                    get_centre(con, centre_id)
                    centre_exists = True
                except UnknownCentre:
                    centre_exists = False
                centre = ensure_centre(con, centre_id, timezone)
            except ValueError as exc:
                raise IngestError(str(exc)) from exc
            if early is not None and centre.timezone != zone:
                raise IngestError(
                    f"centre {centre_id} moved to time zone {centre.timezone} while {path} "
                    "was read: load it again"
                )
            # A validated IANA name (the Centre checks it), so it may be formatted in.
            zoneinfo.ZoneInfo(centre.timezone)
            con.execute(f"SET TimeZone = {literal(centre.timezone)}")
            salt = snapshot_cache.value(con, "caller salt", lambda: _caller_salt(con))
            # unique even while other loads run (DuckLake has no sequences)
            batch_id = store.claim_batch_id(con)
            result.batch_id = batch_id
            result.centre_created = not centre_exists
            if staged is None:
                staged = _stage(
                    con, spec=spec, path=path, fmt=fmt, plan=plan, mapping=mapping,
                    telephony=telephony, centre_id=centre_id, batch_id=batch_id, result=result,
                    timings=timings,
                )  # fmt: skip
            source, plan, mapping = staged.source, staged.plan, staged.mapping
            delimiter, checks = staged.delimiter, staged.checks
            present, staged_columns = staged.present, staged.staged_columns
            lap = time.perf_counter()
            scanner.join()
            lap = result.lap("checksum (waiting)", lap)
            if "error" in scan_box:
                raise IngestError(f"{path}: {scan_box['error']}")
            file_scan: FileScan = scan_box["scan"]

            caller = _caller_params(con, spec, salt, present)
            merge_staged(con, spec, centre_id, batch_id, result, caller, present, staged_columns)
            save_labels(con, centre_id, plan.labels)  # the mapping's names of its codes, if any
            lap = time.perf_counter()
            structural = structural_rejects(con, path, fmt, plan) if fmt == "csv" else []
            if source is not None:
                structural = list(source.rejects)
            result.rejected = quarantine_rows(
                con,
                spec,
                path,
                fmt,
                batch_id,
                structural,
                file_scan,
                plan,
                delimiter,
                checks,
                source=source,
            )
            lap = result.lap("quarantine", lap)
            staged_rows, result.filtered = con.execute(
                "SELECT count(*), count(*) FILTER (WHERE NOT keep) FROM staged"
            ).fetchall()[0]
            result.read = staged_rows + len(structural)
            result.first_rejects = [
                Reject(*row)
                for row in (
                    con.execute(
                        "SELECT line, column_name, value, reason FROM quarantine WHERE batch_id = ? "
                        "ORDER BY line NULLS LAST LIMIT ?",
                        [batch_id, FIRST_REJECTS_SHOWN],
                    ).fetchall()
                    if result.rejected
                    else []  # every statement reading a lake table costs a catalogue read
                )
            ]
            result.seconds = time.perf_counter() - started
            _record_batch(con, result, file_scan, mapping)
            for table in ("staged", "earlier", "matched"):
                con.execute(f"DROP TABLE IF EXISTS {table}")
            lap = time.perf_counter()
        result.lap("commit", lap)
    finally:
        if early is not None:
            early.close()  # its temp tables go with it
    result.seconds = time.perf_counter() - started
    return result


def _stage_sql(con, spec, expressions, keep, plan, params, reader, describe_reader, source,
               source_columns):  # fmt: skip
    """The statement that reads, maps, types and checks every row into the temp table
    ``staged`` (the key, the valued columns, ``keep``, the first problem and its value);
    with the columns present, the checks and the staged columns. Adds the timestamp
    formats to ``params``. ``source_columns``: the file's columns and their types."""
    present = set(expressions)
    # A format's rows carry their physical line (they need not be in file order);
    # a CSV's or Parquet's rows are numbered by their order in the staged table.
    line_sql = ", line AS source_line" if source is not None else ""
    mapped_sql = ", ".join(
        [f"{expr} AS {ident('r_' + name)}" for name, expr in expressions.items()]
        + [f"COALESCE(({keep})::BOOLEAN, false) AS keep"]
    )
    if all(e == ident(n) and n in source_columns for n, e in expressions.items()):
        raw_types = {n: source_columns[n] for n in expressions}  # the file's own columns
    else:
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
        raw = ident("r_" + c.name)
        name = ident("given_" + c.name if c.name == "wait_s" else c.stored)
        if c.name in present:
            typed.append(f"{typed_sql(c, raw, raw_types[c.name], len(formats))} AS {name}")
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
    checks = row_checks(spec, present)
    # Only the key and the columns that can hold a value are staged; a column the
    # file does not give is NULL in every row and is left to the stored table's
    # default (each all-NULL column of five million rows costs DuckDB about 0.15 s
    # of CPU to write, in the staged table and again in the stored one).
    staged_columns = [spec.column(spec.key), *valued_columns(spec, present)]
    stage_sql = f"""
        CREATE TEMP TABLE staged AS
        SELECT {", ".join(ident(c.stored) for c in staged_columns)}, keep,
               p.n AS problem, p.v AS problem_value{line_sql.replace("line AS ", "")}
        FROM (SELECT *, CASE WHEN keep THEN {problem_sql(checks)} END AS p
              FROM (SELECT *{derived} FROM (
                    SELECT {", ".join(typed)}, keep{line_sql.replace("line AS ", "")}
                    FROM (SELECT {mapped_sql}{line_sql} FROM {reader}))))
    """
    return stage_sql, present, checks, staged_columns


def _mapped_layer(
    con, spec, mapping, plan, source_columns, describe_reader, params, path, hint, result
) -> tuple[dict[str, str], str]:
    """One SQL expression per canonical column the file gives (the identity without a
    mapping) and the row filter; ``IngestError`` naming the file or the mapping's key when
    a required column is missing or an expression does not fit the file."""
    kind = spec.name
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
        expressions = {c.name: ident(c.name) for c in spec.columns if c.name in source_columns}
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
        checked = [*expressions.items(), ("filter", keep)]
        try:  # all at once (a live feed's every round); one by one only to name a misfit
            con.execute(
                f"DESCRIBE SELECT {', '.join(f'({e})' for _, e in checked)} FROM {describe_reader}",
                params,
            ).fetchall()
            checked = []
        except duckdb.Error:
            pass
        for name, expression in checked:
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
    return expressions, keep


def _record_batch(con, result: IngestResult, file_scan: FileScan, mapping) -> None:
    """The load's row in ``ingest_batches``: its file, checksum, mapping and counts."""
    con.execute(
        """
        INSERT INTO ingest_batches (batch_id, centre_id, kind, file, sha256, format, mapping,
            rows_read, rows_loaded, rows_updated, rows_duplicate, rows_rejected,
            rows_filtered, started_at, finished_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
                now() - to_microseconds(?::BIGINT), now())
        """,
        [
            result.batch_id,
            result.centre_id,
            result.kind,
            result.file,
            file_scan.sha256,
            result.format,
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


def threads_for(path: str | os.PathLike[str]) -> int | None:
    """The DuckDB worker threads a process loading just ``path`` should run
    (``analytics.store.use_threads``): one for a small file, else DuckDB's default."""
    try:
        return 1 if Path(path).stat().st_size <= SMALL_FILE_BYTES else None
    except OSError:
        return None  # the load itself says what is wrong with the file


def _writer_connection(
    store: Store,
    writer: duckdb.DuckDBPyConnection | None,
    on: duckdb.DuckDBPyConnection | None = None,
) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
    """The caller's writer connection, or a write of its own (on ``on``, if given)."""
    return nullcontext(writer) if writer is not None else store.writer(on=on)


def _caller_salt(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("SELECT value FROM meta WHERE key = 'caller_salt'").fetchall()[0][0]


def _session(con: duckdb.DuckDBPyConnection, memory_limit: str) -> None:
    """The load's DuckDB settings on ``con``."""
    if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", memory_limit):
        raise IngestError(f"memory limit {memory_limit!r} is not like 2GB or 512MiB")
    con.execute(f"SET memory_limit = {literal(memory_limit)}")
    # DuckDB draws progress bars on standard output, which belongs to --format json.
    # Inside Jupyter DuckDB refuses the setting unless ipywidgets is installed; there
    # the bar is harmless, so a refusal is not an error.
    try:
        con.execute("SET enable_progress_bar = false")
    except duckdb.Error:
        pass


def _zone_to_read(store: Store, centre_id: str, timezone: str | None) -> str:
    """The zone a file's naive times are read in before its write begins: the centre's,
    or ``timezone`` (else UTC) for a centre the load will create (checked again, and the
    load refused, if the centre has moved meanwhile)."""
    if store.exists():
        with store.reader() as con:
            try:
                return get_centre(con, centre_id).timezone
            except UnknownCentre:
                pass
    try:  # the name checked as ensure_centre will check it
        return Centre(centre_id=centre_id, name=centre_id, timezone=timezone or "UTC").timezone
    except ValueError as exc:
        raise IngestError(str(exc)) from exc


@dataclass
class _Staged:
    """What reading a file into the temp table ``staged`` found (``_stage``)."""

    source: Any  # a telephony format's read, or None
    plan: ColumnMapping
    mapping: ColumnMapping | None
    delimiter: str
    present: set[str]
    checks: Any
    staged_columns: list[Column]


def _stage(
    con, *, spec, path, fmt, plan, mapping, telephony, centre_id, batch_id, result, timings
) -> _Staged:
    """Read, map, type and check every row of the file into the temp table ``staged``."""
    from analytics.formats import FormatError

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
        header = header_line(path, plan.encoding)
        wanted = {c.name for c in spec.columns} if mapping is None else _referenced_names(plan)
        delimiter = plan.delimiter or sniff_delimiter(header, wanted)
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
    expressions, keep = _mapped_layer(
        con, spec, mapping, plan, source_columns, describe_reader, params, path, hint, result
    )
    stage_sql, present, checks, staged_columns = _stage_sql(
        con, spec, expressions, keep, plan, params, reader, describe_reader, source,
        source_columns,
    )  # fmt: skip
    lap = time.perf_counter()
    try:
        # Record r of a CSV is found again by counting lines: the table must keep the
        # file's order, whatever the mapping's expressions are.
        in_source_order(con, stage_sql, {k: v for k, v in params.items() if f"${k}" in stage_sql})
    except duckdb.Error as exc:
        raise IngestError(f"{path}: cannot read as {fmt}: {_first_line(exc)}") from exc
    lap = result.lap("read, map and validate", lap)
    for temporary in source.temporary if source is not None else []:
        kind_word, name = temporary.split(" ", 1)
        con.execute(f"DROP {kind_word} IF EXISTS {name}")
    return _Staged(source, plan, mapping, delimiter, present, checks, staged_columns)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _referenced_names(mapping: ColumnMapping) -> set[str]:
    """Source column names a mapping's expressions mention (for sniffing a delimiter)."""
    names: set[str] = set()
    for expression in [*mapping.columns.values(), mapping.filter or ""]:
        names |= set(re.findall(r'"([^"]+)"', expression))
        names |= set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", expression))
    return names
