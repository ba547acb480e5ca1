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
import tomllib
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from analytics.labels import check_labels
from analytics.packaged import packaged_file, packaged_names

KINDS = ("calls", "tickets")
ENCODINGS = ("utf-8", "latin-1", "utf-16")
# Keys of a parsed ``SELECT <expression>`` that carry no clause of their own.
_PLAIN_SELECT = {"type", "cte_map", "select_list", "from_table", "aggregate_handling", "modifiers"}


class MappingError(ValueError):
    """A mapping file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Mapping:
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


def _get(table: dict[str, Any], key: str, kind: type, where: str, default: Any = None) -> Any:
    value = table.get(key, default)
    if value is not None and not isinstance(value, kind):
        raise MappingError(f"{where}: {key} must be a {kind.__name__}, not {value!r}")
    return value


def load_mapping(path: str | Path) -> Mapping:
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
    try:
        with open(path, "rb") as f:
            raw = tomllib.load(f)
    except FileNotFoundError as exc:
        raise MappingError(f"{where}: no such mapping file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{where}: not valid TOML: {exc}") from exc
    known = {"kind", "columns", "filter", "timezone", "timestamp_formats", "source", "labels"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise MappingError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {sorted(known)}")
    source = _get(raw, "source", dict, where, {})
    unknown = sorted(set(source) - {"delimiter", "encoding", "quote"})
    if unknown:
        raise MappingError(f"{where}: unknown [source] key(s) {', '.join(unknown)}")
    columns = _get(raw, "columns", dict, where, {})
    for name, expression in columns.items():
        if not isinstance(expression, str):
            raise MappingError(f"{where}: columns.{name} must be a SQL expression string")
    formats = _get(raw, "timestamp_formats", list, where, [])
    if not all(isinstance(f, str) for f in formats):
        raise MappingError(f"{where}: timestamp_formats must be a list of strptime formats")
    return Mapping(
        kind=_get(raw, "kind", str, where, ""),
        columns=dict(columns),
        filter=_get(raw, "filter", str, where),
        timezone=_get(raw, "timezone", str, where),
        timestamp_formats=tuple(formats),
        delimiter=_get(source, "delimiter", str, where),
        encoding=_get(source, "encoding", str, where, "utf-8"),
        quote=_get(source, "quote", str, where, '"'),
        origin=where,
        labels=_get(raw, "labels", dict, where, {}),
    )
