"""How long `cca demo`'s history takes: a year of bahrain_lmra and three months of saudi_mol.

The limit (issue 5) is 3 minutes on 2 cores for both, generated and stored (calls through
the SimPy model, tickets, staffing, the validated ingest). Prints each centre's time, the
calls per second, and the total against the limit.

    python benchmarks/generate.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

LIMIT_S = 180.0


def main() -> int:
    from analytics.store import Store
    from simulation.synthetic.history import generate_history, write_history
    from simulation.synthetic.pack import load_pack

    total = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.duckdb")
        for name, start, months in (("bahrain_lmra", (2025, 10), 12), ("saudi_mol", (2026, 8), 3)):
            t0 = time.perf_counter()
            pack = load_pack(name)
            history = generate_history(pack, start, months, seed=0)
            t1 = time.perf_counter()
            summary = write_history(store, pack, history)
            t2 = time.perf_counter()
            total += t2 - t0
            print(
                f"{name}: {months} months, {summary.calls:,} calls, {summary.tickets:,} tickets: "
                f"simulate {t1 - t0:.1f} s ({summary.calls / (t1 - t0):,.0f} calls/s), "
                f"store {t2 - t1:.1f} s"
            )
    print(f"total {total:.1f} s; limit {LIMIT_S:.0f} s; ratio to the limit {total / LIMIT_S:.2f}")
    return 0 if total <= LIMIT_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
