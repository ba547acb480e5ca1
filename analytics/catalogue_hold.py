"""A SQLite catalogue held open by a small process of its own, so that no transaction
ends as its last.

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

One connection that stays open makes every other connection's close a close that is
not the last: in WAL mode a connection keeps a SHARED lock on the file between its
transactions, so the closing one cannot take the EXCLUSIVE lock it would checkpoint
under, and leaves the log alone; the log is checkpointed as usual, by a committing
writer once it holds 1000 pages. The holding connection has no read transaction open,
so it pins no snapshot and the log can still be checkpointed whole.

Why a process of its own, with Python's ``sqlite3``: POSIX drops every lock a process
holds on a file when the process closes any descriptor of it, so a hold inside the
store's process would be undone by anything there that opens the file (two SQLite
libraries in one process do not know of each other's descriptors). And the first hold,
a read-only SQLite attachment in the store's own DuckDB with a transaction left open,
was followed in one of two full test runs by a segmentation fault inside DuckDB during
a compaction; a separate process leaves DuckDB exactly as it is without a hold. The
process exits when its parent closes the pipe or dies.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# The holds of this process. A forked child (a simulation worker) gets copies of their
# pipes; it closes them at once, or a hold whose parent closed its end would never see
# the end of its input while the child lived.
_LIVE: set[subprocess.Popen] = set()


def _forget_in_child() -> None:
    for process in _LIVE:
        for pipe in (process.stdin, process.stdout):
            try:
                pipe.close()
            except OSError:
                pass
    _LIVE.clear()


os.register_at_fork(after_in_child=_forget_in_child)

# Runs with -I -S (no site, no user paths: starts in about 15 ms). Reading the schema
# opens a read transaction, which puts the connection in WAL mode with its SHARED lock;
# the lock stays after the transaction ends. "held" tells the parent it is in place.
_HOLDER = """\
import sqlite3, sys
con = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
con.execute("SELECT count(*) FROM sqlite_master").fetchall()
sys.stdout.write("held\\n")
sys.stdout.flush()
sys.stdin.read()
con.close()
"""


def hold(catalogue: Path) -> subprocess.Popen | None:
    """A process holding ``catalogue`` (a SQLite file in WAL mode) open, once it is in
    place (None if it could not: the store works without); ``release`` it when the
    store is detached."""
    try:
        process = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _HOLDER, str(catalogue)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
        )
    except OSError:
        return None
    _LIVE.add(process)
    if process.stdout.readline() != b"held\n":
        release(process)
        return None
    return process


def release(process: subprocess.Popen) -> None:
    """End a ``hold``: its connection closes (checkpointing the log if it is the last)."""
    _LIVE.discard(process)
    try:
        process.stdin.close()
    except OSError:
        pass
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    process.stdout.close()
