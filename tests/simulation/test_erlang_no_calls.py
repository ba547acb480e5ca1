"""An interval with no calls: every per-call share has a zero denominator (0 offered,
0 answered), so docs/kpis.md makes it null, never a made-up 1.0 or 0 seconds; occupancy is
carried load over agents, 0 / n = 0."""

from support.cli import run_cca_json

from simulation.formulas.erlang import erlang_a_metrics, erlang_c_metrics


def test_no_calls_gives_null_shares_and_waits_and_zero_occupancy():
    for row in (
        erlang_c_metrics(0, 1800, 180, 3, thresholds_s=(12, 30)),
        erlang_a_metrics(0, 1800, 180, 60, 3, thresholds_s=(12, 30)),
    ):
        assert row["agents"] == 3 and row["occupancy"] == 0.0
        for name, value in row.items():
            if name not in ("agents", "occupancy"):
                assert value is None, name


def test_cca_erlang_with_no_calls_prints_nulls():
    row = run_cca_json("erlang", "c", "--calls", "0", "--per", "1800", "--aht", "180",
                       "--agents", "0")  # fmt: skip
    assert row["agents"] == 0 and row["answer_rate"] is None and row["sl_offered_12"] is None
    assert row["asa_s"] is None and row["occupancy"] is None
