"""Several hosts on one store: a real PostgreSQL 15 catalogue and a shared data path.

The suite starts its own PostgreSQL (Debian's ``postgresql`` package; ``make test``
installs it): ``initdb`` and ``pg_ctl`` in a temporary directory, as an unprivileged user
when the tests run as root, on a free localhost port. Two "hosts" are two working
directories with nothing in common but the catalogue's URL and the data path: host A
loads calls with the real ``cca`` while host B serves the dashboards, and B's page shows
A's load without a restart. No mocks.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from support.app import PASSWORDS, ServedApp, login, make_app
from support.cli import ROOT
from support.kpi import random_calls, write_calls_csv

from analytics.centres import get_centre
from analytics.exports.i18n import format_value
from analytics.kpi import call_kpis, rollup
from analytics.periods import parse_period
from analytics.store import Store


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name) or ""]
    if not found[-1]:
        raise RuntimeError(
            f"PostgreSQL's {name} is missing: apt-get install postgresql (make test does)"
        )
    return found[-1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_server(tmp_path_factory):
    """A PostgreSQL server of this test module: its URL without a database."""
    # a directory the unprivileged user reaches (pytest's own are private to root)
    root = Path(tempfile.mkdtemp(prefix="cca-postgres-"))
    os.chmod(root, 0o755)
    data = root / "cluster"
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        as_user = ["runuser", "-u", "nobody", "--"]
    data.mkdir(mode=0o700)
    if as_user:
        shutil.chown(data, "nobody")
    port = _free_port()
    env = {**os.environ, "LC_ALL": "C.UTF-8"}
    run = dict(check=True, capture_output=True, text=True, env=env, timeout=120)
    done = subprocess.run(
        [*as_user, _bin("initdb"), "-D", str(data), "-A", "trust", "-U", "cca"],
        **{**run, "check": False},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    subprocess.run(
        [*as_user, _bin("pg_ctl"), "-D", str(data), "-l", str(data / "log"), "-w", "-o",
         f"-p {port} -k {data} -c listen_addresses=127.0.0.1", "start"], **run,
    )  # fmt: skip
    try:
        yield f"postgresql://cca@127.0.0.1:{port}"
    finally:
        subprocess.run(
            [*as_user, _bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True, env=env, timeout=120,
        )  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres(postgres_server):
    """A catalogue database of its own for each test (a catalogue remembers its data
    path's files: a second test's data path would not hold the first one's), detached
    from this process before the server stops."""
    name = f"lake_{next(_DATABASES)}"
    port = postgres_server.rsplit(":", 1)[1]
    subprocess.run(
        [_bin("createdb"), "-h", "127.0.0.1", "-p", port, "-U", "cca", name],
        check=True, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    yield f"{postgres_server}/{name}"


_DATABASES = itertools.count(1)


def september_calls(n: int) -> list[dict]:
    """n calls in September 2026 (the dashboards' month), Bahrain time."""
    import random

    rng = random.Random(5)
    return [
        {
            "call_id": f"s{i}",
            "arrived_at": f"2026-09-{1 + i % 30:02d}T{8 + i % 9:02d}:{i % 60:02d}:00+03:00",
            "outcome": "answered" if i % 7 else "abandoned",
            "wait_s": rng.randrange(60),
        }
        for i in range(n)
    ]


def _cca(host: Path, url: str, shared: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CCA_DB": url, "CCA_DATA_PATH": str(shared)}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run(
        [sys.executable, "-m", "cca", *args], cwd=host, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    return proc


def test_one_host_loads_while_another_serves_the_dashboards_and_sees_the_load(
    postgres, tmp_path, browser
):
    shared = tmp_path / "shared-data"  # a shared directory (NFS, or object storage)
    shared.mkdir()
    host_a, host_b = tmp_path / "host-a", tmp_path / "host-b"
    host_a.mkdir()
    host_b.mkdir()
    september = tmp_path / "september.csv"
    rows = september_calls(3_000)
    first, later = rows[:2_000], rows[2_000:]
    write_calls_csv(host_a / "first.csv", first)
    write_calls_csv(september, later)
    _cca(host_a, postgres, shared, "ingest", "calls", "first.csv", "--centre", "bahrain_lmra",
         "--timezone", "Asia/Bahrain")  # fmt: skip

    # host B: its own working directory and app state, the same catalogue and data path
    os.environ["CCA_DATA_PATH"] = str(shared)
    try:
        store_b = Store(postgres)
        served = ServedApp(
            make_app(store_b, host_b, today=__import__("datetime").date(2026, 9, 30))
        )
        page = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
        page.set_default_timeout(60_000)
        login(page, served.url, "manager")
        url = served.url + "/?centre=bahrain_lmra&period=2026-09"

        def offered_shown() -> str:
            page.goto(url)
            page.wait_for_selector("#overview-period [data-kpi='offered']")
            return page.locator("#overview-period [data-kpi='offered']").inner_text()

        def offered_stored() -> int:
            with store_b.reader() as con:
                centre = get_centre(con, "bahrain_lmra")
                return call_kpis(con, centre, period=parse_period("2026-09"))[0]["offered"]

        assert offered_shown() == format_value("offered", 2_000, "en")
        # host A loads more while B keeps serving (no restart of B)
        _cca(host_a, postgres, shared, "ingest", "calls", str(september), "--centre",
             "bahrain_lmra")  # fmt: skip
        assert offered_stored() == 3_000
        assert offered_shown() == format_value("offered", 3_000, "en")
        with store_b.reader() as con:
            assert rollup.stale_rows(con, get_centre(con, "bahrain_lmra")) == 0
        served.close()
    finally:
        store_b.close()  # detached before the server stops (the process's DuckDB lives on)
        os.environ.pop("CCA_DATA_PATH", None)
    # every file is in the shared data path: nothing of the store in either host
    assert list(shared.rglob("*.parquet"))
    assert not list(host_a.rglob("*.parquet")) and not list(host_b.rglob("*.parquet"))
    assert PASSWORDS  # (the users live in host B's app state only)


def test_two_writers_on_postgres_commit_at_once(postgres, tmp_path):
    """Two processes load different centres at the same moment: both publish, with
    distinct batch ids claimed through the catalogue."""
    shared = tmp_path / "shared"
    shared.mkdir()
    files = []
    for i, centre in enumerate(("a", "b")):
        f = tmp_path / f"{centre}.csv"
        write_calls_csv(f, random_calls(30 + i, "UTC", 20_000))
        files.append((centre, f))
    env = {**os.environ, "CCA_DB": postgres, "CCA_DATA_PATH": str(shared)}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cca",
                "ingest",
                "calls",
                str(f),
                "--centre",
                f"pg_{c}",
                "--timezone",
                "UTC",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for c, f in files
    ]
    started = time.monotonic()
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
    assert time.monotonic() - started < 600
    os.environ["CCA_DATA_PATH"] = str(shared)
    try:
        store = Store(postgres)
        with store.reader() as con:
            counts = dict(
                con.execute(
                    "SELECT centre_id, count(*) FROM calls WHERE centre_id LIKE 'pg_%' GROUP BY 1"
                ).fetchall()
            )
            batches = [r[0] for r in con.execute("SELECT batch_id FROM ingest_batches").fetchall()]
        store.close()
    finally:
        os.environ.pop("CCA_DATA_PATH", None)
    assert counts == {"pg_a": 20_000, "pg_b": 20_000}
    assert len(batches) == len(set(batches))
