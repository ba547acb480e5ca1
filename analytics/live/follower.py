"""A followed feed: lines in, the queue as it is now and finished calls out, committed.

A :class:`Follower` reads what its source has appended (a :class:`~analytics.live.tail.
FileTail` over a log, or standard input), turns the lines into events
(:mod:`analytics.live.events`) and commits, in **one store write** per round:

* finished calls, through :func:`analytics.ingest.ingest_file` -- the one write path of
  calls, with the very format reader a batch load uses (``queue_log`` for an Asterisk log,
  ``connect_ctr`` for Connect contacts, rebuilt as contact records). All the lines of a
  finished queue visit (and of the earlier visits of the same caller to the same queue,
  kept for a while) are handed over together, so the visit is paired exactly as a batch
  load of the whole file pairs it: a live feed and a nightly load of the same log give the
  same call rows and the same rollup, and handing a visit over again changes nothing
  (the ingest's merge counts it duplicate);
* the callers waiting now, each agent's state now and every change of state;
* the events of calls still in progress (what a restart needs), the lines it could not
  read (``live_quarantine``: file, byte offset, line, reason), the ids of events already
  taken from an at-least-once stream (duplicates are dropped);
* the feed's position (file identity, byte offset, line) and its health (events, lag,
  last event, malformed lines, events of calls never seen entering, duplicates).

Everything of a round is one transaction: a follower killed at any instant restarts after
the last round it committed -- no event lost, none counted twice. A round is committed as
soon as its lines are read (polling every ``poll_s``), so an event is in the store well
within a second of its line being written; while nothing is written, a heartbeat commit
every ``heartbeat_s`` keeps the feed's health current.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from analytics.live.events import (
    AgentPresence,
    Malformed,
    apply_agent_event,
    contact_record,
    parse_connect_agent_event,
    parse_connect_contact_event,
    parse_queue_log_line,
    ring_seconds,
)
from analytics.live.tail import MAX_LINES_PER_ROUND, FileTail, Line, Position, StdinSource
from analytics.store import FEED_COMMIT, Store

FORMATS = ("queue_log", "connect_agent_events", "connect_contact_events", "csv")
# Formats whose fields a mapping may describe (as with ``cca ingest --mapping``): a CSV
# of call records, one finished call a line (a switch's call-detail export as it grows).
MAPPED_FORMATS = ("csv",)
# Lines of finished calls are kept this long (s of event time) after their last event:
# a late line of the call, or the caller back in the same queue, is paired with them.
RETAIN_S = 2 * 3600
_RANK = {"ENTERQUEUE": 0, "CONNECT": 1}
# the end of a ring the agent did not answer (ring time in ms)


def _instants(values: list) -> pa.Array:
    return pa.array(values, pa.timestamp("us", tz="UTC"))


def _insert(
    con: duckdb.DuckDBPyConnection, table: str, select: str, params: list, columns: dict
) -> None:
    """Insert the rows of ``columns`` (Arrow columns by name) into ``table`` as
    ``SELECT select FROM`` them, in one statement (``executemany`` is one per row)."""
    con.register("live_rows", pa.table(columns))
    try:
        con.execute(f"INSERT INTO {table} SELECT {select} FROM live_rows", params)
    finally:
        con.unregister("live_rows")


class FeedError(ValueError):
    """A feed that cannot be followed as asked (the message says why)."""


def feed_id(centre_id: str, fmt: str, source: str) -> str:
    """The name of a feed: centre, format and the absolute path (or ``stdin``)."""
    where = "stdin" if source == "-" else str(Path(source).resolve())
    return f"{centre_id}:{fmt}:{where}"


def _utc(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, dt.UTC)


@dataclass
class CallLine:
    """A line of a call kept by the follower (its event time and where it came from)."""

    epoch: float
    text: str
    file: str
    line_no: int
    rank: int  # ENTERQUEUE 0, CONNECT 1, the rest 2 (the batch reader's order at a tie)
    closes: bool
    event: str = ""


@dataclass
class Round:
    """What one round read, before it is committed."""

    first_read: float | None = None
    events: int = 0
    malformed: list[tuple] = field(default_factory=list)
    unknown: int = 0
    duplicates: int = 0
    new_call_lines: list[tuple[str, CallLine]] = field(default_factory=list)
    changed_keys: set[str] = field(default_factory=set)
    finished_keys: set[str] = field(default_factory=set)
    changed_agents: set[str] = field(default_factory=set)
    history: list[tuple] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)
    last_event_at: dt.datetime | None = None
    records: list[Line] = field(default_factory=list)  # csv: finished calls' rows

    @property
    def empty(self) -> bool:
        return not (self.events or self.malformed or self.duplicates)


class Follower:
    """One feed of one centre: see the module docstring."""

    def __init__(
        self,
        store: Store,
        centre_id: str,
        source: str,
        fmt: str = "queue_log",
        *,
        timezone: str | None = None,
        stdin=None,
        mapping=None,
    ):
        if fmt not in FORMATS:
            raise FeedError(f"unknown live format {fmt!r}; use {', '.join(FORMATS)}")
        if source == "-" and fmt in ("queue_log", "csv"):
            raise FeedError(f"a {fmt} is followed as a file (standard input: Connect events)")
        self.mapping = self._mapping(fmt, mapping)
        self.header: bytes | None = None  # csv: the followed file's header line
        timezone = timezone or (self.mapping.timezone if self.mapping is not None else None)
        self.store = store
        self.centre_id = centre_id
        self.fmt = fmt
        self.source = "stdin" if source == "-" else str(Path(source).resolve())
        self.feed_id = feed_id(centre_id, fmt, source)
        self.timezone = timezone
        self.agents: dict[str, AgentPresence] = {}
        self.agent_now: dict[str, tuple[str, str | None, dt.datetime, tuple[str, ...]]] = {}
        self.calls: dict[str, list[CallLine]] = {}
        self.seen: set[str] = set()
        self.newest_epoch = 0.0
        self.notes: list[str] = []
        self.totals = {"events": 0, "calls_loaded": 0, "malformed": 0, "unknown": 0, "dup": 0}
        # what this follower last committed of its health row and of its waiting callers
        # (it is their one writer): a round reads neither back from the store
        self._health: tuple | None = None
        self._waiting_stored: set[str] = set()
        position = self._restore()
        if source == "-":
            self.reader: FileTail | StdinSource = StdinSource(stdin)
        else:
            if not Path(source).parent.is_dir():
                raise FeedError(f"{source}: no such directory")
            self.reader = FileTail(source, position)
            self.notes += self.reader.notes
        self.last_commit = 0.0
        self._purged_at = 0.0

    @staticmethod
    def _mapping(fmt: str, mapping):
        """The mapping of a csv feed (a ColumnMapping, a TOML path or a preset name)."""
        from analytics.mapping import ColumnMapping, MappingError, load_mapping

        if mapping is None:
            return None
        if fmt not in MAPPED_FORMATS:
            raise FeedError(
                f"a mapping does not apply to --format {fmt} (as with cca ingest): its fields "
                "are the format's own; --format csv follows call records a mapping describes"
            )
        if not isinstance(mapping, ColumnMapping):
            try:
                mapping = load_mapping(mapping)
            except MappingError as exc:
                raise FeedError(str(exc)) from exc
        if mapping.kind != "calls":
            raise FeedError(f"{mapping.origin} maps {mapping.kind}; a live feed loads calls")
        if mapping.encoding == "utf-16":
            raise FeedError(
                f"{mapping.origin}: encoding = utf-16; a followed file is read line by line "
                "(utf-8 or latin-1)"
            )
        return mapping

    # --- restart ---------------------------------------------------------------------

    def _restore(self) -> Position | None:
        """The feed's committed state (agents, calls in progress, seen ids, position)."""
        with self.store.writer() as con:
            from analytics.centres import ensure_centre

            ensure_centre(con, self.centre_id, self.timezone)
            pos = con.execute(
                "SELECT file_dev, file_ino, byte_offset, line_no FROM live_feed_positions "
                "WHERE feed_id = ?",
                [self.feed_id],
            ).fetchall()
            con.execute("SET TimeZone = 'UTC'")
            for agent, state, reason, since, queues, call_key in con.execute(
                "SELECT agent_id, state, reason, since, queues, call_key FROM live_agent_state "
                "WHERE feed_id = ?",
                [self.feed_id],
            ).fetchall():
                queues = tuple(queues or ())
                self.agent_now[agent] = (state, reason, since, queues)
                self.agents[agent] = AgentPresence(
                    queues=set(queues),
                    logged_in=state != "logged_out" and not queues,
                    paused=state in ("paused", "wrap_up"),
                    reason="wrap-up" if state == "wrap_up" else reason,
                    on_call=call_key,
                )
            for key, epoch, text, file, line_no in con.execute(
                "SELECT call_key, epoch, line, file, line_no FROM live_call_events "
                "WHERE feed_id = ? ORDER BY rowid",
                [self.feed_id],
            ).fetchall():
                self.calls.setdefault(key, []).append(self._call_line(epoch, text, file, line_no))
                self.newest_epoch = max(self.newest_epoch, epoch)
            self.seen = {
                r[0]
                for r in con.execute(
                    "SELECT event_id FROM live_seen_events WHERE feed_id = ?", [self.feed_id]
                ).fetchall()
            }
            health = con.execute(
                "SELECT events, calls_loaded, malformed, unknown_call_events, duplicates "
                "FROM live_feed_health WHERE feed_id = ?",
                [self.feed_id],
            ).fetchall()
            if health:
                for name, value in zip(self.totals, health[0], strict=True):
                    self.totals[name] = int(value or 0)
            self._waiting_stored = {
                r[0]
                for r in con.execute(
                    "SELECT call_key FROM live_calls_waiting WHERE feed_id = ?", [self.feed_id]
                ).fetchall()
            }
            self.started_at = dt.datetime.now(dt.UTC)
            health = self._write_health(con, Round(), self.started_at)
        self._health = health
        if pos and pos[0][1] is not None:
            return Position(*[int(v) for v in pos[0]])
        return Position(None, None, 0, 0) if not pos else Position()

    def _call_line(self, epoch: float, text: str, file: str | None, line_no: int | None):
        if self.fmt == "queue_log":
            event = text.split("|")[4]
            closes = parse_queue_log_line(text).closes
        else:
            event = parse_connect_contact_event(text).event_type
            closes = event == "DISCONNECTED"
        return CallLine(epoch, text, file or "", line_no or 0, _RANK.get(event, 2), closes, event)

    # --- reading a round -------------------------------------------------------------

    def _quarantine(self, r: Round, line: Line, text: str | None, reason: str) -> None:
        shown = text if text is not None else line.raw.decode("utf-8", "replace")
        r.malformed.append(
            (
                line.file,
                line.offset if line.offset >= 0 else None,
                line.line_no,
                shown[:500],
                reason,
            )
        )

    def _set_agent(self, r: Round, agent: str, state, reason, at: dt.datetime, queues) -> None:
        before = self.agent_now.get(agent)
        queues = tuple(sorted(queues))
        if before is not None and before[:2] == (state, reason) and before[3] == queues:
            return
        since = at if before is None or before[:2] != (state, reason) else before[2]
        self.agent_now[agent] = (state, reason, since, queues)
        r.changed_agents.add(agent)
        if before is None or before[:2] != (state, reason):
            r.history.append((self.feed_id, self.centre_id, agent, state, reason, at))

    def _queue_log_line(self, r: Round, line: Line, text: str) -> None:
        ev = parse_queue_log_line(text)
        if ev is None:
            return
        r.events += 1
        at = _utc(ev.epoch)
        r.last_event_at = at
        self.newest_epoch = max(self.newest_epoch, ev.epoch)
        touched: list[str] = []
        if ev.is_call:
            key = ev.call_key
            lines = self.calls.get(key)
            if lines is None and ev.event != "ENTERQUEUE":
                r.unknown += 1  # kept: a batch load reconstructs such a visit too
            cl = CallLine(
                ev.epoch, text, line.file, line.line_no, _RANK.get(ev.event, 2), ev.closes
            )
            cl.event = ev.event
            late = lines is not None and any(c.closes and c.epoch >= ev.epoch for c in lines)
            self.calls.setdefault(key, []).append(cl)
            r.new_call_lines.append((key, cl))
            r.changed_keys.add(key)
            if ev.closes or late:
                r.finished_keys.add(key)
            if ev.event == "CONNECT" and ev.agent not in ("", "NONE"):
                touched.append(ev.agent)
            if ev.closes:
                touched += [a for a, p in self.agents.items() if p.on_call == key]
        elif ev.is_session:
            touched.append(ev.agent)
        if ev.agent not in ("", "NONE"):
            rang = ring_seconds(ev)
            if rang:
                self._rang(r, ev.agent, at, rang, back=ev.event != "CONNECT")
        for agent in dict.fromkeys(touched):
            p = self.agents.setdefault(agent, AgentPresence(queues=set()))
            apply_agent_event(p, ev)
            if ev.closes and p.on_call == ev.call_key:
                p.on_call = None
            state, reason = p.state()
            self._set_agent(r, agent, state, reason, at, p.queues)

    def _csv_line(self, r: Round, line: Line) -> None:
        """A row of a followed CSV of calls: line 1 of each file is its header."""
        if line.line_no == 1:
            self.header = line.raw
            return
        if not line.raw.strip():
            return
        if self.header is None:  # resumed past the header: read it from the file
            with open(line.file, "rb") as f:
                self.header = f.readline().rstrip(b"\r\n")
        r.records.append(line)
        r.events += 1
        r.last_event_at = dt.datetime.now(dt.UTC)

    def _rang(self, r: Round, agent: str, at: dt.datetime, secs: float, *, back: bool) -> None:
        """An agent's phone rang for ``secs`` up to ``at`` (the queue_log says so only once
        the ring is over): a ``ringing`` row in the history from ``at - secs`` -- never
        before the state it interrupted began -- and, when the call was not taken
        (``back``), the agent's state again from ``at``."""
        before = self.agent_now.get(agent)
        if before is None:  # ringing means a member of the queue: logged in
            self.agents.setdefault(agent, AgentPresence(queues=set(), static=True))
            before = ("available", None, at - dt.timedelta(seconds=secs), ())
        start = max(at - dt.timedelta(seconds=secs), before[2])
        if start >= at:
            return
        r.history.append((self.feed_id, self.centre_id, agent, "ringing", None, start))
        if back:
            state, reason, _since, queues = before
            r.history.append((self.feed_id, self.centre_id, agent, state, reason, at))
            self.agent_now[agent] = (state, reason, at, queues)
            r.changed_agents.add(agent)
        else:  # the CONNECT that follows starts the call at ``at``
            self.agent_now[agent] = ("ringing", None, start, before[3])

    def _first_delivery(self, r: Round, ev) -> bool:
        """Count a Connect event once (delivery is at least once): False for a duplicate."""
        if ev.event_id in self.seen:
            r.duplicates += 1
            return False
        self.seen.add(ev.event_id)
        r.seen.append(ev.event_id)
        r.events += 1
        r.last_event_at = ev.at
        return True

    def _connect_agent_line(self, r: Round, text: str) -> None:
        ev = parse_connect_agent_event(text)
        if ev is None:
            return
        if not self._first_delivery(r, ev):
            return
        self._set_agent(r, ev.agent_id, ev.state, ev.reason, ev.at, ev.queues)

    def _connect_contact_line(self, r: Round, line: Line, text: str) -> None:
        ev = parse_connect_contact_event(text)
        if ev is None:
            return
        if not self._first_delivery(r, ev):
            return
        key = ev.contact_id
        epoch = ev.at.timestamp()
        self.newest_epoch = max(self.newest_epoch, epoch)
        lines = self.calls.get(key)
        if lines is None and ev.event_type not in ("INITIATED", "QUEUED"):
            r.unknown += 1
        cl = CallLine(epoch, text, line.file, line.line_no, 2, ev.event_type == "DISCONNECTED")
        cl.event = ev.event_type
        late = lines is not None and any(c.closes for c in lines)
        self.calls.setdefault(key, []).append(cl)
        r.new_call_lines.append((key, cl))
        r.changed_keys.add(key)
        if cl.closes or late:
            r.finished_keys.add(key)

    def read_round(self, limit: int = MAX_LINES_PER_ROUND) -> tuple[Round, list[Line]]:
        """Read what the source has appended and turn it into a round (not committed)."""
        lines = self.reader.read()
        r = Round()
        if lines:
            r.first_read = time.time()
        for line in lines:
            if self.fmt == "csv":
                self._csv_line(r, line)
                continue
            try:
                text = line.raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                self._quarantine(
                    r, line, None, f"bytes that are not valid UTF-8 (byte {exc.start})"
                )
                continue
            try:
                if self.fmt == "queue_log":
                    self._queue_log_line(r, line, text)
                elif self.fmt == "connect_agent_events":
                    self._connect_agent_line(r, text)
                else:
                    self._connect_contact_line(r, line, text)
            except Malformed as exc:
                self._quarantine(r, line, text, str(exc))
        return r, lines

    # --- committing a round ----------------------------------------------------------

    def _waiting(self, key: str) -> tuple | None:
        """(queue, entered_at) if the latest visit of ``key`` is waiting, else None."""
        lines = sorted(self.calls.get(key, ()), key=lambda c: (c.epoch, c.rank))
        last_close = max((i for i, c in enumerate(lines) if c.closes), default=-1)
        after = lines[last_close + 1 :]
        if self.fmt == "queue_log":
            enters = [c for c in after if c.event == "ENTERQUEUE"]
            if not enters or any(c.event == "CONNECT" for c in after):
                return None
            return key.rsplit("@", 1)[1], _utc(enters[-1].epoch)
        queued = [c for c in after if c.event == "QUEUED"]
        if not queued or any(c.event == "CONNECTED_TO_AGENT" for c in after):
            return None
        ev = parse_connect_contact_event(queued[-1].text)
        return ev.queue, ev.enqueued_at or ev.at

    def _finished_file(self, keys: Iterable[str], directory: str) -> tuple[Path, list]:
        """A file of the finished calls' lines in the batch format, and each line's origin."""
        path = Path(directory) / ("calls.queue_log" if self.fmt == "queue_log" else "calls.jsonl")
        origin = []
        with open(path, "w", encoding="utf-8") as f:
            for key in sorted(keys):
                lines = self.calls.get(key, [])
                if self.fmt == "queue_log":
                    for c in lines:
                        f.write(c.text + "\n")
                        origin.append(c.line_no)
                else:
                    f.write(json.dumps(contact_record(lines)) + "\n")
                    origin.append(max(c.line_no for c in lines))
        return path, origin

    def _load_finished(self, con: duckdb.DuckDBPyConnection, keys: set[str]) -> int:
        from analytics.ingest import ingest_file

        if not keys:
            return 0
        with tempfile.TemporaryDirectory(prefix="cca-live-") as tmp:
            path, origin = self._finished_file(keys, tmp)
            result = ingest_file(
                self.store,
                "calls",
                path,
                self.centre_id,
                input_format="queue_log" if self.fmt == "queue_log" else "connect_ctr",
                writer=con,
                batch_file=f"live:{self.source}",
            )
        return self._loaded(con, result, origin)

    def _load_records(self, con: duckdb.DuckDBPyConnection, records: list[Line]) -> int:
        """A csv feed's new rows, with its header, through the ingest and the mapping."""
        from analytics.ingest import ingest_file

        if not records:
            return 0
        with tempfile.TemporaryDirectory(prefix="cca-live-") as tmp:
            path = Path(tmp) / "calls.csv"
            with open(path, "wb") as f:
                f.write(self.header + b"\n")
                f.writelines(line.raw + b"\n" for line in records)
            result = ingest_file(
                self.store,
                "calls",
                path,
                self.centre_id,
                mapping=self.mapping,
                timezone=self.timezone,
                input_format="csv",
                writer=con,
                batch_file=f"live:{self.source}",
            )
        return self._loaded(con, result, [1, *(line.line_no for line in records)])

    def _loaded(self, con: duckdb.DuckDBPyConnection, result, origin: list[int]) -> int:
        # The batch names the feed (batch_file), and quarantined rows its lines, not the
        # round's file.
        if result.rejected:
            con.register(
                "live_origin",
                pa.table({"tmp": list(range(1, len(origin) + 1)), "orig": origin}),
            )
            con.execute(
                "UPDATE quarantine SET line = o.orig FROM live_origin o "
                "WHERE quarantine.batch_id = ? AND quarantine.line = o.tmp",
                [result.batch_id],
            )
            con.unregister("live_origin")
        return result.loaded + result.updated

    def _purge(self, con: duckdb.DuckDBPyConnection) -> None:
        """Forget finished calls whose last event is older than RETAIN_S (looked for once
        a minute: a round must stay cheap)."""
        if time.monotonic() - self._purged_at < 60:
            return
        self._purged_at = time.monotonic()
        horizon = self.newest_epoch - RETAIN_S
        old = [
            k
            for k, lines in self.calls.items()
            if lines
            and max(c.epoch for c in lines) < horizon
            and self._waiting(k) is None
            and any(c.closes for c in lines)
            and max(lines, key=lambda c: (c.epoch, c.rank)).closes
        ]
        if old:
            con.execute(
                "DELETE FROM live_call_events WHERE feed_id = ? AND list_contains(?, call_key)",
                [self.feed_id, old],
            )
            for k in old:
                del self.calls[k]

    def commit(self, r: Round, position: Position | None) -> None:
        """Publish a round, its position and the feed's health in one store write."""
        fid, cid = self.feed_id, self.centre_id
        # a round's snapshot: compaction thins them out once they are an hour old
        with self.store.writer(message=FEED_COMMIT) as con:
            con.execute("SET TimeZone = 'UTC'")
            if r.new_call_lines:
                _insert(
                    con,
                    "live_call_events",
                    "?, call_key, epoch, line, file, line_no",
                    [fid],
                    {
                        "call_key": [k for k, _ in r.new_call_lines],
                        "epoch": [c.epoch for _, c in r.new_call_lines],
                        "line": [c.text for _, c in r.new_call_lines],
                        "file": [c.file for _, c in r.new_call_lines],
                        "line_no": [c.line_no for _, c in r.new_call_lines],
                    },
                )
            waiting = self._write_waiting(con, r)
            self._write_agents(con, r)
            if r.history:
                _insert(
                    con,
                    "live_agent_state_history",
                    "?, ?, agent_id, state, reason, started_at",
                    [fid, cid],
                    {
                        "agent_id": [h[2] for h in r.history],
                        "state": [h[3] for h in r.history],
                        "reason": pa.array([h[4] for h in r.history], pa.string()),
                        "started_at": _instants([h[5] for h in r.history]),
                    },
                )
            if r.malformed:
                _insert(
                    con,
                    "live_quarantine",
                    "?, ?, file, byte_offset, line_no, line, reason, now()",
                    [fid, cid],
                    {
                        "file": [m[0] for m in r.malformed],
                        "byte_offset": pa.array([m[1] for m in r.malformed], pa.int64()),
                        "line_no": pa.array([m[2] for m in r.malformed], pa.int64()),
                        "line": pa.array([m[3] for m in r.malformed], pa.string()),
                        "reason": [m[4] for m in r.malformed],
                    },
                )
            if r.seen:
                _insert(con, "live_seen_events", "?, event_id, now()", [fid], {"event_id": r.seen})
            loaded = self._load_finished(con, r.finished_keys) + self._load_records(con, r.records)
            self._purge(con)
            if position is not None:
                con.execute("DELETE FROM live_feed_positions WHERE feed_id = ?", [fid])
                con.execute(
                    "INSERT INTO live_feed_positions VALUES (?, ?, ?, ?, ?, ?, ?, ?, now())",
                    [
                        fid,
                        cid,
                        self.fmt,
                        self.source,
                        position.dev,
                        position.ino,
                        position.offset,
                        position.line_no,
                    ],
                )
            self.totals["events"] += r.events
            self.totals["calls_loaded"] += loaded
            self.totals["malformed"] += len(r.malformed)
            self.totals["unknown"] += r.unknown
            self.totals["dup"] += r.duplicates
            health = self._write_health(con, r, dt.datetime.now(dt.UTC))
        self.last_commit = time.time()
        self._waiting_stored = waiting
        self._health = health

    def _write_waiting(self, con: duckdb.DuckDBPyConnection, r: Round) -> set[str]:
        """Replace the waiting callers of the visits the round changed; returns the keys
        stored once it commits."""
        fid, cid = self.feed_id, self.centre_id
        waiting = self._waiting_stored
        if not r.changed_keys:
            return waiting
        keys = sorted(r.changed_keys)
        # every lake statement costs a catalogue read: delete only rows that exist
        gone = [k for k in keys if k in waiting]
        if gone:
            con.execute(
                "DELETE FROM live_calls_waiting WHERE feed_id = ? AND list_contains(?, call_key)",
                [fid, gone],
            )
        rows = [(k, *w) for k in keys if (w := self._waiting(k)) is not None]
        if rows:
            _insert(
                con,
                "live_calls_waiting",
                "?, ?, call_key, queue, NULL, entered_at",
                [fid, cid],
                {
                    "call_key": [k for k, _, _ in rows],
                    "queue": pa.array([q for _, q, _ in rows], pa.string()),
                    "entered_at": _instants([at for _, _, at in rows]),
                },
            )
        return (waiting - set(gone)) | {k for k, _, _ in rows}

    def _write_agents(self, con: duckdb.DuckDBPyConnection, r: Round) -> None:
        """Replace the state rows of the agents the round changed."""
        if not r.changed_agents:
            return
        agents = sorted(r.changed_agents)
        con.execute(
            "DELETE FROM live_agent_state WHERE feed_id = ? AND list_contains(?, agent_id)",
            [self.feed_id, agents],
        )
        now = [self.agent_now[a] for a in agents]
        _insert(
            con,
            "live_agent_state",
            "?, ?, agent_id, state, reason, since, queues, NULL, call_key",
            [self.feed_id, self.centre_id],
            {
                "agent_id": agents,
                "state": [n[0] for n in now],
                "reason": pa.array([n[1] for n in now], pa.string()),
                "since": _instants([n[2] for n in now]),
                "queues": pa.array([list(n[3]) for n in now], pa.list_(pa.string())),
                "call_key": pa.array(
                    [self.agents[a].on_call if a in self.agents else None for a in agents],
                    pa.string(),
                ),
            },
        )

    def _write_health(self, con: duckdb.DuckDBPyConnection, r: Round, now: dt.datetime) -> tuple:
        """Replace the feed's health row; returns what it holds of the last event, read and
        lag, which the next round starts from (the row is read from the store only at
        start: this follower is its one writer)."""
        if self._health is None:
            previous = con.execute(
                "SELECT last_event_at, last_read_at, lag_s FROM live_feed_health WHERE feed_id = ?",
                [self.feed_id],
            ).fetchall()
            self._health = previous[0] if previous else (None, None, None)
        last_event, last_read, lag = self._health
        if r.last_event_at is not None:
            last_event = r.last_event_at
        if r.first_read is not None:
            last_read = _utc(r.first_read)
            lag = max(time.time() - r.first_read, 0.0)
        con.execute("DELETE FROM live_feed_health WHERE feed_id = ?", [self.feed_id])
        con.execute(
            "INSERT INTO live_feed_health VALUES (?, ?, ?, ?, ?, now(), ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                self.feed_id,
                self.centre_id,
                self.fmt,
                self.source,
                self.started_at,
                last_event,
                last_read,
                lag,
                *self.totals.values(),
            ],
        )
        return last_event, last_read, lag

    # --- the loop --------------------------------------------------------------------

    def step(self) -> bool:
        """Read and commit one round; True if it had anything (or a heartbeat was due)."""
        r, _lines = self.read_round()
        position = self.reader.position if isinstance(self.reader, FileTail) else None
        if r.empty and not _lines:
            return False
        self.commit(r, position)
        return True

    def run(
        self,
        *,
        poll_s: float = 0.1,
        heartbeat_s: float = 30.0,
        stop: threading.Event | None = None,
        until_idle: bool = False,
        on_round: Callable[[], None] | None = None,
    ) -> None:
        """Follow until ``stop`` is set (or, with ``until_idle``, until nothing is left)."""
        while stop is None or not stop.is_set():
            had = self.step()
            if had and on_round is not None:
                on_round()
            if had:
                continue
            if until_idle or (isinstance(self.reader, StdinSource) and self.reader.finished):
                return
            if time.time() - self.last_commit >= heartbeat_s:
                with self.store.writer(message=FEED_COMMIT) as con:
                    health = self._write_health(con, Round(), dt.datetime.now(dt.UTC))
                self.last_commit = time.time()
                self._health = health
            time.sleep(poll_s)

    def close(self) -> None:
        if isinstance(self.reader, FileTail):
            self.reader.close()
