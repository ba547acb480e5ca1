"""Mappings: how a real export becomes canonical call or ticket records.

Real contact-centre exports never match the canonical schema of docs/stores.md: a switch
writes ``AGENT``/``HANG`` instead of ``answered``/``abandoned``, splits a timestamp over
a date and a time column, gives only durations, and logs calls that never reached a
queue. A mapping file (TOML) describes one such source once:

.. code-block:: toml

    kind = "calls"                        # or "tickets"
    timezone = "Asia/Jerusalem"          # default for a centre this mapping creates
    timestamp_formats = ["%d/%m/%Y %H:%M"]  # tried after ISO 8601 on text timestamps
    filter = "outcome <> 'PHANTOM'"     # rows for which this is not true are skipped

    [source]
    delimiter = "\\t"                   # sniffed from the header when absent
    encoding = "utf-8"                   # or "latin-1", "utf-16"
    quote = '"'

    [columns]                            # canonical column = DuckDB SQL expression
    call_id = "\\"vru+line\\" || '-' || call_id"
    outcome = "CASE outcome WHEN 'AGENT' THEN 'answered' WHEN 'HANG' THEN 'abandoned' END"

    [labels.category]                    # optional: names a reader sees for the codes
    PS = {en = "Regular activity", ar = "العمليات الاعتيادية"}

(Top-level keys come before the first ``[table]``, as TOML requires.) Labels are stored
for the centre with every ingest through the mapping (``analytics.labels``); the
dimensions are category, topic, queue, site and channel.

Expressions are evaluated over the source's columns, all read as text (CSV) or with
their stored types (Parquet); use ``TRY_CAST`` so that one bad cell sends its row to
quarantine instead of failing the file. A mapping is configuration written by the
centre's own staff, like code: expressions are checked to be single SQL expressions,
and every column they reference must exist in the file.
"""

from __future__ import annotations

import functools
import json
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from pydantic import BaseModel, ConfigDict, ValidationError

from analytics.errors import read_toml
from analytics.labels import check_labels
from analytics.packaged import packaged_file, packaged_names

KINDS = ("calls", "tickets")
ENCODINGS = ("utf-8", "latin-1", "utf-16")
# Keys of a parsed ``SELECT <expression>`` that carry no clause of their own.
_PLAIN_SELECT = {"type", "cte_map", "select_list", "from_table", "aggregate_handling", "modifiers"}


class MappingError(ValueError):
    """A mapping file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class ColumnMapping:
    """A source description: SQL expression per canonical column plus a row filter."""

    kind: str
    columns: dict[str, str] = field(default_factory=dict)
    filter: str | None = None
    timezone: str | None = None
    timestamp_formats: tuple[str, ...] = ()
    delimiter: str | None = None
    encoding: str = "utf-8"
    quote: str = '"'
    origin: str = "<mapping>"
    # {dimension: {code: {lang: label}}}, stored at ingest (analytics.labels.save_labels)
    labels: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        where = self.origin
        if self.kind not in KINDS:
            raise MappingError(f"{where}: kind = {self.kind!r}; use one of {', '.join(KINDS)}")
        if self.timezone is not None:
            try:
                zoneinfo.ZoneInfo(self.timezone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
                raise MappingError(f"{where}: unknown time zone {self.timezone!r}") from exc
        if self.encoding not in ENCODINGS:
            raise MappingError(
                f"{where}: encoding = {self.encoding!r}; use one of {', '.join(ENCODINGS)}"
            )
        if self.delimiter is not None and len(self.delimiter) != 1:
            raise MappingError(f"{where}: delimiter must be one character, not {self.delimiter!r}")
        if len(self.quote) > 1:
            raise MappingError(f"{where}: quote must be one character or empty")
        for key, expression in [
            *((f"columns.{k}", e) for k, e in self.columns.items()),
            ("filter", self.filter),
        ]:
            if expression is not None:
                check_expression(expression, f"{where}: {key}")
        try:
            object.__setattr__(self, "labels", check_labels(self.labels, "labels"))
        except ValueError as exc:
            raise MappingError(f"{where}: {exc}") from None


def check_expression(expression: str, where: str) -> None:
    """Fail unless ``expression`` parses as exactly one SQL expression."""
    if not isinstance(expression, str) or not expression.strip():
        raise MappingError(f"{where}: expected a SQL expression (a non-empty string)")
    if not _is_one_expression(expression):
        raise MappingError(f"{where}: not a single SQL expression: {expression!r}")


@functools.lru_cache(maxsize=1024)
def _is_one_expression(expression: str) -> bool:
    # Remembered: a live feed's every round builds the same format mappings, and an
    # in-memory DuckDB to parse with costs tens of milliseconds to open.
    con = duckdb.connect()
    try:
        # The parser alone: nothing is executed and no table is needed.
        tree = json.loads(
            con.execute("SELECT json_serialize_sql(?)", ["SELECT " + expression]).fetchone()[0]
        )
    finally:
        con.close()
    node = tree.get("statements", [{}])[0].get("node", {}) if not tree.get("error") else {}
    clauses = [k for k, v in node.items() if v not in (None, [], {}) and k not in _PLAIN_SELECT]
    return not (
        tree.get("error")
        or len(tree.get("statements", [])) != 1
        or len(node.get("select_list", [])) != 1
        or node.get("from_table", {}).get("type") != "EMPTY"
        or clauses
    )


class _Source(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    delimiter: str | None = None
    encoding: str = "utf-8"
    quote: str = '"'


class _MappingFile(BaseModel):
    """A mapping file's shape (keys and types); what the values mean is checked by
    ``ColumnMapping`` (kind, time zone, encoding, one-character delimiter, expressions)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    kind: str = ""
    columns: dict[str, str] = {}
    filter: str | None = None
    timezone: str | None = None
    timestamp_formats: list[str] = []
    source: _Source = _Source()
    labels: dict[str, Any] = {}


def _shape_error(exc: ValidationError, where: str) -> MappingError:
    """The first problem pydantic found, as a message naming the file, the key and the value."""
    error = exc.errors()[0]
    key = ".".join(str(part) for part in error["loc"])
    if error["type"] == "extra_forbidden":
        table = _Source if key.startswith("source.") else _MappingFile
        known = ", ".join(table.model_fields)
        return MappingError(f"{where}: unknown key {key}; known: {known}")
    return MappingError(f"{where}: {key}: {error['msg'].lower()}, not {error['input']!r}")


def load_mapping(path: str | Path) -> ColumnMapping:
    """Read and check a mapping file (TOML): a path, or the name of a preset shipped in
    ``data/mappings/`` (``zendesk``, ``anonymous_bank``…), read as package data."""
    path = Path(path)
    if not path.suffix and not path.exists():
        preset = packaged_file("mappings", str(path))
        if preset is None:
            known = ", ".join(packaged_names("mappings"))
            raise MappingError(f"{path}: no such mapping file, nor a preset (presets: {known})")
        path = preset
    where = str(path)
    raw = read_toml(path, "mapping", MappingError)
    try:
        spec = _MappingFile.model_validate(raw)
    except ValidationError as exc:
        raise _shape_error(exc, where) from None
    return ColumnMapping(
        kind=spec.kind,
        columns=dict(spec.columns),
        filter=spec.filter,
        timezone=spec.timezone,
        timestamp_formats=tuple(spec.timestamp_formats),
        delimiter=spec.source.delimiter,
        encoding=spec.source.encoding,
        quote=spec.source.quote,
        origin=where,
        labels=spec.labels,
    )
