"""Replications: the same seed gives the same numbers whatever runs them.

In-process, a process pool of one or two workers, a Dask LocalCluster, and a real
``dask scheduler`` + ``dask worker`` started on 127.0.0.1: each replication's seed comes
from ``SeedSequence(seed).spawn``, so the records and KPIs must be identical.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
from support.cli import run_cca, run_cca_json

from simulation.queue.replications import replication_seeds, run_replications
from simulation.queue.scenario import Scenario

SCENARIO = Scenario.stationary(60, 1800, 200, 100, 7, days=1)  # as `cca simulate` builds it


@pytest.fixture(scope="module")
def reference():
    return run_replications(SCENARIO, 4, seed=99, workers=1)


def same(a, b) -> None:
    pd.testing.assert_frame_equal(a.records, b.records)
    assert a.replication_kpis == b.replication_kpis
    assert a.summary == b.summary


def test_seeds_are_spawned_independently_of_the_executor():
    assert replication_seeds(7, 3) == replication_seeds(7, 5)[:3]
    assert len(set(replication_seeds(7, 50))) == 50


def test_process_pools_of_one_and_two_workers_give_the_same_numbers(reference):
    for n in (1, 2):
        with ProcessPoolExecutor(max_workers=n) as pool:
            same(run_replications(SCENARIO, 4, seed=99, executor=pool), reference)


def test_results_carry_per_replication_kpis_and_confidence_intervals(reference):
    assert [r["replication"] for r in reference.replication_kpis] == [0, 1, 2, 3]
    assert sorted(reference.records["replication"].unique()) == [0, 1, 2, 3]
    s = reference.summary
    assert s["replications"] == 4
    for name in reference.kpi_names:
        if s[name] is not None and s[f"{name}_ci_low"] is not None:
            assert s[f"{name}_ci_low"] <= s[name] <= s[f"{name}_ci_high"]
    for name in reference.kpi_names:  # intervals stay inside each KPI's range
        if s[f"{name}_ci_low"] is not None:
            assert s[f"{name}_ci_low"] >= 0
            if name.startswith("sl_") or "rate" in name:
                assert s[f"{name}_ci_high"] <= 1
    per_half_hour = reference.kpis(interval="30min")
    assert len(per_half_hour) == 48
    assert sum(r["offered"] for r in per_half_hour) == pytest.approx(s["offered"])
    assert all(r["replications"] == 4 for r in per_half_hour)


def test_a_dask_local_cluster_gives_the_same_numbers(reference):
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=False,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        same(run_replications(SCENARIO, 4, seed=99, executor=client.get_executor()), reference)
        same(run_replications(SCENARIO, 4, seed=99, scheduler=cluster.scheduler_address), reference)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_a_dask_scheduler_and_worker_started_by_hand_give_the_same_numbers(reference, capsys):
    """`dask scheduler` and `dask worker` as an operator would start them; the address
    reaches the simulation through DASK_SCHEDULER_ADDRESS and through --scheduler."""
    bin_dir = Path(sys.executable).parent
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = []
    try:
        procs.append(
            subprocess.Popen(
                [
                    bin_dir / "dask",
                    "scheduler",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--dashboard-address",
                    ":0",
                    "--no-show",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        procs.append(
            subprocess.Popen(
                [
                    bin_dir / "dask",
                    "worker",
                    address,
                    "--nworkers",
                    "1",
                    "--nthreads",
                    "2",
                    "--no-nanny",
                    "--host",
                    "127.0.0.1",
                    "--no-dashboard",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(1, timeout=60)
        env_before = os.environ.get("DASK_SCHEDULER_ADDRESS")
        os.environ["DASK_SCHEDULER_ADDRESS"] = address
        try:
            same(run_replications(SCENARIO, 4, seed=99), reference)
        finally:
            if env_before is None:
                del os.environ["DASK_SCHEDULER_ADDRESS"]
            else:
                os.environ["DASK_SCHEDULER_ADDRESS"] = env_before
        status, out, _ = cca_in_process(
            capsys, "simulate", "--calls", "60", "--per", "1800", "--aht", "200",
            "--patience", "100", "--agents", "7", "--replications", "4", "--seed", "99",
            "--scheduler", address, "--format", "json",
        )  # fmt: skip
        assert status == 0
        via_cli = json.loads(out)[0]
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
    assert via_cli == json.loads(json.dumps(reference.summary))


def test_cca_simulate_quick_form_prints_means_with_confidence_intervals():
    rows = run_cca_json(
        "simulate",
        "--calls",
        "100",
        "--per",
        "1800",
        "--aht",
        "180",
        "--patience",
        "120",
        "--agents",
        "11",
        "--replications",
        "3",
        "--thresholds",
        "10,20",
        "--short-abandon-s",
        "8",
    )
    assert len(rows) == 1
    row = rows[0]
    assert row["replications"] == 3
    for name in ("offered", "sl_offered_10", "sl_offered_20", "abandon_rate", "asa_s"):
        assert row[f"{name}_ci_low"] <= row[name] <= row[f"{name}_ci_high"]
    assert "sl_offered_12" not in row


def cca_in_process(capsys, *args: str) -> tuple[int, str, str]:
    """Run `cca` in this process (the subprocess form is tested above): (status, out, err)."""
    from cca.cli import main

    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_cca_simulate_a_named_scenario_with_a_staffing_file(tmp_path, capsys):
    staffing = tmp_path / "staff.csv"
    lines = ["weekday,time,agents"] + [
        f"{d},{h:02d}:{m:02d},1"
        for d in ("sun", "mon", "tue", "wed", "thu")
        for h in range(8, 16)
        for m in (0, 30)
    ]
    staffing.write_text("\n".join(lines) + "\n")
    common = ("simulate", "--scenario", "example_small", "--replications", "2", "--days", "2")
    _, out, _ = cca_in_process(capsys, *common, "--format", "json")
    generous = json.loads(out)[0]
    _, out, _ = cca_in_process(capsys, *common, "--staffing", str(staffing), "--format", "json")
    starved = json.loads(out)[0]
    assert starved["offered"] == generous["offered"]  # same seed, same callers
    assert starved["abandon_rate"] > generous["abandon_rate"] + 0.2
    status, table, _ = cca_in_process(capsys, *common)
    assert status == 0 and "sl_offered_12" in table and "ci_high" in table


def test_cca_simulate_reports_user_errors_without_a_traceback(tmp_path, capsys):
    status, _, err = cca_in_process(capsys, "simulate", "--scenario", "atlantis")
    assert status == 2 and "atlantis" in err
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\n')
    status, _, err = cca_in_process(capsys, "simulate", "--scenario", str(bad))
    assert status == 2 and f"{bad}: categories: missing" in err
    status, _, err = cca_in_process(capsys, "simulate", "--calls", "10")
    assert status == 2 and "--agents" in err
    missing = run_cca("simulate", "--scenario", "atlantis", check=False)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
