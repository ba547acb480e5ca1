"""Where a cold dashboard callback goes: every statement it runs, timed, with the
catalogue queries DuckLake made for it.

The callbacks of ``benchmarks/dashboards.py`` on the same cached store, each once after a
warm-up, cold (after another process's commit of the calls and the rollup,
``OtherProcess``, as in that benchmark). For each: its time and the process's CPU time
(all its threads: less moved by other processes on a shared machine), its statements (the connection's ``execute``
wrapped), and per statement its time and how many catalogue queries DuckLake made for it
(``SET sqlite_debug_show_queries = true`` prints each to the process's stderr, which is
read here from a file): a scan of a lake table costs 30-40 of them. The statements are
listed slowest first with ``-v``.

    .venv/bin/python benchmarks/dashboards_statements.py [N] [-v]
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analytics import snapshot_cache  # noqa: E402
from analytics.store import Store  # noqa: E402
from benchmarks.support.app import bench_app, log_in  # noqa: E402

# benchmarks/dashboards.py by another name (its own would shadow the dashboards package)
sys.path.append(str(ROOT / "benchmarks"))
_spec = importlib.util.spec_from_file_location(
    "dashboards_benchmark", ROOT / "benchmarks" / "dashboards.py"
)
dashboards_benchmark = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dashboards_benchmark)
kpi_benchmark = sys.modules["kpi"]


class Timed:
    """A reader's connection whose statements are timed, with the catalogue queries each
    made (counted in ``queries``, the file DuckLake's debug output goes to)."""

    def __init__(self, con, log: list, queries):
        self._con, self._log, self._queries = con, log, queries
        # the snapshot cache knows transactions by their connection: this one is it too
        snapshot_cache._OPEN[id(self)] = snapshot_cache._OPEN.get(id(con))

    def _run(self, how, sql, *args, **kwargs):
        before = _lines(self._queries)
        started = time.perf_counter()
        result = getattr(self._con, how)(sql, *args, **kwargs)
        elapsed = time.perf_counter() - started
        text = " ".join(str(sql).split())
        self._log.append((elapsed, _lines(self._queries) - before, text))
        return self if result is self._con else result

    def execute(self, sql, *args, **kwargs):
        return self._run("execute", sql, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._con, name)


def _lines(path: Path) -> int:
    """Catalogue queries printed so far (one per non-empty line that is not a ROLLBACK)."""
    with open(path, "rb") as f:
        return sum(1 for line in f if line.strip() and not line.startswith(b"ROLLBACK"))


def main() -> None:
    n = int(next((a for a in sys.argv[1:] if not a.startswith("-")), 10_000_000))
    verbose = "-v" in sys.argv
    tmp = tempfile.TemporaryDirectory()
    store = dashboards_benchmark.copied_store(kpi_benchmark.build_store(n), Path(tmp.name))
    other = dashboards_benchmark.OtherProcess(store)
    queries = Path(tempfile.mkstemp(suffix=".log")[1])
    log: list = []
    plain_reader = Store.reader

    @contextlib.contextmanager
    def reader(self, *args, **kwargs):
        with plain_reader(self, *args, **kwargs) as con:
            con.execute("SET sqlite_debug_show_queries = true")
            timed = Timed(con, log, queries)
            try:
                yield timed
            finally:
                snapshot_cache._OPEN.pop(id(timed), None)

    Store.reader = reader
    with tmp:
        app = bench_app(store, Path(tmp.name))
        client = app.server.test_client()
        csrf = log_in(client)
        saved = os.dup(2)
        print(f"store: {n:,} calls; load average {os.getloadavg()[0]:.1f}")
        for name, body in dashboards_benchmark.cases():
            for _warm_up in (True, False):
                other.commit()
                log.clear()
                with open(queries, "w") as f:
                    os.dup2(f.fileno(), 2)
                try:
                    started, cpu = time.perf_counter(), time.process_time()
                    response = client.post(
                        "/_dash-update-component", json=body, headers={"X-CSRFToken": csrf}
                    )
                    elapsed = time.perf_counter() - started
                    cpu = time.process_time() - cpu
                finally:
                    os.dup2(saved, 2)
                if response.status_code != 200:
                    raise SystemExit(f"{name}: HTTP {response.status_code}")
            in_sql = sum(t for t, _, _ in log)
            scans = sum(q for _, q, _ in log)
            print(
                f"{name:<34} {elapsed * 1000:6.0f} ms (CPU {cpu * 1000:5.0f} ms): {len(log):3d} "
                f"statements {in_sql * 1000:6.0f} ms, {scans:4d} catalogue queries"
            )
            if verbose:
                for t, q, text in sorted(log, reverse=True):
                    print(f"    {t * 1000:7.1f} ms {q:4d}  {text[:150]}")


if __name__ == "__main__":
    main()
