"""Background jobs of the planner: progress, cancel, one job per user, results that
survive the runner, and a simulation job that is exactly ``cca simulate``.

Real runs throughout: a real SQLite app-state file, real SimPy replications, the real
``cca`` command in a subprocess for the comparison.
"""

from __future__ import annotations

import json
import time

import pytest
from support.cli import run_cca_json
from support.planner import planner_scenario

from analytics.appstate import AppState
from simulation.operations.jobs import JobLimitError, JobRunner
from simulation.planning.whatif import add_agents, week_from_scenario, whatif_scenario


@pytest.fixture(scope="module")
def scenario():
    week = week_from_scenario(planner_scenario(days=7))
    return whatif_scenario(week, add_agents(week, week.agents, 1, 0, len(week.agents) - 1))


@pytest.fixture
def runner(tmp_path):
    r = JobRunner(AppState(tmp_path / "app.sqlite"), tmp_path / "jobs", max_jobs=2, workers=1)
    yield r
    r.shutdown()


def test_a_simulation_job_equals_cca_simulate_with_the_same_seed(runner, scenario, tmp_path):
    job = runner.submit(
        "planner1", "simulate", {"scenario": scenario, "replications": 3, "seed": 11}
    )
    status = runner.wait(job, timeout=120)
    assert status["state"] == "done", status["message"]
    assert (status["done"], status["total"], status["progress"]) == (3, 3, 1.0)
    result = runner.result(job)
    toml = tmp_path / "jobs" / job / "scenario.toml"
    cli = run_cca_json("simulate", "--scenario", str(toml), "--replications", "3", "--seed", "11")[
        0
    ]
    assert result["summary"] == cli
    # bands per interval: every open interval of the week, with its 95% CI
    intervals = result["intervals"]
    assert len(intervals) == 5 * 12
    first = intervals[0]
    assert first["interval_start"] == "2024-09-01T08:00:00+03:00"
    assert first["sl_offered_12_ci_low"] <= first["sl_offered_12"] <= first["sl_offered_12_ci_high"]
    assert sum(r["offered"] for r in intervals) == pytest.approx(cli["offered"])


def test_cancel_stops_the_job(runner, scenario):
    job = runner.submit("planner1", "simulate", {"scenario": scenario, "replications": 100})
    deadline = time.monotonic() + 60
    while runner.status(job)["done"] < 1:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert runner.cancel(job) is True
    status = runner.wait(job, timeout=30)
    assert status["state"] == "cancelled"
    stopped_at = status["done"]
    assert stopped_at < 100
    time.sleep(0.5)
    assert runner.status(job)["done"] == stopped_at  # nothing runs after the cancel
    assert runner.result(job) is None
    assert runner.cancel(job) is False  # already over


def test_one_running_job_per_user_and_a_server_wide_limit(tmp_path, scenario):
    runner = JobRunner(AppState(tmp_path / "app.sqlite"), tmp_path / "jobs", max_jobs=1, workers=1)
    try:
        long = runner.submit("ann", "simulate", {"scenario": scenario, "replications": 100})
        with pytest.raises(JobLimitError, match="ann already has job"):
            runner.submit("ann", "simulate", {"scenario": scenario, "replications": 2})
        # another user's job waits for the one slot
        other = runner.submit("bob", "simulate", {"scenario": scenario, "replications": 2})
        while runner.status(long)["state"] != "running":
            time.sleep(0.02)
        assert runner.status(other)["state"] == "queued"
        runner.cancel(long)
        assert runner.wait(other, timeout=120)["state"] == "done"
        # ann may submit again once her job is over
        again = runner.submit("ann", "simulate", {"scenario": scenario, "replications": 1})
        assert runner.wait(again, timeout=60)["state"] == "done"
    finally:
        runner.shutdown()


def test_jobs_and_results_survive_a_new_runner(tmp_path, scenario):
    state = AppState(tmp_path / "app.sqlite")
    first = JobRunner(state, tmp_path / "jobs", workers=1)
    job = first.submit("ann", "simulate", {"scenario": scenario, "replications": 2, "seed": 5})
    first.wait(job, timeout=60)
    result = first.result(job)
    first.shutdown()
    # a job a stopped server left running is marked failed, not left running forever
    with state.connect() as con:
        con.execute(
            "INSERT INTO jobs (job_id, username, kind, state, created_at) "
            "VALUES ('stale', 'bob', 'simulate', 'running', '2026-01-01T00:00:00+00:00')"
        )
    second = JobRunner(state, tmp_path / "jobs", workers=1)
    try:
        assert second.result(job) == result
        assert [j["job_id"] for j in second.jobs("ann")] == [job]
        stale = second.status("stale")
        assert stale["state"] == "failed" and "stopped" in stale["message"]
        with pytest.raises(KeyError):
            second.status("nope")
    finally:
        second.shutdown()


def test_find_staffing_names_the_intervals_that_cannot_meet_the_target(runner, scenario):
    job = runner.submit(
        "planner2",
        "find_staffing",
        {
            "scenario": scenario,
            "targets": ["sl_offered_12>=0.8"],
            "max_agents": 3,
            "replications": 2,
        },
    )
    status = runner.wait(job, timeout=300)
    assert status["state"] == "done", status["message"]
    result = runner.result(job)
    assert result["unmet"], "three agents cannot answer 80% of the peak within 12 s"
    peak = {u["interval_start"] for u in result["unmet"]}
    assert "2024-09-01T09:00:00+03:00" in peak
    assert all(u["missed"] for u in result["unmet"])
    assert max(result["agents"]) <= 3
    assert len(result["agents"]) == 7 * 48
    assert "per_interval" in result["scenario_toml"]


def test_bad_jobs_are_refused_at_the_door(runner, scenario):
    with pytest.raises(ValueError, match="kind must be one of"):
        runner.submit("ann", "forecast", {"scenario": scenario})
    with pytest.raises(ValueError, match="scenario_toml"):
        runner.submit("ann", "simulate", {})
    with pytest.raises(ValueError, match="not valid TOML"):
        runner.submit("ann", "simulate", {"scenario_toml": "name = "})


@pytest.mark.slow
def test_jobs_on_the_worker_pool_give_the_same_numbers(tmp_path, scenario):
    """The server's path: replications on the runner's forkserver pool of 2 workers."""
    from simulation.queue.replications import run_replications
    from simulation.queue.scenario_file import load_scenario

    runner = JobRunner(AppState(tmp_path / "app.sqlite"), tmp_path / "jobs", workers=2)
    try:
        runner.warm_up()
        job = runner.submit("ann", "simulate", {"scenario": scenario, "replications": 2, "seed": 4})
        assert runner.wait(job, timeout=300)["state"] == "done"
        in_process = run_replications(
            load_scenario(tmp_path / "jobs" / job / "scenario.toml"),
            2,
            4,
            workers=1,
            progress=False,
            keep_records=False,
        )
        assert runner.result(job)["summary"] == json.loads(json.dumps(in_process.summary))
    finally:
        runner.shutdown()
