"""Where a live feed's round goes: its statements, its catalogue queries, its commit.

Part 2 of ``benchmarks/live.py`` (lines appended at 200 events a second while a follower
runs, a reader polling the feed's health beside it), with every statement of each round's
writer timed and, with ``--queries``, DuckLake's queries to its SQLite catalogue counted
(``SET sqlite_debug_show_queries = true``, which prints them on standard output: they
are sent to a file). Prints the commit lag at each commit's end against the 1 s limit,
the rounds' duration, and per round the statements that cost most (time, catalogue
queries). docs/measurements.md ("Live operations") has what it found.

    .venv/bin/python benchmarks/live_rounds.py [SECONDS] [--queries] [--no-reader]

``--queries`` leaves the reader out (its own catalogue queries would be counted).
"""

from __future__ import annotations

import collections
import contextlib
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analytics import snapshot_cache  # noqa: E402
from analytics.live.follower import Follower  # noqa: E402
from analytics.store import Store, use_threads  # noqa: E402
from benchmarks.live import LAG_LIMIT_S, RATE, day_log  # noqa: E402
from benchmarks.support.app import p95  # noqa: E402

MARK = "@@"  # a line of ours among the catalogue's queries on standard output


class Timed:
    """A writer's connection whose statements are timed (and marked on standard output)."""

    def __init__(self, con, log: list, marks: bool):
        self._con, self._log, self._marks = con, log, marks
        snapshot_cache._OPEN[id(self)] = snapshot_cache._OPEN.get(id(con))

    def _run(self, how, sql, *args, **kwargs):
        text = " ".join(str(sql).split())[:100]
        if self._marks:
            os.write(1, f"{MARK}S {text}\n".encode())
        started = time.perf_counter()
        result = getattr(self._con, how)(sql, *args, **kwargs)
        self._log.append((time.perf_counter() - started, text))
        return self if result is self._con else result

    def execute(self, sql, *args, **kwargs):
        return self._run("execute", sql, *args, **kwargs)

    def executemany(self, sql, *args, **kwargs):
        return self._run("executemany", sql, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._con, name)


def main() -> None:
    seconds = float(next((a for a in sys.argv[1:] if not a.startswith("-")), 20))
    queries = "--queries" in sys.argv
    # the reader's own catalogue queries would be counted with the round's
    reader = "--no-reader" not in sys.argv and not queries
    tmp = Path(tempfile.mkdtemp())
    source = [line for line in day_log(tmp).read_text().splitlines(True) if line.strip()]
    source = source[: int(RATE * seconds)]
    store = Store(tmp / "rate.duckdb")
    store.initialise()
    use_threads(1)  # as `cca live follow` does
    rounds: list[dict] = []
    plain_writer = Store.writer

    @contextlib.contextmanager
    def writer(self, *args, **kwargs):
        log: list = []
        with plain_writer(self, *args, **kwargs) as con:
            yield Timed(con, log, queries)
            if queries:
                os.write(1, f"{MARK}S <commit>\n".encode())
            committing = time.perf_counter()
        log.append((time.perf_counter() - committing, "<commit>"))
        rounds.append({"log": log})

    Store.writer = writer
    followed = tmp / "rate.queue_log"
    followed.write_text("")
    follower = Follower(store, "live", str(followed))
    rounds.clear()
    out = None
    if queries:  # DuckDB prints the catalogue's queries on file descriptor 1
        out = tmp / "queries.txt"
        saved = os.dup(1)
        os.dup2(os.open(out, os.O_WRONLY | os.O_CREAT, 0o600), 1)
        with store.reader() as con:  # a setting of the process's DuckDB
            con.execute("SET sqlite_debug_show_queries = true")
    stop = threading.Event()
    ends: list[tuple[float, int]] = []

    def follow():
        while not stop.is_set():
            if queries:
                os.write(1, f"{MARK}R\n".encode())
            if follower.step():
                ends.append((time.monotonic(), follower.totals["events"]))
            else:
                time.sleep(0.05)

    def watch():
        while not stop.is_set():
            with store.reader() as con:
                con.execute("SELECT events FROM live_feed_health").fetchall()
            time.sleep(0.05)

    threads = [threading.Thread(target=follow, daemon=True)]
    if reader:
        threads.append(threading.Thread(target=watch, daemon=True))
    for thread in threads:
        thread.start()
    written, started = [], time.monotonic()
    with open(followed, "a") as f:
        for i, line in enumerate(source):
            pause = started + i / RATE - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            f.write(line)
            f.flush()
            written.append(time.monotonic())
    while not ends or ends[-1][1] < len(source):
        time.sleep(0.1)
    stop.set()
    for thread in threads:
        thread.join()
    if queries:
        with store.reader() as con:
            con.execute("SET sqlite_debug_show_queries = false")
        os.dup2(saved, 1)
    lags, j = [], 0
    for i, w in enumerate(written):
        while ends[j][1] <= i:
            j += 1
        lags.append(ends[j][0] - w)
    busy = rounds[2:-1] or rounds
    durations = [sum(s for s, _ in r["log"]) for r in busy]
    print(
        f"load average {os.getloadavg()[0]:.1f}; {len(rounds)} rounds of {len(source):,} "
        f"events; lag at each commit's end p95 {p95(lags):.2f} s, max {max(lags):.2f} s = "
        f"{p95(lags) / LAG_LIMIT_S:.2f} x the {LAG_LIMIT_S:.0f} s limit"
        f"{' (a reader polling)' if reader else ''}; a round's statements "
        f"median {statistics.median(durations) * 1000:.0f} ms"
    )
    spent: dict[str, list[float]] = collections.defaultdict(list)
    for r in busy:
        for s, text in r["log"]:
            spent[text].append(s)
    print("ms/round  times/round  statement")
    for text, times in sorted(spent.items(), key=lambda kv: -sum(kv[1]))[:15]:
        print(f"{sum(times) / len(busy) * 1000:8.1f}  {len(times) / len(busy):11.2f}  {text}")
    if out is not None:
        per_round, counts, statement, n = 0, collections.Counter(), "<round start>", 0
        for line in out.read_text(errors="replace").splitlines():
            if line.startswith(MARK + "R"):
                statement = "<round start>"
            elif line.startswith(MARK + "S "):
                statement = line[len(MARK) + 2 :]
                n += statement == "<commit>"
            elif re.match(r"(SELECT|PRAGMA|BEGIN|COMMIT|INSERT|UPDATE|DELETE|CREATE)\b", line):
                counts[statement] += 1
                per_round += 1
        n = max(n, 1)
        print(f"catalogue queries per round: {per_round / n:.0f}")
        for text, count in counts.most_common(8):
            print(f"{count / n:8.1f}  {text}")


if __name__ == "__main__":
    main()
