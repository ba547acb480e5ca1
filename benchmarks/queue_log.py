"""Queue-log ingest speed: `cca ingest --format queue_log` against DuckDB's bare CSV read.

The peer is ``CREATE TABLE events AS SELECT * FROM read_csv(FILE, delim = '|')`` into a
fresh database file: DuckDB parsing and storing the same lines with no pairing, no
validation, no time zones, no caller hashing, no merge and no atomic swap. The limit
(issue 7) is that the whole queue_log ingest -- events paired into calls per queue visit
in SQL, agent sessions into staffing, validation, quarantine, merge and the atomic swap
of the store file -- takes at most 3 times as long.

The generated log (cached under ``benchmarks/.data/``) is a busy centre: a call every
second into one of three queues, 85% answered (a fifth of them after an agent let it
ring), 10% abandoned, 5% timing out into an overflow queue where they are answered, and
agents logging in, pausing and logging off.

    python benchmarks/queue_log.py                # 10 million lines (about 600 MB)
    python benchmarks/queue_log.py 1000000        # a quicker look
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / ".data"
LIMIT_RATIO = 3.0


def write_queue_log(path: Path, lines: int) -> None:
    """About ``lines`` queue_log lines, in time order, written by DuckDB."""
    import duckdb

    calls = int(lines / 3.17)
    con = duckdb.connect()
    con.execute("SET threads = 1")  # a parallel COPY would not keep the ORDER BY
    con.execute(
        f"""
        COPY (
          WITH c AS (
            SELECT i, 1725148800 + i AS t0,
                (1725148800 + i)::VARCHAR || '.' || i::VARCHAR AS uid,
                (['support', 'sales', 'permits'])[1 + (hash(i * 7) % 3)::INT] AS q,
                'PJSIP/agent' || (hash(i * 11) % 120)::VARCHAR AS agent,
                (hash(i * 13) % 40)::INT AS wait,
                (30 + hash(i * 17) % 400)::INT AS talk,
                hash(i) % 100 AS r
            FROM range({calls}) t(i)),
          ev AS (
            SELECT t0 AS e, 0 AS o, uid, q || '|NONE|ENTERQUEUE||+9665' ||
                   lpad((hash(i * 19) % 100000000)::VARCHAR, 8, '0') || '|1' AS rest FROM c
            UNION ALL
            SELECT t0 + 2, 1, uid, q || '|' || agent || '|RINGNOANSWER|2000'
            FROM c WHERE r < 17 AND wait > 3
            UNION ALL
            SELECT t0 + wait, 2, uid, q || '|' || agent || '|CONNECT|' || wait || '|x|1'
            FROM c WHERE r < 85
            UNION ALL
            SELECT t0 + wait + talk, 3, uid, q || '|' || agent || '|COMPLETECALLER|' || wait
                   || '|' || talk || '|1' FROM c WHERE r < 85
            UNION ALL
            SELECT t0 + wait, 3, uid, q || '|NONE|ABANDON|1|1|' || wait
            FROM c WHERE r >= 85 AND r < 95
            UNION ALL
            SELECT t0 + wait, 3, uid, q || '|NONE|EXITWITHTIMEOUT|1|1|' || wait
            FROM c WHERE r >= 95
            UNION ALL
            SELECT t0 + wait, 4, uid, 'overflow|NONE|ENTERQUEUE||+966500000000|1'
            FROM c WHERE r >= 95
            UNION ALL
            SELECT t0 + wait + 5, 5, uid, 'overflow|' || agent || '|CONNECT|5|x|1'
            FROM c WHERE r >= 95
            UNION ALL
            SELECT t0 + wait + 5 + talk, 6, uid, 'overflow|' || agent
                   || '|COMPLETEAGENT|5|' || talk || '|1' FROM c WHERE r >= 95
            UNION ALL
            -- each agent: on shift for 8 hours of every 12, a 15-minute break in between
            SELECT 1725148800 + s * 43200 + a * 60 + k.off, 7, 'NONE',
                   'support|PJSIP/agent' || a || '|' || k.ev || '|'
            FROM range(120) ag(a), range({calls} // 43200 + 1) sh(s),
                 (VALUES (0, 'ADDMEMBER'), (14400, 'PAUSE'), (15300, 'UNPAUSE'),
                         (28800, 'REMOVEMEMBER')) k(off, ev))
          SELECT e::VARCHAR || '|' || uid || '|' || rest AS line FROM ev ORDER BY e, o
        ) TO '{path}' (HEADER false, QUOTE '', ESCAPE '', DELIMITER '\x01')
        """
    )


def count_lines(path: Path) -> int:
    with open(path, "rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 24), b""))


def bare_read_s(path: Path, work: Path) -> float:
    import duckdb

    db = work / "bare.duckdb"
    started = time.perf_counter()
    con = duckdb.connect(str(db))
    con.execute(
        f"CREATE TABLE events AS SELECT * FROM read_csv('{path}', delim = '|', header = false, "
        "null_padding = true)"
    )
    con.execute("CHECKPOINT")
    con.close()
    return time.perf_counter() - started


def ingest_s(path: Path, work: Path) -> tuple[float, object]:
    from analytics.ingest import ingest_file
    from analytics.store import Store

    store = Store(work / "store.duckdb")
    store.initialise()
    started = time.perf_counter()
    result = ingest_file(store, "calls", path, "bench", input_format="queue_log")
    return time.perf_counter() - started, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lines", nargs="?", type=int, default=10_000_000)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"queue_log_{args.lines}.log"
    if not path.exists():
        print(f"writing {path} ...", file=sys.stderr)
        partial = path.with_suffix(".partial")
        write_queue_log(partial, args.lines)
        partial.rename(path)
    n = count_lines(path)
    with tempfile.TemporaryDirectory(dir=DATA) as tmp:
        work = Path(tmp)
        bare = bare_read_s(path, work)
        took, result = ingest_s(path, work)
    ratio = took / bare
    print(f"queue_log: {n:,} lines, {path.stat().st_size / 1e6:,.0f} MB")
    print(f"DuckDB bare read_csv into a table: {bare:8.2f} s")
    print(
        f"cca ingest --format queue_log:      {took:8.2f} s  "
        f"({result.loaded:,} calls, {result.filtered:,} open, {result.rejected:,} rejected)"
    )
    for note in result.notes:
        print(f"  {note}")
    for step, seconds in result.timings.items():
        print(f"  {step:<40} {seconds:8.2f} s")
    verdict = "OK" if ratio <= LIMIT_RATIO else "OVER THE LIMIT"
    print(f"ratio: {ratio:.2f} x the bare read (limit {LIMIT_RATIO:.1f}): {verdict}")
    return 0 if ratio <= LIMIT_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main())
