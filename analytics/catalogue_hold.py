"""A SQLite catalogue held open by one idle connection, so that no transaction ends as its last.

DuckLake reads and writes its SQLite catalogue through ``sqlite_scanner``, which opens a
SQLite connection for each DuckDB transaction and closes it when the transaction ends.
In WAL mode the connection that closes last checkpoints the whole log into the database
and deletes it, holding a PENDING and then an EXCLUSIVE lock on the file meanwhile; any
transaction opening at that moment is refused (SQLITE_BUSY) and waits in SQLite's busy
handler -- and the SQLite inside ``sqlite_scanner`` 1.5.5 is built without ``usleep``, so
that wait is a whole second (``strace``: ``sleep(1)`` called from
``sqliteDefaultBusyCallback``). A live feed that commits a few times a second beside a
reader polling the feed's health met it every few seconds: commit lag 1.2-1.4 s where
the rounds took 0.3 s.

One connection per attached catalogue that stays open makes every other connection's
close a close that is not the last: SQLite then neither checkpoints on close nor takes
those locks (``unixLock``: another connection of the process holds the file SHARED), and
the log is checkpointed as usual, by the committing writer once it holds 1000 pages. The
holding connection runs one statement that reads the file's header and no more (``PRAGMA
journal_mode``): in WAL mode a connection keeps its SHARED lock between transactions, and
it has no read transaction open, so it pins no snapshot and the log can still be
checkpointed whole.

What it rests on: a lock, and POSIX drops every lock a process holds on a file when the
process closes any descriptor of it. So nothing in a process may open the catalogue file
by itself while the store is attached (``Store.exists`` answers from the attachment
instead of reading the file's header): with it doing so, another process's last close
found no lock, checkpointed and reset the log under this one, which then read a stale
snapshot and then "database disk image is malformed".
"""

from __future__ import annotations

from pathlib import Path

import duckdb


def hold(
    con: duckdb.DuckDBPyConnection, catalogue: Path, name: str
) -> duckdb.DuckDBPyConnection | None:
    """A cursor of ``con`` whose open transaction holds ``catalogue`` (a SQLite file)
    open as ``name`` (None if it cannot: the store works without); ``release`` it
    before the catalogue is detached."""
    literal = "'" + str(catalogue).replace("'", "''") + "'"
    try:
        con.execute(f"ATTACH {literal} AS {name} (TYPE sqlite, READ_ONLY)")
    except duckdb.Error:
        return None
    cursor = con.cursor()
    try:
        cursor.execute("BEGIN")
        cursor.execute(f"FROM sqlite_query('{name}', 'PRAGMA journal_mode')").fetchall()
    except duckdb.Error:
        release(con, cursor, name)
        return None
    return cursor


def release(con: duckdb.DuckDBPyConnection, cursor: duckdb.DuckDBPyConnection, name: str) -> None:
    """Close a ``hold``: its connection goes, and the catalogue is detached as ``name``."""
    try:
        cursor.execute("ROLLBACK")
    except duckdb.Error:
        pass
    cursor.close()
    try:
        con.execute(f"DETACH {name}")
    except duckdb.Error:
        pass
