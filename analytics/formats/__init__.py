"""Input formats beyond CSV and Parquet: the files telephony systems write themselves.

A contact centre rarely has its calls as the canonical CSV of docs/stores.md; it has what its
switch or cloud platform writes. Each format here turns such a file into canonical call
rows *inside the ingest's store writer*, so that the ordinary validation, quarantine and
idempotent merge of :mod:`analytics.ingest` apply unchanged:

* ``queue_log`` -- the Asterisk queue log (:mod:`analytics.formats.queue_log`): events of
  calls in queues, paired into one call per queue visit, and agent sessions turned into
  staffing rows.
* ``connect_ctr`` -- Amazon Connect contact records (:mod:`analytics.formats.connect_ctr`),
  JSON lines or JSON arrays, de-duplicated on ContactId.

A format is an :class:`InputFormat`: ``sniff`` recognises a file from its first bytes (for
``--format auto``) and ``read`` builds a temporary table (or view) of canonical call
columns, in any order, plus a ``line`` column (the physical line, or record number, each row came
from) and a ``loadable`` flag (false for rows that are read but not loaded, e.g. a call
still open at the end of the file). Lines that are not records at all (garbage) come back
as rejects with their line and reason, and go to quarantine like any malformed CSV line.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np

from analytics.mapping import ColumnMapping


class FormatError(ValueError):
    """A file that cannot be read in the format asked for (the message says why)."""


# (physical line, column, value, reason): a line that could not be read as a record.
LineReject = tuple[int, str | None, str | None, str]


@dataclass
class FormatRead:
    """What a format reader produced inside the writer's transaction."""

    table: str  # temp table or view: canonical columns + line + loadable, in any order
    mapping: ColumnMapping  # identity mapping of the canonical columns present, filter = loadable
    rejects: list[LineReject] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # turns the table's ``line`` into physical lines when the reader skipped empty lines
    physical: Callable[[np.ndarray], np.ndarray] | None = None
    # seconds spent in the reader's own steps (shown by the benchmarks)
    timings: dict[str, float] = field(default_factory=dict)

    # temp tables and views to drop once the ingest has staged the rows ("VIEW name")
    temporary: list[str] = field(default_factory=list)

    def lines(self, con: duckdb.DuckDBPyConnection, recs: np.ndarray) -> np.ndarray:
        """Physical line of each staged record index: the ingest stages each row's
        ``line`` as ``source_line``, so this holds however the rows were ordered."""
        line = con.execute("SELECT source_line FROM staged ORDER BY rowid").fetchnumpy()
        found = np.asarray(line["source_line"], dtype=np.int64)[np.asarray(recs, dtype=np.int64)]
        return self.physical(found) if self.physical is not None else found


@dataclass(frozen=True)
class InputFormat:
    """A named input format: how to recognise it and how to read it into canonical rows."""

    name: str
    kinds: tuple[str, ...]
    sniff: Callable[[bytes], bool]
    # read(con, path, centre_id=..., batch_id=...) -> FormatRead
    read: Callable[..., FormatRead]


def identity_mapping(name: str, kind: str, columns: list[str]) -> ColumnMapping:
    """The mapping a format's table needs: each canonical column as itself, rows that are
    ``loadable``."""
    return ColumnMapping(
        kind=kind,
        columns={c: '"' + c + '"' for c in columns},
        filter="loadable",
        origin=f"{name} format",
    )


def _registry() -> dict[str, InputFormat]:
    from analytics.formats import connect_ctr, queue_log

    return {f.name: f for f in (queue_log.FORMAT, connect_ctr.FORMAT)}


def formats() -> dict[str, InputFormat]:
    """Every registered input format by name."""
    return _registry()


def sniff_format(path: str | os.PathLike[str]) -> str | None:
    """The registered format whose ``sniff`` recognises the file's first 64 KiB, if any."""
    with open(Path(path), "rb") as f:
        head = f.read(1 << 16)
    for fmt in _registry().values():
        if fmt.sniff(head):
            return fmt.name
    return None
