"""Small values read from the store, kept per snapshot so that a statement need not read them again.

Every statement that reads a lake table makes DuckLake read the catalogue's lists of that
table's files, deletions and inlined rows again (docs/measurements.md, "Lakehouse store":
15-35 ms a statement here), whatever the table holds. A one-call commit used to read four
one-row answers that way before it wrote anything (the next batch id, the centre's
settings, the cut of its rollup) and a KPI query two. Those answers only change when a
write changes them, and a snapshot never changes: so a value read at snapshot S is kept,
keyed by S, for every later reader or writer of this process that reads S.

A writer's own changes stay its own until it commits: ``forget`` (or ``put``) records
them in the transaction, which from then on reads its own answer (or the catalogue). When
a writer of a SQLite store (writers take turns there, ``Store._write_lock``) commits
snapshot S + 1 on top of S, the values of S with its own changes applied are the values
of S + 1, and are kept for it: a feed committing every second reads none of them again.
A commit by anyone else makes a snapshot this process has no values for, so they are read
afresh.

The contract that makes this exact: the tables behind a key are written only by code
that tells this module (``analytics.centres.write_centre_row``, the rollup's cut,
``Store.claim_batch_id``), or inside a writer that calls ``forget_all`` (a migration of a
single-file store copying whole tables).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

import duckdb

T = TypeVar("T")

_FORGOTTEN = object()
# Snapshots whose values are kept per attached store: the newest few (a reader opened a
# moment ago may still read the one before the latest write).
KEPT_SNAPSHOTS = 4


class Open:
    """A reader's or writer's transaction on one attached store."""

    __slots__ = ("alias", "writer", "snapshot", "own", "poisoned")

    def __init__(self, alias: str, writer: bool):
        self.alias = alias
        self.writer = writer
        self.snapshot: int | None = None
        self.own: dict[Hashable, Any] = {}  # a writer's changed keys: new value or _FORGOTTEN
        self.poisoned = False  # a writer wrote the tables behind the keys some other way


_LOCK = threading.Lock()
_BY_SNAPSHOT: dict[str, dict[int, dict[Hashable, Any]]] = {}  # alias -> snapshot -> values
_OPEN: dict[int, Open] = {}  # id(connection) -> its transaction


def _forget_in_child() -> None:
    # a forked child makes a DuckDB of its own (analytics.store._engine), whose aliases
    # may name other stores than the parent's did
    global _LOCK
    _LOCK = threading.Lock()
    _BY_SNAPSHOT.clear()
    _OPEN.clear()


os.register_at_fork(after_in_child=_forget_in_child)


def opened(con: duckdb.DuckDBPyConnection, alias: str, *, writer: bool) -> None:
    """``con`` is a transaction on the store attached as ``alias`` (until ``closed``)."""
    with _LOCK:
        _OPEN[id(con)] = Open(alias, writer)


def closed(con: duckdb.DuckDBPyConnection) -> Open | None:
    with _LOCK:
        return _OPEN.pop(id(con), None)


def database_of(con: duckdb.DuckDBPyConnection) -> str:
    """The database ``con``'s unqualified names stand for: the store's alias in a
    reader or writer (a reader's search path may put its snapshot's views first, which
    ``current_database()`` would then name), else the current database."""
    entry = _OPEN.get(id(con))
    if entry is not None:
        return entry.alias
    return con.execute("SELECT current_database()").fetchall()[0][0]


def snapshot_of(con: duckdb.DuckDBPyConnection) -> int | None:
    """The snapshot ``con``'s transaction reads (DuckLake keeps it: no catalogue read
    beyond the one the transaction makes anyway); None outside a registered one."""
    entry = _OPEN.get(id(con))
    if entry is None:
        return None
    if entry.snapshot is None:
        alias = entry.alias.replace("'", "''")
        entry.snapshot = int(
            con.execute(f"FROM ducklake_current_snapshot('{alias}')").fetchall()[0][0]
        )
    return entry.snapshot


def value(
    con: duckdb.DuckDBPyConnection,
    key: Hashable,
    compute: Callable[[], T],
    tables: Sequence[str] = (),
) -> T:
    """The value of ``key`` at ``con``'s snapshot (and the writer's own changes):
    ``compute()`` once, then kept. Outside a registered transaction: ``compute()``.
    ``tables``: the lake tables ``compute`` reads, all of them; the value kept for another
    snapshot is carried when no snapshot between the two changed any of them
    (``unchanged``)."""
    entry = _OPEN.get(id(con))
    if entry is None:
        return compute()
    if key in entry.own:
        found = entry.own[key]
        if found is _FORGOTTEN:  # changed by this writer: read with its changes
            found = entry.own[key] = compute()
        return found
    if entry.poisoned:
        return compute()
    snapshot = snapshot_of(con)
    with _LOCK:
        kept = _BY_SNAPSHOT.get(entry.alias, {}).get(snapshot, {})
        if key in kept:
            return kept[key]
    found = _carried(con, entry.alias, _BY_SNAPSHOT, snapshot, key, tables)
    if found is _MISSING:
        found = compute()
    with _LOCK:
        per_alias = _BY_SNAPSHOT.setdefault(entry.alias, {})
        per_alias.setdefault(snapshot, {})[key] = found
        for old in sorted(per_alias)[:-KEPT_SNAPSHOTS]:
            del per_alias[old]
    return found


_READ: dict[str, dict[int, dict[Hashable, Any]]] = {}  # alias -> snapshot -> answers
_PENDING: dict[tuple, threading.Event] = {}  # (alias, snapshot, key) being computed
_COMPUTING = threading.local()  # depth: how many answers this thread is computing
# answers kept per snapshot for readers (``read``): a page's few dozen, for a few snapshots
READ_ANSWERS_PER_SNAPSHOT = 512


def read(
    con: duckdb.DuckDBPyConnection,
    key: Hashable,
    compute: Callable[[], T],
    tables: Sequence[str] = (),
    grows: tuple[str, Callable[[T, int, int], T]] | None = None,
) -> T:
    """What a reader asks of ``con``'s snapshot (a query's answer, a page's span of data):
    ``compute()`` once per snapshot, then kept for every reader of that snapshot in this
    process. A snapshot never changes, so the answer is exact whatever wrote it; no
    writer needs to tell this module anything. In a writer (whose own changes are not in
    the snapshot) or outside a registered transaction: ``compute()``, kept nowhere.

    ``tables``: the lake tables ``compute`` reads, every one (views by the tables under
    them). Given, an answer kept for another snapshot is carried to this one when no
    snapshot between them changed any of those tables, as DuckLake's own record of each
    snapshot's changes says (``unchanged``): after a live feed's commit, which writes the
    calls, the labels, the centres and the staffing need not be read again.

    Readers asking for the same answer at once (twenty wallboards after a feed's commit)
    wait for the first one's instead of each computing it.

    ``grows``: (one of ``tables``, ``grow``) for an answer that rows added to that table
    can only add to (the distinct codes of a column) and that ``grow(answer, first,
    last)`` brings up to date with the rows inserted in snapshots ``first`` to ``last``
    (``direct_reads.inserted``). An answer kept for an earlier snapshot is
    grown to this one when every snapshot between only inserted rows into that table and
    changed none of the others: after a feed's commit of a few calls, the topics of a
    centre's ten million are those of before and of the few. ``grow`` returns None when
    the rows inserted do not tell (the answer is then read whole).

    The answer is shared: callers must not change it (return tuples, or copy)."""
    entry = _OPEN.get(id(con))
    if entry is None or entry.writer:
        return compute()
    snapshot = snapshot_of(con)
    asked = (entry.alias, snapshot, key)
    while True:
        with _LOCK:
            kept = _READ.get(entry.alias, {}).get(snapshot, {})
            if key in kept:
                return kept[key]
            pending = _PENDING.get(asked)
            mine = pending is None
            if mine:
                pending = _PENDING[asked] = threading.Event()
        if mine:
            break
        if getattr(_COMPUTING, "depth", 0):  # asked while computing another answer: two
            return compute()  # threads waiting on each other's could wait for ever
        pending.wait()  # then the kept answer (or, if that reader failed, compute it)
    _COMPUTING.depth = getattr(_COMPUTING, "depth", 0) + 1
    try:
        found = _carried(con, entry.alias, _READ, snapshot, key, tables)
        if found is _MISSING and grows is not None:
            found = _grown(con, entry.alias, snapshot, key, tables, grows)
        if found is _MISSING:
            found = compute()
        with _LOCK:
            per_alias = _READ.setdefault(entry.alias, {})
            answers = per_alias.setdefault(snapshot, {})
            if len(answers) >= READ_ANSWERS_PER_SNAPSHOT:
                answers.pop(next(iter(answers)))  # the oldest answer goes
            answers[key] = found
            for old in sorted(per_alias)[:-KEPT_SNAPSHOTS]:
                del per_alias[old]
    finally:
        _COMPUTING.depth -= 1
        with _LOCK:
            _PENDING.pop(asked, None)
        pending.set()
    return found


_MISSING = object()
_EVERY_TABLE = None  # a snapshot that may have changed any table (created one, ...)
# alias -> snapshot -> (table ids changed, those changed other than by insertions)
_CHANGED: dict[str, dict[int, tuple[frozenset[int], frozenset[int]] | None]] = {}
_TABLE_IDS: dict[tuple[str, int], dict[str, int]] = {}  # (alias, snapshot) -> name -> id
_CHANGE = re.compile(r"[a-z_]+:[0-9]+")


def _carried(con, alias: str, kept_by: dict, snapshot: int, key: Hashable, tables) -> Any:
    """The answer to ``key`` kept for the nearest other snapshot, if no snapshot between it
    and ``snapshot`` changed any of ``tables``; else ``_MISSING``."""
    if not tables:
        return _MISSING
    with _LOCK:
        others = [s for s, kept in kept_by.get(alias, {}).items() if key in kept and s != snapshot]
    if not others:
        return _MISSING
    other = min(others, key=lambda s: abs(s - snapshot))
    if not unchanged(con, alias, min(other, snapshot), max(other, snapshot), tables):
        return _MISSING
    with _LOCK:
        return kept_by.get(alias, {}).get(other, {}).get(key, _MISSING)


def _grown(con, alias: str, snapshot: int, key: Hashable, tables, grows) -> Any:
    """The answer to ``key`` kept for the latest earlier snapshot, grown by the rows
    inserted since, if that is all that changed (``read``'s ``grows``); else ``_MISSING``."""
    table, grow = grows
    with _LOCK:
        kept = _READ.get(alias, {})
        earlier = [s for s, answers in kept.items() if key in answers and s < snapshot]
        if not earlier:
            return _MISSING
        since = max(earlier)
        old = kept[since][key]
    if not _only_inserted(con, alias, since, snapshot, tables, table):
        return _MISSING
    found = grow(old, since + 1, snapshot)
    return _MISSING if found is None else found


def unchanged(con, alias: str, since: int, until: int, tables: Sequence[str]) -> bool:
    """Whether no snapshot after ``since`` up to ``until`` changed any of ``tables`` (names
    of lake tables), read from the catalogue's record of each snapshot's changes
    (``ducklake_snapshot_changes``: ``inserted_into_table:14,deleted_from_table:16,...``;
    a committed snapshot's record never changes, so each is read once). Exact or False:
    a snapshot whose record is gone (expired by compaction) or names anything but table
    ids (a table or schema created, ...) counts as having changed every table."""
    return _only_inserted(con, alias, since, until, tables, None)


def _only_inserted(con, alias: str, since: int, until: int, tables: Sequence[str],
                   growing: str | None) -> bool:  # fmt: skip
    """Whether no snapshot after ``since`` up to ``until`` changed any of ``tables`` but
    ``growing``, and that one only by rows inserted (``unchanged`` says how it is read)."""
    if until <= since:
        return True
    if until - since > CHANGES_KEPT:
        return False
    meta = f'"__ducklake_metadata_{alias}"'
    try:
        with _LOCK:
            known = dict(_CHANGED.get(alias, {}))
        wanted = [s for s in range(since + 1, until + 1) if s not in known]
        if wanted:
            rows = con.execute(
                f"SELECT snapshot_id, changes_made FROM {meta}.ducklake_snapshot_changes "
                "WHERE snapshot_id >= ? AND snapshot_id <= ?",
                [min(wanted), max(wanted)],
            ).fetchall()
            found = {int(sid): _changed_tables(text) for sid, text in rows}
            with _LOCK:
                per_alias = _CHANGED.setdefault(alias, {})
                per_alias.update(found)
                for old in sorted(per_alias)[:-CHANGES_KEPT]:
                    del per_alias[old]
            known.update(found)
        ids = _table_ids(con, alias, since, meta)
    except duckdb.Error:
        return False  # no record to prove it by: read afresh
    watched = {ids.get(name) for name in tables}
    grown = ids.get(growing) if growing is not None else None
    if None in watched or (growing is not None and grown is None):
        return False  # a table the catalogue does not have at ``since``
    for sid in range(since + 1, until + 1):
        if sid not in known:
            return False
        changed = known[sid]
        if changed is _EVERY_TABLE:
            return False
        ids_changed, not_inserted = changed
        if ids_changed & (watched - {grown}) or grown in not_inserted:
            return False
    return True


# snapshots' records of changes kept per store: a live feed's day is some 86,400
CHANGES_KEPT = 4096


def _changed_tables(text: str | None):
    """The table ids a snapshot's ``changes_made`` names, and those it changed other than
    by inserting rows; ``_EVERY_TABLE`` when it names anything else (a created table or
    schema goes by name)."""
    if not text:
        return frozenset(), frozenset()
    parts = text.split(",")
    if not all(_CHANGE.fullmatch(part) for part in parts):
        return _EVERY_TABLE
    pairs = [part.rsplit(":", 1) for part in parts]
    return (
        frozenset(int(i) for _kind, i in pairs),
        frozenset(int(i) for kind, i in pairs if kind not in _INSERTIONS),
    )


# the records of a snapshot that only added rows to a table (DuckLake 1.0's names)
_INSERTIONS = frozenset({"inserted_into_table", "inlined_insert"})


def _table_ids(con, alias: str, snapshot: int, meta: str) -> dict[str, int]:
    """Each lake table's id at ``snapshot`` by name (a snapshot's never change)."""
    with _LOCK:
        found = _TABLE_IDS.get((alias, snapshot))
    if found is None:
        found = dict(
            con.execute(
                f"SELECT table_name, table_id FROM {meta}.ducklake_table WHERE begin_snapshot <= ? "
                "AND (end_snapshot IS NULL OR end_snapshot > ?)",
                [snapshot, snapshot],
            ).fetchall()
        )
        with _LOCK:
            _TABLE_IDS[(alias, snapshot)] = found
            for old in [k for k in _TABLE_IDS if k[0] == alias][: -KEPT_SNAPSHOTS * 2]:
                del _TABLE_IDS[old]
    return found


def put(con: duckdb.DuckDBPyConnection, key: Hashable, new: Any) -> None:
    """A writer set ``key`` to ``new`` (visible to it now, to others once it commits)."""
    entry = _OPEN.get(id(con))
    if entry is not None:
        entry.own[key] = new


def forget(con: duckdb.DuckDBPyConnection, key: Hashable) -> None:
    """A writer changed the tables behind ``key``: read it again (with the change)."""
    put(con, key, _FORGOTTEN)


def forget_all(con: duckdb.DuckDBPyConnection) -> None:
    """A writer wrote the tables behind the keys some other way: keep nothing of it."""
    entry = _OPEN.get(id(con))
    if entry is not None:
        entry.poisoned = True


def committed(entry: Open, new_snapshot: int) -> None:
    """``entry``'s writer published ``new_snapshot``; when that is the snapshot right after
    the one it read (nobody else committed in between), its values are the old ones with
    the writer's changes."""
    if entry.poisoned or entry.snapshot is None or new_snapshot != entry.snapshot + 1:
        return
    with _LOCK:
        per_alias = _BY_SNAPSHOT.setdefault(entry.alias, {})
        values = dict(per_alias.get(entry.snapshot, {}))
        for key, new in entry.own.items():
            if new is _FORGOTTEN:
                values.pop(key, None)
            else:
                values[key] = new
        per_alias[new_snapshot] = values
        for old in sorted(per_alias)[:-KEPT_SNAPSHOTS]:
            del per_alias[old]


def drop(alias: str) -> None:
    """The store attached as ``alias`` was detached: its values go."""
    with _LOCK:
        _BY_SNAPSHOT.pop(alias, None)
        _READ.pop(alias, None)
        _CHANGED.pop(alias, None)
        for old in [k for k in _TABLE_IDS if k[0] == alias]:
            del _TABLE_IDS[old]
