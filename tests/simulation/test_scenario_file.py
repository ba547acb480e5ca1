"""Scenario files written by ``scenario_toml`` (``cca calibrate --out``, the planner's
download) read back as the same scenario, keep short arrays on one line, and keep what a
person wrote into them when a tool reads and writes them again (tomlkit)."""

from __future__ import annotations

import tomllib

import tomlkit

from simulation.queue.scenario_file import SCENARIO_DIR, load_scenario, scenario_toml


def _example() -> dict:
    return tomllib.loads((SCENARIO_DIR / "example_small.toml").read_text(encoding="utf-8"))


def test_a_written_scenario_reads_back_as_the_same_data_and_scenario(tmp_path):
    data = _example()
    data["staffing"] = {"per_interval": [3] * (48 * data["days"])}
    text = scenario_toml(data)
    assert tomllib.loads(text) == data
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    assert load_scenario(path) == load_scenario("example_small").with_changes(
        staffing=load_scenario(path).staffing
    )
    lines = text.splitlines()
    assert "thresholds_s = [12, 30]" in lines  # short arrays stay on one line
    assert "per_interval = [" in lines  # a long one is wrapped, twelve numbers a line
    assert "    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3," in lines


def test_a_comment_a_person_added_survives_a_read_and_write(tmp_path):
    path = tmp_path / "calibrated.toml"
    text = scenario_toml(_example())
    text = text.replace("days = 7\n", "days = 7  # one week: the pilot's\n", 1)
    text = "# Reviewed by the planning team, 6 December.\n" + text
    path.write_text(text, encoding="utf-8")

    doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    assert tomlkit.dumps(doc) == text  # unchanged when nothing changes
    doc["days"] = 14
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")

    written = path.read_text(encoding="utf-8")
    assert written.startswith("# Reviewed by the planning team, 6 December.\n")
    assert "days = 14  # one week: the pilot's\n" in written
    assert load_scenario(path).days == 14
