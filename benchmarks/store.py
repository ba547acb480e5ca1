"""The lake store's speed and size goals (issue 22), each figure beside its anchor.

1. A 100-call load into a store of N calls (default 1M and 10M): the work beyond start-up
   (the process's DuckDB opened and the store attached) at most 100 ms, the larger
   store's figure at most 1.5x the smaller's. The median of 15 loads in one process, run
   as ``cca ingest FILE`` runs them (DuckDB on one thread for a small file:
   ``analytics.ingest.threads_for``), once the new store's files are on disk.
2. 1,000 one-call commits in a row: at least 20 a second; a reader's KPI query in another
   process meanwhile against the same query with no writer (it must never wait). Both
   processes hold the catalogue open as the commands they stand for do (`cca live
   follow`, `cca serve`: ``analytics.store.hold_catalogues``); without it a transaction
   that meets the log's checkpoint waits a whole second (docs/stores.md). The committing
   one runs DuckDB on one thread, as `cca live follow` does.
3. First load of a narrow 5M-call CSV at most 2.5x DuckDB's bare ``CREATE TABLE AS SELECT
   * FROM read_csv(...)`` into a plain DuckDB file, the re-load at most 1.8x; peak memory.
4. KPI queries on the lake against the same queries on a single-file DuckDB copy of the
   same tables (the previous design): at most 1.2x. The best of 7 rounds each, the two
   in turn.
5. Bytes on disk against that single file's: at most 1.2x.

    python benchmarks/store.py                          # the issue's sizes (slow)
    python benchmarks/store.py --sizes 100000,1000000 --rows 1000000   # a quicker look
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from ingest import _PEER, timed, write_narrow_calls  # noqa: E402

SMALL_LOAD_LIMIT_S = 0.100
SMALL_LOAD_GROWTH = 1.5
COMMITS_PER_S = 20
FIRST_LOAD_RATIO = 2.5
RELOAD_RATIO = 1.8
KPI_RATIO = 1.2
BYTES_RATIO = 1.2

_INGEST = """
import sys
from analytics.ingest import ingest_file
from analytics.store import Store
r = ingest_file(Store(sys.argv[1]), "calls", sys.argv[2], "bench", timezone="Asia/Riyadh")
print(r.read, r.loaded, r.updated, r.duplicate, r.rejected)
for step, seconds in r.timings.items():
    print(f"    {step:<34} {seconds:6.2f} s")
"""

_SMALL_LOADS = """
import statistics, sys, time
from pathlib import Path
from analytics.ingest import ingest_file, threads_for
from analytics.store import Store, use_threads
store = Store(sys.argv[1])
store.initialise()                      # start-up: DuckDB, extensions, attach
times = []
for i in range(int(sys.argv[3])):
    f = Path(sys.argv[2]) / f"small{i}.csv"
    use_threads(threads_for(f))  # as `cca ingest FILE` does
    t = time.perf_counter()
    ingest_file(store, "calls", f, "bench")
    times.append(time.perf_counter() - t)
print(statistics.median(times), min(times), max(times))
"""

_COMMITS = """
import datetime as dt, sys, time
from analytics.call_log import changing_calls
from analytics.store import Store, hold_catalogues, use_threads
hold_catalogues()  # as `cca live follow`, the feed that commits every second, does
use_threads(1)  # as it does too
store = Store(sys.argv[1])
store.initialise()
n = int(sys.argv[2])
t = time.perf_counter()
for i in range(n):
    with store.writer() as con:
        batch = store.claim_batch_id(con)
        with changing_calls(con, "bench") as calls:
            calls.insert(["centre_id", "call_id", "arrived_at", "outcome", "wait_s", "batch_id"],
                         "SELECT 'bench', ?, ?, 'answered', 4.0, ?",
                         [f"feed{i}", dt.datetime(2024, 3, 1, 9, tzinfo=dt.UTC), batch],
                         batch_id=batch)
print(n / (time.perf_counter() - t))
"""

_READER = """
import sys, time
from analytics.centres import get_centre
from analytics.kpi import call_kpis
from analytics.periods import parse_period
from analytics.store import Store, hold_catalogues
hold_catalogues()  # as `cca serve`, the dashboards reading beside the feed, does
store = Store(sys.argv[1])
store.initialise()
until = time.monotonic() + float(sys.argv[2])
times = []
while time.monotonic() < until or not times:
    t = time.perf_counter()
    with store.reader() as con:
        call_kpis(con, get_centre(con, "bench"), period=parse_period("2024-01"), by=("category",))
    times.append(time.perf_counter() - t)
times.sort()
print(times[len(times) // 2], times[int(len(times) * 0.95)], max(times), len(times))
"""

_KPI = """
import statistics, sys, time
import duckdb
from analytics.centres import get_centre
from analytics.kpi import call_kpis
from analytics.periods import parse_period
from analytics.store import Store
def queries(con):
    centre = get_centre(con, "bench")
    out = []
    for by, interval in (((), None), (("category",), None), ((), "day"), ((), "60min")):
        t = time.perf_counter()
        call_kpis(con, centre, period=parse_period("2024-01"), by=by, interval=interval)
        out.append(time.perf_counter() - t)
    return out
def best(*opens, rounds=7):
    # the two stores in turn, so that a slower spell of the machine falls on both
    runs = [[] for _ in opens]
    for _ in range(rounds):
        for open_con, kept in zip(opens, runs):
            with open_con() as con:
                kept.append(queries(con))
    return [[min(r[i] for r in kept) for i in range(len(kept[0]))] for kept in runs]
lake, single = best(lambda: Store(sys.argv[1]).reader(),
                    lambda: duckdb.connect(sys.argv[2], read_only=True))
print(" ".join(f"{a:.4f}" for a in lake))
print(" ".join(f"{b:.4f}" for b in single))
"""


def lake_bytes(path: Path) -> int:
    total = sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())
    for root, _d, files in os.walk(path.with_name(path.name + ".data")):
        total += sum(os.stat(os.path.join(root, f)).st_size for f in files)
    return total


def run(code: str, *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True
    )
    if proc.returncode:
        raise SystemExit(f"benchmark step failed:\n{proc.stderr}")
    return proc.stdout.strip()


def small_csvs(folder: Path, count: int, first: int) -> None:
    folder.mkdir(exist_ok=True)
    for i in range(count):
        lines = ["call_id,arrived_at,outcome,wait_s,talk_s,category"]
        for k in range(100):
            n = first + i * 100 + k
            lines.append(f"S{n},2024-01-15 10:{k % 60:02d}:00,answered,{k % 40},120,employer")
        (folder / f"small{i}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


_SINGLE_FILE = """
import sys
import duckdb
from analytics.store import Store
lake, single, schema = sys.argv[1:4]
store = Store(lake)
store.initialise()
plain = duckdb.connect(single)
plain.execute(open(schema).read())
plain.close()
with store.writer() as con:
    con.execute("ATTACH '" + single.replace("'", "''") + "' AS single")
    con.execute("INSERT INTO single.main.meta SELECT * FROM meta")
    for t in ("centres", "ingest_batches", "calls", "call_interval_state"):
        con.execute(f"INSERT INTO single.main.{t} BY NAME SELECT * FROM {t}")
    # the rollup once, as the KPI layer reads it now (one row per key, as the old
    # call_intervals table held it: the bytes on disk compare one rollup with one)
    con.execute("CREATE TABLE single.main.call_interval_deltas AS "
                "SELECT * FROM call_interval_deltas")
with store.reader() as con:
    con.execute("DETACH single")
plain = duckdb.connect(single)
plain.execute("CHECKPOINT")
plain.close()
"""


def single_file_copy(lake: Path, single: Path) -> None:
    """The lake's tables in a plain DuckDB file, the previous design's layout (and the
    rollup's deltas table, which the KPI layer reads now)."""
    run(
        _SINGLE_FILE,
        str(lake),
        str(single),
        str(ROOT / "tests" / "data" / "single_file_schema_6.sql"),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,10000000", help="store sizes (calls)")
    parser.add_argument("--rows", type=int, default=5_000_000, help="narrow CSV for goal 3")
    parser.add_argument("--commits", type=int, default=1_000)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    results = []
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="cca-bench-store-") as scratch:
        scratch = Path(scratch)

        # 3. first load and re-load of a narrow CSV against DuckDB's bare CSV load
        csv = scratch / "narrow.csv"
        write_narrow_calls(csv, args.rows)
        os.sync()
        store = scratch / "load.duckdb"
        peer = []
        for _ in range(2):
            target = scratch / f"peer{len(peer)}.duckdb"
            seconds, cpu, peak_peer, _ = timed(_PEER, str(target), str(csv))
            peer.append(seconds)
            if len(peer) == 1:
                plain_bytes = target.stat().st_size
            target.unlink()
        peer_s = statistics.mean(peer)
        for label, limit in (("first load", FIRST_LOAD_RATIO), ("re-load", RELOAD_RATIO)):
            seconds, cpu, peak, out = timed(_INGEST, str(store), str(csv))
            print(f"ingest {label}: {seconds:.1f} s, peak {peak:.2f} GB\n{out}")
            results.append(
                (f"{label} of {args.rows:,} narrow calls", seconds / peer_s, limit,
                 f"{seconds:.1f} s vs bare read_csv {peer_s:.1f} s; peak {peak:.2f} GB "
                 f"(bare {peak_peer:.2f} GB)")
            )  # fmt: skip
        # 5. bytes on disk: the lake against the single file of the same calls
        single = scratch / "single.duckdb"
        single_file_copy(store, single)
        lake_b, single_b = lake_bytes(store), single.stat().st_size
        results.append(
            (f"bytes on disk, {args.rows:,} calls", lake_b / single_b, BYTES_RATIO,
             f"lake {lake_b / 1e6:.0f} MB vs single file {single_b / 1e6:.0f} MB "
             f"(bare CSV table {plain_bytes / 1e6:.0f} MB)")
        )  # fmt: skip
        # 4. KPI queries, lake against single file
        lake_t, single_t = (
            [float(x) for x in line.split()] for line in run(_KPI, str(store), str(single)).splitlines()
        )  # fmt: skip
        for name, a, b in zip(
            ("all", "by category", "by day", "by hour"), lake_t, single_t, strict=True
        ):
            results.append(
                (f"KPI query {name} ({args.rows:,} calls)", a / b, KPI_RATIO,
                 f"lake {a * 1e3:.0f} ms vs single file {b * 1e3:.0f} ms")
            )  # fmt: skip
        single.unlink()

        # 2. one-call commits, and a reader meanwhile
        alone = run(_READER, str(store), "5").split()
        reader = subprocess.Popen(
            [sys.executable, "-c", _READER, str(store), "20"], cwd=ROOT,
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        rate = float(run(_COMMITS, str(store), str(args.commits)))
        during = reader.communicate()[0].split()
        results.append(
            (f"{args.commits:,} one-call commits in a row (per s)", COMMITS_PER_S / rate, 1.0,
             f"{rate:.0f} commits/s (goal >= {COMMITS_PER_S})")
        )  # fmt: skip
        results.append(
            ("reader's KPI query during the commits (p95)", float(during[1]) / float(alone[1]),
             None, f"p95 {float(during[1]) * 1e3:.0f} ms, max {float(during[2]) * 1e3:.0f} ms vs "
             f"alone p95 {float(alone[1]) * 1e3:.0f} ms, max {float(alone[2]) * 1e3:.0f} ms")
        )  # fmt: skip

        # 1. a 100-call load into stores of each size
        small = {}
        for size in sizes:
            path = scratch / f"size{size}.duckdb"
            big = scratch / f"size{size}.csv"
            write_narrow_calls(big, size)
            run(_INGEST, str(path), str(big))
            big.unlink()
            folder = scratch / f"small{size}"
            small_csvs(folder, 15, 10**9)
            os.sync()  # the store's own writes reach the disk before the loads are timed
            median, lo, hi = (
                float(x) for x in run(_SMALL_LOADS, str(path), str(folder), "15").split()
            )
            small[size] = median
            results.append(
                (f"100-call load into {size:,} calls (s)", median / SMALL_LOAD_LIMIT_S, 1.0,
                 f"median {median * 1e3:.0f} ms (min {lo * 1e3:.0f}, max {hi * 1e3:.0f}) vs "
                 f"limit {SMALL_LOAD_LIMIT_S * 1e3:.0f} ms")
            )  # fmt: skip
        if len(sizes) > 1:
            a, b = small[sizes[0]], small[sizes[-1]]
            results.append(
                (f"100-call load, {sizes[-1]:,} vs {sizes[0]:,}", b / a, SMALL_LOAD_GROWTH,
                 f"{b * 1e3:.0f} ms vs {a * 1e3:.0f} ms")
            )  # fmt: skip
    print("load average at end:   {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print()
    for name, ratio, limit, detail in results:
        verdict = "" if limit is None else ("ok" if ratio <= limit else "OVER LIMIT")
        shown = f"ratio {ratio:.2f}" + (f" (limit {limit})" if limit is not None else "")
        print(f"{name:<52} {shown:<26} {verdict:<11} {detail}")


if __name__ == "__main__":
    main()
