"""Following a growing log file the way ``tail -F`` does, from a committed position.

A switch writes its log line by line and rotates it now and then: logrotate renames it
(``queue_log`` becomes ``queue_log.1`` and a new, empty ``queue_log`` appears) or copies
and truncates it in place (``copytruncate``). A follower must read every complete line
exactly once across both, and across its own restarts:

* a **position** is the file's identity (``st_dev``, ``st_ino``), the byte offset just
  after the last complete line handed out, and that file's line count so far. The caller
  commits it in the same transaction as what it made of the lines, so a restart resumes
  exactly after the last committed line (nothing lost, nothing twice);
* a **partial last line** (no newline yet) is not handed out: the offset stays at its
  start and the line is read again, whole, once its newline is written;
* **rename**: when the path names another file than the one open, the open one is read
  to its end first (a line left without newline there is complete: nothing more will be
  written to it), then the new file from its start;
* **truncation**: the same file grown shorter than the offset starts again at 0;
* a **restart after a rotation** looks for the committed file under another name in the
  same directory (``queue_log.1``) and finishes it before the new one.
"""

from __future__ import annotations

import os
import queue as queue_module
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

MAX_LINES_PER_ROUND = 50_000  # lines a round reads at most

READ_SIZE = 1 << 20


@dataclass(frozen=True)
class Position:
    """Where a follower is: a file's identity, the offset after its last complete line
    handed out, and that file's lines so far."""

    dev: int | None = None
    ino: int | None = None
    offset: int = 0
    line_no: int = 0


@dataclass(frozen=True)
class Line:
    """One complete line (without its line break) and where it was."""

    raw: bytes
    file: str
    offset: int  # byte offset of the line's start
    line_no: int  # 1-based line of its file


class FileTail:
    """Complete lines appended to ``path`` since ``position``; see the module docstring."""

    def __init__(self, path: str | os.PathLike[str], position: Position | None = None):
        self.path = Path(path)
        self._file = None
        self._name = str(self.path)
        self.position = Position()
        self.notes: list[str] = []  # what happened to the file (rotations found on start)
        self._resume(position or Position())

    # --- opening -------------------------------------------------------------------

    def _open(self, path: Path, offset: int, line_no: int) -> bool:
        try:
            f = open(path, "rb")  # noqa: SIM115 (kept open while following)
        except FileNotFoundError:
            return False
        st = os.fstat(f.fileno())
        if st.st_size < offset:  # truncated since: start again
            self.notes.append(f"{path} is shorter than the committed offset: read from its start")
            offset, line_no = 0, 0
        f.seek(offset)
        self._close()
        self._file = f
        self._name = str(path)
        self.position = Position(st.st_dev, st.st_ino, offset, line_no)
        return True

    def _close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _resume(self, pos: Position) -> None:
        if pos.ino is None:
            self._open(self.path, 0, 0)
            return
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            st = None
        if st is not None and (st.st_dev, st.st_ino) == (pos.dev, pos.ino):
            self._open(self.path, pos.offset, pos.line_no)
            return
        # Rotated while no follower ran: finish the committed file under its new name.
        for other in sorted(self.path.parent.glob(self.path.name + "*")):
            try:
                ost = os.stat(other)
            except FileNotFoundError:
                continue
            if (ost.st_dev, ost.st_ino) == (pos.dev, pos.ino) and other != self.path:
                self.notes.append(f"{self.path} was rotated to {other}: finishing that first")
                self._open(other, pos.offset, pos.line_no)
                return
        self.notes.append(
            f"the file last read ({self.path}, inode {pos.ino}) is gone: "
            f"reading {self.path} from its start"
        )
        self._open(self.path, 0, 0)

    # --- reading -------------------------------------------------------------------

    def _path_identity(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_dev, st.st_ino)

    def _read_complete(self, *, final: bool, limit: int) -> list[Line]:
        """Complete lines from the open file (and its last piece when ``final``)."""
        f = self._file
        if f is None:
            return []
        pos = self.position
        f.seek(pos.offset)
        data = f.read() if final else f.read(limit)
        if not data:
            return []
        end = data.rfind(b"\n")
        if end < 0 and not final:
            if len(data) >= limit:  # a line longer than the read size: take it whole
                return self._read_complete(final=final, limit=limit * 4)
            return []
        body = data if final else data[: end + 1]
        out = []
        offset, line_no = pos.offset, pos.line_no
        for piece in body.split(b"\n")[: body.count(b"\n") + (0 if body.endswith(b"\n") else 1)]:
            line_no += 1
            out.append(Line(piece.rstrip(b"\r"), self._name, offset, line_no))
            offset += len(piece) + 1
        offset = min(offset, pos.offset + len(body))
        self.position = Position(pos.dev, pos.ino, offset, line_no)
        return out

    def read(self, limit: int = READ_SIZE) -> list[Line]:
        """The complete lines written since the last call (possibly across a rotation)."""
        if self._file is None:
            if not self._open(self.path, 0, 0):
                return []
        lines = self._read_complete(final=False, limit=limit)
        if lines:
            return lines
        identity = self._path_identity()
        current = (self.position.dev, self.position.ino)
        if identity is not None and identity == current:
            size = os.fstat(self._file.fileno()).st_size
            if size < self.position.offset:  # copytruncate: the same file, shorter
                self.notes.append(f"{self.path} was truncated: reading it from its start")
                self._open(self.path, 0, 0)
                return self._read_complete(final=False, limit=limit)
            return []
        if identity is None:
            return []  # renamed away and not yet recreated: wait for the new file
        # Renamed: the old file is finished; its last line is complete even without \n.
        lines = self._read_complete(final=True, limit=limit)
        if self._open(self.path, 0, 0):
            self.notes.append(f"{self.path} was rotated: reading the new file")
        return lines + self._read_complete(final=False, limit=limit)

    def close(self) -> None:
        self._close()


class StdinSource:
    """Lines from standard input, read by a thread so that a round never blocks."""

    def __init__(self, stream=None):
        self.lines: queue_module.Queue[bytes | None] = queue_module.Queue()
        self.count = 0
        self.finished = False
        stream = stream if stream is not None else sys.stdin.buffer
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream) -> None:
        for raw in stream:
            self.lines.put(raw)
        self.lines.put(None)

    def read(self, limit: int = MAX_LINES_PER_ROUND) -> list[Line]:
        out: list[Line] = []
        while len(out) < limit:
            try:
                raw = self.lines.get_nowait()
            except queue_module.Empty:
                break
            if raw is None:
                self.finished = True
                break
            self.count += 1
            out.append(Line(raw.rstrip(b"\r\n"), "stdin", -1, self.count))
        return out
