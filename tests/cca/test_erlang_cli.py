"""`cca erlang c|a` as a planner runs it: KPIs for given agents, or staffing to a target."""

from __future__ import annotations

import pytest
from support.cli import run_cca, run_cca_json

WORKED = ("--calls", "100", "--per", "1800", "--aht", "180")


def _json(*args: str) -> dict:
    return run_cca_json("erlang", *args)


def test_erlang_c_json_is_one_object_with_the_design_keys():
    row = _json("c", *WORKED, "--agents", "11", "--thresholds", "20")
    assert isinstance(row, dict)
    assert list(row) == [
        "agents",
        "p_wait",
        "occupancy",
        "asa_s",
        "p_abandon",
        "sl_answered_20",
        "sl_offered_20",
        "sl_excl_short_20",
        "sl_with_abandons_20",
        "answer_rate",
        "abandon_rate",
        "answer_rate_excl_short",
    ]
    assert row["p_wait"] == pytest.approx(0.6821182, abs=5e-8)
    assert row["sl_offered_20"] == pytest.approx(0.3896138, abs=5e-8)
    assert row["asa_s"] == pytest.approx(122.78, abs=5e-3)
    assert row["p_abandon"] == 0


def test_target_staffs_80_20_with_14_agents_and_20_heads():
    row = _json("c", *WORKED, "--target", "sl_offered_20>=0.8", "--shrinkage", "0.3")
    assert row["agents"] == 14
    assert row["headcount"] == 20
    assert row["sl_offered_20"] == pytest.approx(0.88835, abs=5e-6)
    assert "sl_offered_12" in row and "sl_offered_30" in row  # default thresholds kept


def test_erlang_a_with_comma_separated_and_repeated_targets_and_caps():
    row = _json(
        "a",
        "--calls", "200", "--per", "1800", "--aht", "180", "--patience", "120",
        "--target", "sl_offered_12>=0.8,asa_s<=15",
        "--target", "sl_answered_30>=0.9",
        "--max-abandon", "0.03", "--max-occupancy", "0.9",
    )  # fmt: skip
    assert row["sl_offered_12"] >= 0.8 and row["asa_s"] <= 15 and row["sl_answered_30"] >= 0.9
    assert row["p_abandon"] <= 0.03 and row["occupancy"] <= 0.9
    assert row["answer_rate"] + row["abandon_rate"] == pytest.approx(1, abs=1e-12)
    fewer = _json(
        "a", "--calls", "200", "--per", "1800", "--aht", "180", "--patience", "120",
        "--agents", str(row["agents"] - 1),
    )  # fmt: skip
    assert (
        fewer["sl_offered_12"] < 0.8
        or fewer["asa_s"] > 15
        or fewer["p_abandon"] > 0.03
        or fewer["occupancy"] > 0.9
    )


def test_short_abandon_threshold_changes_only_the_excl_short_figures():
    base = ("a", *WORKED, "--patience", "60", "--agents", "10")
    five = _json(*base)
    thirty = _json(*base, "--short-abandon-s", "30")
    assert thirty["sl_offered_12"] == five["sl_offered_12"]
    assert thirty["sl_excl_short_12"] > five["sl_excl_short_12"]
    assert thirty["answer_rate_excl_short"] > five["answer_rate_excl_short"]


def test_table_output_reads_as_name_value_lines():
    out = run_cca("erlang", "c", *WORKED, "--agents", "14", "--thresholds", "20").stdout
    assert "sl_offered_20" in out and "0.8884" in out
    assert out.splitlines()[0].split() == ["agents", "14"]


def test_unstable_erlang_c_prints_null_waits():
    row = _json("c", *WORKED, "--agents", "10")
    assert row["p_wait"] == 1.0 and row["asa_s"] is None and row["sl_offered_12"] == 0.0


def test_unreachable_target_names_the_reason():
    proc = run_cca(
        "erlang", "c", *WORKED, "--target", "sl_offered_20>=0.8", "--max-occupancy", "0.1",
        "--max-agents", "50", check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "occupancy<=0.1" in proc.stderr and "50 agents" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("a", *WORKED, "--agents", "10"), "--patience"),
        (("c", *WORKED, "--patience", "60", "--agents", "10"), "Erlang A"),
        (("c", *WORKED, "--target", "service>=0.8"), "unknown target KPI"),
        (("c", *WORKED, "--agents", "12", "--shrinkage", "1.2"), "--shrinkage"),
        (("c", *WORKED, "--agents", "12", "--max-abandon", "0.1"), "--target"),
        (("c", "--calls", "100", "--per", "1800", "--aht", "0", "--agents", "5"), "aht_s"),
    ],
)
def test_user_errors_are_explained_without_traceback(args, message):
    proc = run_cca("erlang", *args, check=False)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
