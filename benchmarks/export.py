"""How long does a year of executive exports take for a Bahrain-sized centre? (limit 60 s)

Builds (once, cached under benchmarks/.data/) a store for ``bahrain_lmra`` with two
years (2023 and 2024, so every month has a year before) of synthetic history at the
seed article's volumes: about 11,000 calls a month (employer 80%, worker 15%, other 5%,
topics per category, answered 90%, abandoned 9%, timeout 1%), 4,400 e-support tickets a
month on a Sunday–Thursday calendar, and half-hourly staffing. Then it runs the real
command, as a user would, for each edition:

    cca export --centre bahrain_lmra --all-months --year 2024 --out .../lmra.xlsx|.pdf|.csv

and prints the wall time of each and its ratio to the 60 s limit of the issue (a ratio
below 1 meets it). Usage:

    .venv/bin/python benchmarks/export.py [--lang ar] [--year 2024|1445H]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analytics.call_log import save_centre  # noqa: E402
from analytics.centres import Centre  # noqa: E402
from analytics.store import Store  # noqa: E402

LIMIT_S = 60.0
CALLS_PER_DAY = 11_000 * 12 // 366
TICKETS_PER_DAY = 4_400 * 12 // 366
CENTRE = Centre(
    "bahrain_lmra",
    name="LMRA call centre (synthetic)",
    timezone="Asia/Bahrain",
    short_abandon_s=30.0,
    opening_hours={d: ((("07:00", "19:00"),) if d in (7, 1, 2, 3, 4) else ()) for d in range(1, 8)},
    weekend=(5, 6),
    holiday_country="BH",
)


def build_store() -> Store:
    path = ROOT / "benchmarks" / ".data" / "export_bahrain_2y.duckdb"
    store = Store(path)
    if path.exists():
        return store
    print(f"building {path} ...", file=sys.stderr)
    days = 731  # 2023-01-01 .. 2024-12-31
    with store.writer() as con:
        save_centre(con, CENTRE)
        con.execute("SELECT setseed(0.2024)")
        con.execute(
            """
            INSERT INTO calls (centre_id, call_id, arrived_at, outcome, wait_s, talk_s, hold_s,
                               acw_s, category, topic, channel)
            SELECT 'bahrain_lmra', 'c' || i, arrived_at, outcome,
                   CASE WHEN outcome = 'answered' THEN -12 * ln(1 - random())
                        ELSE -25 * ln(1 - random()) END,
                   CASE WHEN outcome = 'answered' THEN 60 + -150 * ln(1 - random()) END,
                   CASE WHEN outcome = 'answered' THEN 10 END,
                   CASE WHEN outcome = 'answered' THEN 30 END,
                   category,
                   CASE category
                       WHEN 'employer' THEN (['work-permit follow-up', 'e-services support',
                                              'worker transfer', 'fee invoices', 'inspection',
                                              'other'])[1 + CAST(floor(random() * 6) AS INTEGER)]
                       WHEN 'worker' THEN (['work-permit status', 'transfer to another employer',
                                            'absconding report'])[1 + CAST(floor(random() * 3) AS INTEGER)]
                       ELSE 'general' END,
                   'phone'
            FROM (
                SELECT i,
                       TIMESTAMPTZ '2023-01-01 07:00:00+03:00' + to_days(CAST(i // ? AS INTEGER))
                           + to_microseconds(CAST(random() * 43200e6 AS BIGINT)) AS arrived_at,
                       CASE WHEN r < 0.90 THEN 'answered' WHEN r < 0.99 THEN 'abandoned'
                            ELSE 'timeout' END AS outcome,
                       CASE WHEN c < 0.80 THEN 'employer' WHEN c < 0.95 THEN 'worker'
                            ELSE 'other' END AS category
                FROM (SELECT i, random() AS r, random() AS c FROM range(?) t(i))
            )
            """,
            [CALLS_PER_DAY, CALLS_PER_DAY * days],
        )
        con.execute(
            """
            INSERT INTO tickets (centre_id, ticket_id, created_at, first_response_at, resolved_at,
                                 status, category, channel)
            SELECT 'bahrain_lmra', 't' || i, created_at,
                   created_at + to_microseconds(CAST(-4 * 3600e6 * ln(1 - random()) AS BIGINT)),
                   CASE WHEN random() < 0.97
                        THEN created_at + to_microseconds(CAST(-40 * 3600e6 * ln(1 - random()) AS BIGINT))
                   END,
                   'web', CASE WHEN random() < 0.8 THEN 'employer' ELSE 'worker' END, 'web'
            FROM (
                SELECT i, TIMESTAMPTZ '2023-01-01 00:00:00+03:00' + to_days(CAST(i // ? AS INTEGER))
                          + to_microseconds(CAST(random() * 86400e6 AS BIGINT)) AS created_at
                FROM range(?) t(i)
            )
            """,
            [TICKETS_PER_DAY, TICKETS_PER_DAY * days],
        )
        con.execute(
            """
            INSERT INTO staffing (centre_id, interval_start, interval_s, agents_scheduled,
                                  agents_available)
            SELECT 'bahrain_lmra', TIMESTAMPTZ '2023-01-01 07:00:00+03:00' + to_days(CAST(d AS INTEGER))
                       + to_minutes(CAST(30 * h AS INTEGER)), 1800, 14, 12
            FROM range(?) a(d), range(24) b(h)
            """,
            [days],
        )
    return store


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", choices=("en", "ar"), default="en")
    parser.add_argument("--year", default="2024")
    args = parser.parse_args()
    store = build_store()
    with store.reader() as con:
        calls = con.execute(
            "SELECT count(*) FROM calls WHERE centre_id = 'bahrain_lmra'"
        ).fetchone()[0]
    print(f"store: {calls:,} calls over 2023-2024 (about {CALLS_PER_DAY * 30:,} a month)")
    worst = 0.0
    with tempfile.TemporaryDirectory() as out:
        for suffix in ("csv", "xlsx", "pdf"):
            cmd = [
                sys.executable,
                "-m",
                "cca",
                "--db",
                str(store.path),
                "export",
                "--centre",
                "bahrain_lmra",
                "--all-months",
                "--year",
                args.year,
                "--lang",
                args.lang,
                "--out",
                str(Path(out) / f"lmra.{suffix}"),
            ]
            start = time.perf_counter()
            done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
            seconds = time.perf_counter() - start
            if done.returncode != 0:
                print(done.stderr, file=sys.stderr)
                return 1
            files = len(done.stdout.split())
            ratio = seconds / LIMIT_S
            worst = max(worst, ratio)
            print(
                f"cca export --all-months --year {args.year} --lang {args.lang} .{suffix}: "
                f"{files} files in {seconds:.1f} s; ratio to the {LIMIT_S:.0f} s limit "
                f"{ratio:.2f} ({'meets' if ratio <= 1 else 'MISSES'} it)"
            )
    return 0 if worst <= 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
