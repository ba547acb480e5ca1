"""Where a live feed's round goes: its statements and its commit, timed one by one.

Part 2 of ``benchmarks/live.py`` (lines appended at 200 events a second while a follower
runs, a reader polling the feed's health beside it), with every statement of each round's
writer timed. Prints the commit lag at each commit's end against the 1 s limit, a round's
statements' median, and per round the statements that cost most. docs/measurements.md
("Live operations") has what it found, and how the catalogue's queries were counted.

    .venv/bin/python benchmarks/live_rounds.py [SECONDS] [--no-reader]
"""

from __future__ import annotations

import collections
import contextlib
import os
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
from analytics.store import Store, hold_catalogues, use_threads  # noqa: E402
from benchmarks.live import LAG_LIMIT_S, RATE, day_log  # noqa: E402
from benchmarks.support.app import p95  # noqa: E402


class Timed:
    """A writer's connection whose statements are timed."""

    def __init__(self, con, log: list):
        self._con, self._log = con, log
        # the snapshot cache knows transactions by their connection: this one is it too
        snapshot_cache._OPEN[id(self)] = snapshot_cache._OPEN.get(id(con))

    def _run(self, how, sql, *args, **kwargs):
        started = time.perf_counter()
        result = getattr(self._con, how)(sql, *args, **kwargs)
        self._log.append((time.perf_counter() - started, " ".join(str(sql).split())[:100]))
        return self if result is self._con else result

    def execute(self, sql, *args, **kwargs):
        return self._run("execute", sql, *args, **kwargs)

    def executemany(self, sql, *args, **kwargs):
        return self._run("executemany", sql, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._con, name)


def main() -> None:
    seconds = float(next((a for a in sys.argv[1:] if not a.startswith("-")), 20))
    reader = "--no-reader" not in sys.argv
    tmp = Path(tempfile.mkdtemp())
    source = [line for line in day_log(tmp).read_text().splitlines(True) if line.strip()]
    source = source[: int(RATE * seconds)]
    hold_catalogues()  # as `cca live follow` does
    store = Store(tmp / "rate.duckdb")
    store.initialise()
    use_threads(1)  # as `cca live follow` does
    rounds: list[list] = []
    plain_writer = Store.writer

    @contextlib.contextmanager
    def writer(self, *args, **kwargs):
        log: list = []
        with plain_writer(self, *args, **kwargs) as con:
            yield Timed(con, log)
            committing = time.perf_counter()
        log.append((time.perf_counter() - committing, "<commit>"))
        rounds.append(log)

    Store.writer = writer
    followed = tmp / "rate.queue_log"
    followed.write_text("")
    follower = Follower(store, "live", str(followed))
    rounds.clear()
    stop = threading.Event()
    ends: list[tuple[float, int]] = []

    def follow():
        while not stop.is_set():
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
    lags, j = [], 0
    for i, w in enumerate(written):
        while ends[j][1] <= i:
            j += 1
        lags.append(ends[j][0] - w)
    busy = rounds[2:-1] or rounds
    durations = [sum(s for s, _ in log) for log in busy]
    print(
        f"load average {os.getloadavg()[0]:.1f}; {len(rounds)} rounds of {len(source):,} "
        f"events; lag at each commit's end p95 {p95(lags):.2f} s, max {max(lags):.2f} s = "
        f"{p95(lags) / LAG_LIMIT_S:.2f} x the {LAG_LIMIT_S:.0f} s limit"
        f"{' (a reader polling)' if reader else ''}; a round's statements median "
        f"{statistics.median(durations) * 1000:.0f} ms"
    )
    spent: dict[str, list[float]] = collections.defaultdict(list)
    for log in busy:
        for s, text in log:
            spent[text].append(s)
    print("ms/round  times/round  statement")
    for text, times in sorted(spent.items(), key=lambda kv: -sum(kv[1]))[:15]:
        print(f"{sum(times) / len(busy) * 1000:8.1f}  {len(times) / len(busy):11.2f}  {text}")


if __name__ == "__main__":
    main()
