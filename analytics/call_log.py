"""The call log's one write path: stored calls and their quarter-hour rollup change together.

A centre's calls (table ``calls``) have a shadow: the quarter-hour rollup
(``call_intervals``, see ``analytics.kpi.rollup``), which the KPI layer reads in place of
the calls whenever it gives the same answer. A write that changed calls without
rebuilding the quarter-hours it touched would make the KPIs of those quarter-hours wrong
without any error, so no module writes the ``calls`` table or a centre's thresholds by
itself; it goes through here:

* ``changing_calls(con, centre_id)``: a context inside a writer's transaction whose
  ``delete`` and ``insert`` append the rollup deltas of the calls they remove and add
  (ingest's merge, ``cca generate``'s removal of calls a new seed no longer produces);
* ``save_centre(con, centre)``: a centre's settings; a rollup cut at other thresholds or
  another short-abandon threshold S is rebuilt whole;
* ``rebuild_rollups(con)``: every centre's rollup (the migration that introduced it);
* ``rekey_caller_hashes(con, sql, params)``: every stored caller pseudonym rewritten under
  a key (``analytics.pseudonyms``); the rollup holds no callers, so nothing else changes.

``tests/test_architecture.py`` checks that no other module of the project writes calls.
The store's layering (``analytics`` imports neither ``simulation`` nor ``dashboards``)
and the concurrency rules are in ``docs/stores.md``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any

import duckdb

from analytics import snapshot_cache
from analytics.centres import Centre, get_centre, write_centre_row
from analytics.kpi import rollup

__all__ = [
    "CallChanges",
    "changing_calls",
    "rebuild_rollups",
    "rekey_caller_hashes",
    "save_centre",
]


# Up to this many rows an insert keeps DuckDB's default row order (see below).
ORDER_FREE_ROWS = 10_000


@contextmanager
def _any_row_order(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Let DuckDB store inserted calls in whatever order its threads finish them.

    The order of the rows inside ``calls`` is no contract (every reader selects and
    sorts by its columns), and keeping the source's order is expensive: with DuckDB's
    default (``preserve_insertion_order``) the row groups a large insert writes ahead of
    the commit were written again at the writer's checkpoint. Measured on five million
    calls: a checkpoint of 4.5-4.9 s and a file of 109 MB with the order kept; 0.1 s and
    64 MB without."""
    before = con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]
    con.execute("SET preserve_insertion_order = false")
    try:
        yield
    finally:
        if before:
            con.execute("SET preserve_insertion_order = true")


class CallChanges:
    """The calls of one centre being changed inside a writer; see ``changing_calls``.

    While the centre's rollup is cut as the centre is (the usual case), each change
    appends its rollup deltas at once: the negated rows of the calls a ``delete``
    removes (computed before they go) and the rows of those an ``insert`` of a batch
    adds. Appends never conflict with another writer's (a feed committing every second
    beside a long load). Otherwise (no rollup yet, other thresholds, an insert without a
    batch) leaving the block rebuilds the centre's rollup whole."""

    def __init__(self, con: duckdb.DuckDBPyConnection, centre_id: str):
        self.con = con
        self.centre_id = centre_id
        self.first: dt.datetime | None = None
        self.last: dt.datetime | None = None
        self.whole = False  # a change whose instants are not known: rebuild all
        self._deltas: bool | None = None
        self._settings = None  # the centre's row, read once per change (a one-call commit
        # would otherwise read it from the catalogue twice)

    def _centre(self):
        if self._settings is None:
            self._settings = get_centre(self.con, self.centre_id)
        return self._settings

    def _appending(self) -> bool:
        """Whether changes append rollup deltas (decided once, at the first change)."""
        if self._deltas is None:
            self._deltas = rollup.can_add_deltas(self.con, self._centre())
        return self._deltas

    def _note(self, span: Sequence[dt.datetime | None]) -> None:
        lo, hi = span
        if lo is None:
            return
        self.first = lo if self.first is None else min(self.first, lo)
        self.last = hi if self.last is None else max(self.last, hi)

    def delete(self, where: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> int:
        """Delete the centre's calls matching ``where`` (SQL over the ``calls`` columns,
        values bound as ``?`` or ``$name``, the centre as ``$centre`` when ``params`` is a
        mapping); the number deleted."""
        if isinstance(params, Mapping):
            condition, bound = (
                f"centre_id = $centre AND ({where})",
                {
                    **params,
                    "centre": self.centre_id,
                },
            )
        else:
            condition, bound = f"centre_id = ? AND ({where})", [self.centre_id, *params]
        if self._appending():
            rollup.add_delta(self.con, self._centre(), condition, bound, -1)
        else:
            self.whole = True
        return self.con.execute(f"DELETE FROM calls WHERE {condition}", bound).fetchall()[0][0]

    def insert(
        self,
        columns: Sequence[str],
        select: str,
        params: Sequence[Any] | Mapping[str, Any] = (),
        *,
        batch_id: int | None = None,
    ) -> int:
        """Insert the rows of ``select`` into ``calls (columns)``; the number inserted.

        ``columns`` must include ``centre_id`` (the rows must be this centre's) and, when
        ``batch_id`` is given, ``batch_id`` (a claimed one, ``Store.claim_batch_id``):
        the rollup then gets the deltas of the batch's calls; without it, the centre's
        whole rollup is rebuilt."""
        appending = self._appending() and batch_id is not None
        if not appending:
            with _any_row_order(self.con):
                inserted = self.con.execute(
                    f"INSERT INTO calls ({', '.join(columns)}) {select}", params
                ).fetchall()[0][0]
            if inserted:
                snapshot_cache.put(self.con, ("has calls", self.centre_id), True)
                self.whole = True
            return inserted
        # The new rows are staged first: their rollup deltas are read from them, not
        # by finding them again among every stored call of the centre (a one-call
        # commit would otherwise cost a scan of the whole table).
        self.con.execute("CREATE OR REPLACE TEMP TABLE call_log_new AS SELECT * FROM calls LIMIT 0")
        try:
            staged = self.con.execute(
                f"INSERT INTO call_log_new ({', '.join(columns)}) {select}", params
            ).fetchall()[0][0]
            # the order only costs a large insert something (a feed's round of a few
            # calls is spared the three statements of changing the setting and back)
            order = _any_row_order(self.con) if staged > ORDER_FREE_ROWS else nullcontext()
            with order:
                inserted = self.con.execute(
                    "INSERT INTO calls SELECT * FROM call_log_new"
                ).fetchall()[0][0]
            if inserted:
                snapshot_cache.put(self.con, ("has calls", self.centre_id), True)
                rollup.add_delta(
                    self.con,
                    self._centre(),
                    "c.centre_id = ?",
                    [self.centre_id],
                    +1,
                    source="call_log_new",
                )
        finally:
            self.con.execute("DROP TABLE IF EXISTS call_log_new")
        return inserted

    def touch(self, first: dt.datetime, last: dt.datetime) -> None:
        """Rebuild the quarter-hours of ``first``..``last`` too (instants, both included)."""
        self._note((first, last))

    def apply(self) -> None:
        """Bring the rollup in step with the changes noted so far."""
        if self.whole:
            rollup.refresh(self.con, self._centre())
        elif self.first is not None:
            rollup.refresh(self.con, self._centre(), self.first, self.last)
        self.first = self.last = None
        self.whole = False
        self._deltas = None
        self._settings = None


@contextmanager
def changing_calls(con: duckdb.DuckDBPyConnection, centre_id: str) -> Iterator[CallChanges]:
    """Change a centre's calls inside a writer (``con`` in its transaction); on leaving,
    the quarter-hour rollup of every quarter-hour touched is rebuilt in the same
    transaction, so a reader never sees calls and rollup disagree. An exception leaves
    the rollup alone: the writer's transaction is then thrown away whole."""
    changes = CallChanges(con, centre_id)
    yield changes
    changes.apply()


def save_centre(con: duckdb.DuckDBPyConnection, centre: Centre) -> None:
    """Insert or replace a centre's settings (inside a writer); a rollup cut at other
    thresholds or S is rebuilt whole (a centre without a rollup keeps none)."""
    write_centre_row(con, centre)
    rollup.sync_thresholds(con, centre)


def rebuild_rollups(con: duckdb.DuckDBPyConnection) -> None:
    """Build the rollup of every centre from its calls (the migration that introduces it)."""
    for (cid,) in con.execute("SELECT centre_id FROM centres ORDER BY centre_id").fetchall():
        rollup.refresh(con, get_centre(con, cid))


def rekey_caller_hashes(
    con: duckdb.DuckDBPyConnection, keyed_sql: str, params: Mapping[str, Any]
) -> None:
    """Replace each stored caller hash by ``keyed_sql`` of it (an expression over the
    column ``caller_hash`` with bound ``params``), inside the caller's write transaction."""
    con.execute(
        f"UPDATE calls SET caller_hash = {keyed_sql} WHERE caller_hash IS NOT NULL", dict(params)
    )
