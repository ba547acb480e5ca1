"""`cca demo`: the seed centres built when missing, the KPI summary printed, nothing twice.

A new user's first command. It must generate a year of bahrain_lmra ending with the
September the seed published and three months of saudi_mol, say where the dashboards
are and how to log in, and print each centre's KPIs by caller category; run again, it
finds both centres and generates nothing.
"""

from __future__ import annotations

import datetime as dt

import pytest
from support.cli import run_cca, start_cca

from cca.commands.demo import demo_plan


def test_demo_plan_ends_bahrain_with_the_latest_september_and_saudi_with_last_month():
    plan = demo_plan(dt.date(2026, 11, 23))
    assert plan["bahrain_lmra"] == ((2025, 9), 13, (2026, 9))
    assert plan["saudi_mol"] == ((2026, 8), 3, (2026, 10))
    early = demo_plan(dt.date(2027, 2, 1))
    assert early["bahrain_lmra"] == ((2025, 9), 13, (2026, 9))
    assert early["saudi_mol"] == ((2026, 11), 3, (2027, 1))


@pytest.mark.slow
def test_demo_builds_both_centres_once_and_prints_their_kpis(tmp_path):
    db = tmp_path / "demo.duckdb"
    first = run_cca("demo", "--no-serve", db=db)
    assert "bahrain_lmra: generating 13 months" in first.stderr
    assert "saudi_mol: generating 3 months" in first.stderr
    # Where the dashboards are (or, until they exist, that they are not there yet).
    assert "http://127.0.0.1:8050/" in first.stdout and "Dashboards:" in first.stdout
    seed = dt.date.today().year if dt.date.today().month > 9 else dt.date.today().year - 1
    lines = [line.split() for line in first.stdout.splitlines()]
    bahrain_all = next(w for w in lines if w[:2] == ["bahrain_lmra", f"{seed}-09"] and "all" in w)
    offered = int(bahrain_all[bahrain_all.index("all") + 1].replace(",", ""))
    assert offered == pytest.approx(11_000, rel=0.03)
    assert any(w and w[0] == "saudi_mol" and "employer" in w for w in lines)

    again = run_cca("demo", "--no-serve", db=db)
    assert "generating" not in again.stderr
    assert "bahrain_lmra: already in" in again.stderr

    # One demo user per role, printed with the same password each time, that can log in.
    from analytics.appstate import AppState
    from dashboards.auth import authenticate

    def accounts(stdout):
        tail = stdout.split("Demo users", 1)[1].splitlines()[1:]
        return {w[0]: (w[1], w[2]) for w in (line.split() for line in tail) if len(w) == 3}

    printed = accounts(first.stdout)
    assert set(printed) == {"admin", "manager", "planner", "executive", "wallboard"}
    assert accounts(again.stdout) == printed
    password, role = printed["manager"]
    user, why = authenticate(AppState.beside(db), "manager", password)
    assert why == "ok" and user.role == role == "manager"


def test_demo_serves_the_dashboards_on_the_port_it_prints(tmp_path, generated_months):
    """`make demo` ends by serving: the log-in form answers, pages ask for a log-in."""
    import os
    import signal
    import socket
    import subprocess
    import time
    import urllib.error
    import urllib.request

    from cca.commands.generate import generate

    db = tmp_path / "demo.duckdb"
    # the demo's centres, one month each, so that the demo has nothing to generate
    store = generated_months.copy(db, "bahrain_lmra", "2026-09")
    generate(store, "saudi_mol", "2026-11", 1, 0, quiet=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = start_cca(
        "demo",
        "--port",
        str(port),
        db=db,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # the planner's worker processes share the pipes: stop all
    )
    try:
        deadline = time.monotonic() + 120
        status = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as r:
                    status = r.status
                    body = r.read().decode()
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        assert status == 200 and 'name="username"' in body, (
            proc.stderr.read() if proc.poll() else ""
        )
        opener = urllib.request.build_opener(urllib.request.HTTPErrorProcessor())
        try:
            opener.open(f"http://127.0.0.1:{port}/_dash-layout", timeout=5)
            raise AssertionError("an anonymous client read the layout")
        except urllib.error.HTTPError as exc:
            assert exc.code == 401
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    assert f"http://127.0.0.1:{port}/" in out and "Demo users" in out
