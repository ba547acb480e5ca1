"""How live is live? The follower's catch-up and lag, and the wall's delay, in one run.

Each figure is printed beside its limit from issue 23 and the ratio to it:

1. **Catch-up**: a day of saudi_mol written by ``cca live simulate``'s model (about
   20,000 queue_log events) is followed from the start until idle, against 10 s; a
   batch ``cca ingest`` of the same file is timed beside it (the peer: same calls).
2. **Keeping up**: lines appended at 200 events a second for ``SECONDS`` s while the
   follower runs; the commit lag of each line (from its write to the commit that holds
   it, seen by a reader polling the feed's health) -- p95 and max against 1 s.
3. **The wall**: ``cca live follow`` in a subprocess, the dashboards served by waitress
   (as ``cca serve``), Debian's Chromium on ``/wallboard``; ``EVENTS`` lines appended one
   at a time (a caller entering, then leaving), each timed from its write until the
   figure on screen changes -- p95 against 2 s. Then again with 20 more wallboards open
   (each screen is its script's request a second: 20 HTTP clients polling
   ``/api/live/snapshot`` as ``assets/wallboard.js`` does), and a manager's page (the
   Overview's router callback) timed with and without them: the ratio must stay near 1.

The machine's load average is printed: on a shared machine every figure is inflated.

    .venv/bin/python benchmarks/live.py [SECONDS [EVENTS [PARTS]]]   # 20 s, 50 events, 123
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analytics.ingest import ingest_file  # noqa: E402
from analytics.live.follower import Follower  # noqa: E402
from analytics.store import Store, hold_catalogues, use_threads  # noqa: E402
from benchmarks.support.app import bench_app, logged_in_page, p95, served  # noqa: E402
from dashboards.protocol import page_request  # noqa: E402
from simulation.live import run_live  # noqa: E402

CATCH_UP_LIMIT_S = 10.0
LAG_LIMIT_S = 1.0
WALL_LIMIT_S = 2.0
RATE = 200
SCREENS = 20


def day_log(tmp: Path) -> Path:
    path = tmp / "day.queue_log"
    run_live("saudi_mol", path, speed=1e9, seed=1, start="2026-09-06T00:00:00", hours=24)
    return path


def catch_up(tmp: Path, log: Path) -> None:
    lines = sum(1 for line in log.open() if line.strip())
    store = Store(tmp / "catchup.duckdb")
    store.initialise()
    use_threads(1)  # as `cca live follow` does
    started = time.perf_counter()
    follower = Follower(store, "live", str(log))
    follower.run(until_idle=True)
    took = time.perf_counter() - started
    use_threads(None)  # as `cca ingest` does
    started = time.perf_counter()
    batch = ingest_file(store, "calls", log, "batch", input_format="queue_log")
    batch_took = time.perf_counter() - started
    print(
        f"1. catch-up of a day's log: {lines:,} events, {follower.totals['calls_loaded']:,} "
        f"calls in {took:.2f} s = {took / CATCH_UP_LIMIT_S:.2f} x the {CATCH_UP_LIMIT_S:.0f} s "
        f"limit (batch ingest of the same file: {batch.loaded:,} calls in {batch_took:.2f} s; "
        f"follower / batch {took / batch_took:.1f} x)"
    )


def keeping_up(tmp: Path, log: Path, seconds: float) -> None:
    source = [line for line in log.read_text().splitlines(keepends=True) if line.strip()]
    n = int(RATE * seconds)
    source = source[:n]
    hold_catalogues()  # as `cca live follow` does
    store = Store(tmp / "rate.duckdb")
    store.initialise()
    use_threads(1)  # as `cca live follow` does (the watcher's reads share it)
    followed = tmp / "rate.queue_log"
    followed.write_text("")
    follower = Follower(store, "live", str(followed))
    stop = threading.Event()
    runner = threading.Thread(
        target=follower.run, kwargs={"stop": stop, "poll_s": 0.05}, daemon=True
    )
    runner.start()
    written: list[float] = []
    seen: list[tuple[float, int]] = []

    def watch():
        while not stop.is_set():
            with store.reader() as con:
                row = con.execute("SELECT events FROM live_feed_health").fetchall()
            seen.append((time.monotonic(), int(row[0][0]) if row else 0))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    started = time.monotonic()
    with open(followed, "a") as f:
        for i, line in enumerate(source):
            due = started + i / RATE
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            f.write(line)
            f.flush()
            written.append(time.monotonic())
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (not seen or seen[-1][1] < len(source)):
        time.sleep(0.1)
    stop.set()
    runner.join(timeout=30)
    lags = []
    j = 0
    for i, w in enumerate(written):
        while j < len(seen) and seen[j][1] <= i:
            j += 1
        if j < len(seen):
            lags.append(seen[j][0] - w)
    rate = len(written) / (written[-1] - started)
    print(
        f"2. keeping up: {len(written):,} events at {rate:.0f}/s; commit lag p95 "
        f"{p95(lags):.2f} s, max {max(lags):.2f} s = {p95(lags) / LAG_LIMIT_S:.2f} x (p95) the "
        f"{LAG_LIMIT_S:.0f} s limit; committed {seen[-1][1]:,} of {len(source):,}"
    )


class Pollers:
    """``SCREENS`` wallboards' scripts: each asks for the snapshot once a second."""

    def __init__(self, url: str, cookie: str):
        import requests

        self.stop = threading.Event()
        self.count = 0
        self.threads = []
        for k in range(SCREENS):
            s = requests.Session()
            s.cookies.set("cca_session", cookie)

            def poll(s=s, k=k):
                time.sleep(k / SCREENS)  # screens are not in step
                while not self.stop.is_set():
                    t = time.monotonic()
                    s.get(url + "/api/live/snapshot?centre=live", timeout=10)
                    self.count += 1
                    time.sleep(max(0.0, 1.0 - (time.monotonic() - t)))

            thread = threading.Thread(target=poll, daemon=True)
            thread.start()
            self.threads.append(thread)

    def close(self):
        self.stop.set()


def manager_page_times(url: str, cookie: str, csrf: str, runs: int = 15) -> list[float]:
    import requests

    s = requests.Session()
    s.cookies.set("cca_session", cookie)
    s.cookies.set("_csrf_token", csrf)
    body = page_request("/", "?centre=live&period=today")
    times = []
    for i in range(runs + 1):
        t = time.perf_counter()
        r = s.post(url + "/_dash-update-component", json=body, headers={"X-CSRFToken": csrf})
        r.raise_for_status()
        if i:
            times.append(time.perf_counter() - t)
    return times


def the_wall(tmp: Path, log: Path, events: int) -> None:
    hold_catalogues()  # as `cca serve` does
    store = Store(tmp / "wall.duckdb")
    store.initialise()
    use_threads(None)  # the dashboards' process: `cca live follow` runs in its own
    followed = tmp / "wall.queue_log"
    # the morning so far: enough history for the Overview to have figures
    head = [line for line in log.read_text().splitlines(keepends=True) if line.strip()][:4000]
    followed.write_text("".join(head))
    follower = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cca",
            "--db",
            str(store.path),
            "live",
            "follow",
            str(followed),
            "--centre",
            "live",
            "--poll",
            "0.05",
        ],  # fmt: skip
        cwd=ROOT,
        stderr=subprocess.DEVNULL,
    )
    app = bench_app(store, tmp)
    try:
        with served(app, threads=8) as url:
            while True:  # the head committed
                with store.reader() as con:
                    row = con.execute("SELECT events FROM live_feed_health").fetchall()
                if row and row[0][0] >= len(head) - 5:
                    break
                time.sleep(0.2)
            with logged_in_page(url, 1920, 1080) as page:
                cookies = {c["name"]: c["value"] for c in page.context.cookies()}
                page.goto(url + "/wallboard?centre=live")
                page.wait_for_selector("#wallboard-live")
                sel = "#wallboard-live [data-kpi='calls_waiting'][data-window='now']"

                def delays(n: int) -> list[float]:
                    out, last = [], ""
                    for i in range(n):
                        before = page.inner_text(sel)
                        t = int(time.time())
                        key = f"bench{time.monotonic_ns()}"
                        line = (
                            f"{t}|{key}|bench|NONE|ENTERQUEUE||+1|1\n"
                            if i % 2 == 0
                            else f"{t}|{last}|bench|NONE|ABANDON|1|1|1\n"
                        )
                        if i % 2 == 0:
                            last = key
                        started = time.monotonic()
                        with open(followed, "a") as f:
                            f.write(line)
                        page.wait_for_function(
                            "([s, b]) => document.querySelector(s)?.textContent !== b",
                            arg=[sel, before],
                            timeout=20_000,
                        )
                        out.append(time.monotonic() - started)
                        time.sleep(0.3)
                    return out

                alone = delays(events)
                quiet = manager_page_times(url, cookies["cca_session"], cookies["_csrf_token"])
                pollers = Pollers(url, cookies["cca_session"])
                time.sleep(2)
                busy_started, polled = time.monotonic(), pollers.count
                crowded = delays(events)
                busy = manager_page_times(url, cookies["cca_session"], cookies["_csrf_token"])
                rate = (pollers.count - polled) / (time.monotonic() - busy_started)
                pollers.close()
    finally:
        follower.terminate()
        follower.wait(timeout=10)
    print(
        f"3. the wall (Chromium, {events} events): an appended line on screen after p95 "
        f"{p95(alone):.2f} s (median {statistics.median(alone):.2f} s) = "
        f"{p95(alone) / WALL_LIMIT_S:.2f} x the {WALL_LIMIT_S:.0f} s limit"
    )
    print(
        f"   with {SCREENS} more wallboards polling ({rate:.1f} snapshot requests/s): p95 "
        f"{p95(crowded):.2f} s = {p95(crowded) / WALL_LIMIT_S:.2f} x the limit; a manager's "
        f"Overview p95 {p95(busy) * 1000:.0f} ms against {p95(quiet) * 1000:.0f} ms without "
        f"them ({p95(busy) / p95(quiet):.2f} x)"
    )


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 20.0
    events = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    parts = sys.argv[3] if len(sys.argv) > 3 else "123"
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        log = day_log(tmp)
        if "1" in parts:
            catch_up(tmp, log)
        if "2" in parts:
            keeping_up(tmp, log, seconds)
        if "3" in parts:
            the_wall(tmp, log, events)


if __name__ == "__main__":
    main()
