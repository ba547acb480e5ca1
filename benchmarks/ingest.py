"""Ingest speed: a nightly load against DuckDB's own bare CSV load of the same file.

The peer is ``CREATE TABLE calls AS SELECT * FROM read_csv(FILE)`` into a fresh database
file: DuckDB parsing and storing the file with no validation, no time-zone handling,
no caller hashing, no deduplication and no transaction. The limit (issue 2) is that
``cca ingest`` -- validation, dedup and all -- takes at most 2.5 times as long, for a
first load and for re-loading the same file (every row then a duplicate), with a peak
memory of at most 4 GB. Each step runs in its own process so that its peak resident
memory can be read from the kernel.

Two shapes of file (issue 15): ``wide``, every canonical column (10 million calls,
about 1.7 GB of CSV), and ``narrow``, the six columns a switch export often has
(``call_id, arrived_at, outcome, wait_s, talk_s, category``; 5 million calls). The
goal is the same for both; the aim is 1.5x.

    python benchmarks/ingest.py                              # both shapes
    python benchmarks/ingest.py --shape narrow               # 5 million narrow calls
    python benchmarks/ingest.py --shape wide --rows 1000000  # a quicker look
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT_RATIO = 2.5
AIM_RATIO = 1.5
LIMIT_PEAK_GB = 4.0


def write_canonical_calls(path: Path, rows: int) -> None:
    """A canonical call log: one call every 3.1 s, 10% abandoned, 1% timed out."""
    import duckdb

    con = duckdb.connect()
    con.execute(
        f"""
        COPY (
          SELECT 'C' || lpad(i::VARCHAR, 10, '0') AS call_id,
            strftime(arrived, '%Y-%m-%d %H:%M:%S') AS arrived_at,
            outcome,
            wait AS wait_s,
            CASE WHEN outcome = 'answered'
                 THEN strftime(arrived + to_seconds(wait), '%Y-%m-%d %H:%M:%S') END AS answered_at,
            strftime(arrived + to_seconds(wait + COALESCE(talk, 0)), '%Y-%m-%d %H:%M:%S')
                AS ended_at,
            talk AS talk_s,
            CASE WHEN outcome = 'answered' THEN (hash(i * 13) % 30)::INT END AS hold_s,
            CASE WHEN outcome = 'answered' THEN (hash(i * 17) % 60)::INT END AS acw_s,
            (['employer', 'employer', 'employer', 'employer', 'worker', 'other'])
                [1 + (hash(i * 19) % 6)::INT] AS category,
            (['work_permit', 'e_services', 'transfer', 'fees', 'inspection'])
                [1 + (hash(i * 23) % 5)::INT] AS topic,
            'main' AS queue, 'riyadh' AS site, 'phone' AS channel,
            'A' || (hash(i * 29) % 300)::VARCHAR AS agent_id,
            '9665' || lpad((hash(i * 31) % 100000000)::VARCHAR, 8, '0') AS caller_id
          FROM (
            SELECT i,
              TIMESTAMP '2024-01-01 07:00:00' + to_seconds((i * 3.1)::BIGINT) AS arrived,
              CASE WHEN hash(i) % 10 = 0 THEN 'abandoned'
                   WHEN hash(i) % 97 = 0 THEN 'timeout' ELSE 'answered' END AS outcome,
              (hash(i * 7) % 120)::INT AS wait,
              CASE WHEN hash(i) % 10 <> 0 AND hash(i) % 97 <> 0
                   THEN 60 + (hash(i * 11) % 400)::INT END AS talk
            FROM range({int(rows)}) t(i))
        ) TO '{path}' (HEADER, DELIMITER ',')
        """
    )
    con.close()


NARROW_COLUMNS = ("call_id", "arrived_at", "outcome", "wait_s", "talk_s", "category")


def write_narrow_calls(path: Path, rows: int) -> None:
    """The same calls with only the six columns a switch export often has: ``call_id,
    arrived_at, outcome, wait_s, talk_s, category``."""
    import duckdb

    wide = path.with_name(path.stem + "-wide.csv")
    write_canonical_calls(wide, rows)
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT {', '.join(NARROW_COLUMNS)} FROM read_csv('{wide}', all_varchar = true)) "
        f"TO '{path}' (HEADER, DELIMITER ',')"
    )
    con.close()
    wide.unlink()


_PEER = """
import duckdb, sys
con = duckdb.connect(sys.argv[1])
con.execute("CREATE TABLE calls AS SELECT * FROM read_csv(?)", [sys.argv[2]])
con.close()
"""

_INGEST = """
import sys
from analytics.ingest import ingest_file
from analytics.store import Store
r = ingest_file(Store(sys.argv[1]), "calls", sys.argv[2], "bench", timezone="Asia/Riyadh")
print(r.read, r.loaded, r.updated, r.duplicate, r.rejected)
for step, seconds in r.timings.items():
    print(f"    {step:<34} {seconds:6.1f} s")
"""


def timed(code: str, *args: str) -> tuple[float, float, float, str]:
    """Run ``code`` in a fresh interpreter: (wall seconds, CPU seconds, peak RSS in GB,
    stdout). CPU time (user + system) is steadier than wall time on a shared machine."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    out = proc.stdout.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"benchmark step failed (status {status}): {code}")
    cpu = usage.ru_utime + usage.ru_stime
    return elapsed, cpu, usage.ru_maxrss / 1024**2, out.strip()


def measure(scratch: Path, shape: str, rows: int) -> list[tuple]:
    """Generate one file, then time the first load and the re-load against the peer."""
    csv = scratch / f"calls-{shape}.csv"
    t = time.perf_counter()
    (write_canonical_calls if shape == "wide" else write_narrow_calls)(csv, rows)
    size_gb = csv.stat().st_size / 1e9
    # The new file's pages are written out before anything is timed: otherwise the
    # kernel flushes them during the first peer run and the first load, and both look
    # slower than they are (a 5M narrow peer run took 7.9 s there, 4.0 s afterwards).
    os.sync()
    print(
        f"[{shape}] generated {rows:,} calls, {size_gb:.2f} GB, in {time.perf_counter() - t:.1f} s"
    )
    # The machine may be shared: each ingest is held against the peer runs just
    # before and just after it, so that both see the same background load.
    store = scratch / f"store-{shape}.duckdb"
    peers = []

    def peer() -> float:
        target = scratch / f"peer{len(peers)}.duckdb"
        seconds, cpu, peak, _ = timed(_PEER, str(target), str(csv))
        target.unlink()
        peers.append((seconds, cpu))
        print(
            f"peer  CREATE TABLE AS read_csv    {seconds:7.1f} s   CPU {cpu:6.1f} s   "
            f"peak {peak:.2f} GB"
        )
        return seconds, cpu

    steps = []
    for label in ("first load", "re-load"):
        before = peers[-1] if peers else peer()
        seconds, cpu, peak, out = timed(_INGEST, str(store), str(csv))
        print(f"ingest {label:<25} {seconds:7.1f} s   CPU {cpu:6.1f} s   peak {peak:.2f} GB")
        print("\n".join(out.splitlines()[1:]))
        after = peer()
        peer_s, peer_cpu = ((b + a) / 2 for b, a in zip(before, after, strict=True))
        steps.append((shape, label, seconds, cpu, peak, out.splitlines()[0], peer_s, peer_cpu))
    data = store.with_name(store.name + ".data")  # the lake's Parquet files
    size = store.stat().st_size + sum(p.stat().st_size for p in data.rglob("*") if p.is_file())
    print(f"[{shape}] store (catalogue and data files) {size / 1e9:.2f} GB")
    csv.unlink()
    store.unlink()
    shutil.rmtree(data, ignore_errors=True)
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", choices=("wide", "narrow", "both"), default="both")
    parser.add_argument(
        "--rows", type=int, default=None, help="calls (default: wide 10M, narrow 5M)"
    )
    parser.add_argument("--dir", type=Path, default=None, help="scratch directory")
    args = parser.parse_args()

    shapes = ("wide", "narrow") if args.shape == "both" else (args.shape,)
    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    steps = []
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="cca-bench-") as scratch:
        for shape in shapes:
            rows = args.rows or (10_000_000 if shape == "wide" else 5_000_000)
            steps += measure(Path(scratch), shape, rows)
    print("load average at end:   {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print()
    for shape, label, seconds, cpu, peak, counts, peer_s, peer_cpu in steps:
        ratio = seconds / peer_s
        verdict = "ok" if ratio <= LIMIT_RATIO and peak <= LIMIT_PEAK_GB else "OVER LIMIT"
        print(
            f"{shape:<6} {label:<10}: ingest {seconds:6.1f} s / peer {peer_s:6.1f} s = ratio "
            f"{ratio:.2f} (limit {LIMIT_RATIO}, aim {AIM_RATIO}); CPU {cpu:.1f} s / "
            f"{peer_cpu:.1f} s = {cpu / peer_cpu:.2f}; peak {peak:.2f} GB "
            f"(limit {LIMIT_PEAK_GB}): {verdict}   [read loaded updated duplicate rejected: "
            f"{counts}]"
        )


if __name__ == "__main__":
    main()
