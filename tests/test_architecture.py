"""The architecture's rules that a type checker cannot see (docs/architecture.md).

* Calls are written through one path, ``analytics.call_log``, which keeps the quarter-hour
  rollup in step: no other module of the project writes the ``calls`` table, and a
  change through it leaves no stale rollup row (deleted calls, corrected calls, a centre
  whose thresholds change). The layering itself is import-linter's job (``make lint``).
* No module over 800 lines and no function over 120 without a reason written next to it
  (a ``# long:`` comment at the top of the module, or just above the ``def``).
* A service-level threshold is named by one function everywhere: ``cca erlang`` and
  ``cca kpi`` name ``--thresholds 12.3456789`` the same, and a staffing target written
  ``sl_offered_12.3456789`` or ``sl_offered_12.34567890`` is the same simulated KPI.
"""

from __future__ import annotations

import ast
import datetime as dt
import os
import re
from pathlib import Path

import pytest
from support.cli import run_cca_json
from support.kpi import add_calls
from support.staffing import PEAK, scenario_with

from analytics.call_log import changing_calls, save_centre
from analytics.centres import Centre, get_centre
from analytics.kpi import call_kpis, rollup, threshold_label
from simulation.formulas.erlang import parse_target
from simulation.planning.staffing import staffing_plan

ROOT = Path(__file__).resolve().parents[1]
CALL_WRITE = re.compile(r"\b(INSERT\s+INTO|DELETE\s+FROM|UPDATE)\s+calls\b", re.IGNORECASE)
CENTRE = Centre("alpha", timezone="Asia/Riyadh", short_abandon_s=30)


def test_no_module_but_the_call_log_writes_calls():
    writers = [
        str(path.relative_to(ROOT))
        for package in ("analytics", "simulation", "cca", "dashboards")
        for path in sorted((ROOT / package).rglob("*.py"))
        if CALL_WRITE.search(path.read_text(encoding="utf-8"))
    ]
    assert writers == ["analytics/call_log.py"]


def test_long_modules_and_functions_say_why():
    unexplained = []
    for package in ("analytics", "simulation", "cca", "dashboards"):
        for path in sorted((ROOT / package).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            lines = text.splitlines()
            name = str(path.relative_to(ROOT))
            if len(lines) > 800 and not any(x.startswith("# long:") for x in lines[:60]):
                unexplained.append(f"{name}: {len(lines)} lines")
            for node in ast.walk(ast.parse(text)):
                if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                length = node.end_lineno - node.lineno + 1
                first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
                above = lines[max(0, first - 6) : first - 1]
                if length > 120 and not any(x.strip().startswith("# long:") for x in above):
                    unexplained.append(f"{name}:{node.lineno} {node.name}: {length} lines")
    assert not unexplained, unexplained


def test_every_doc_the_code_cites_exists():
    cited = set()
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [d for d in subfolders if not d.startswith(".") and d != "build"]
        for name in files:
            path = Path(folder, name)
            if path.suffix in (".py", ".md", ".toml", ".ipynb", ".sql"):
                text = path.read_text(encoding="utf-8")
                cited |= set(re.findall(r"\bdocs/[a-z_]+\.md", text))
                # design notes outside the repository are not something a reader can open
                assert "DESIGN" + ".md" not in text, f"{path}: cite the docs/ that hold it"
    assert cited and {c for c in cited if not (ROOT / c).is_file()} == set()


def _calls() -> list[dict]:
    return [
        dict(arrived_at="2024-09-01 08:00", outcome="answered", wait_s=10, category="a"),
        dict(arrived_at="2024-09-01 08:20", outcome="answered", wait_s=25, category="a"),
        dict(arrived_at="2024-09-01 09:40", outcome="abandoned", wait_s=8, category="b"),
        dict(arrived_at="2024-09-02 10:05", outcome="answered", wait_s=40, category="b"),
    ]


def test_deleting_and_inserting_through_the_call_log_keeps_the_rollup_in_step(store):
    add_calls(store, CENTRE, _calls())
    with store.writer() as con, changing_calls(con, "alpha") as calls:
        assert calls.delete("call_id IN (?, ?)", ["c1", "c2"]) == 2
        assert (
            calls.insert(
                ["centre_id", "call_id", "arrived_at", "outcome", "wait_s", "batch_id"],
                "SELECT ?, 'late', ?::TIMESTAMPTZ, 'answered', 3, 7",
                ["alpha", dt.datetime(2024, 9, 3, 6, 0, tzinfo=dt.UTC)],
                batch_id=7,
            )
            == 1
        )
    with store.reader() as con:
        assert rollup.stale_rows(con, get_centre(con, "alpha")) == 0
        row = call_kpis(con, get_centre(con, "alpha"), period=None)[0]
        scanned = call_kpis(con, get_centre(con, "alpha"), period=None, use_rollup=False)[0]
    assert (row["offered"], row["answered"]) == (3, 3)
    assert row == scanned


def test_saving_other_thresholds_rebuilds_the_rollup(store):
    add_calls(store, CENTRE, _calls())
    with store.writer() as con:
        save_centre(con, CENTRE.with_overrides((20.0,), 5.0))
    with store.reader() as con:
        centre = get_centre(con, "alpha")
        assert centre.sl_thresholds_s == (20.0,)
        assert rollup.stale_rows(con, centre) == 0
        assert rollup.within_columns(con, centre, (), (20.0,), 5.0) is not None


def test_a_threshold_has_one_name_in_every_command(store):
    add_calls(store, CENTRE, _calls())
    (erlang,) = [
        run_cca_json("erlang", "a", "--calls", "100", "--per", "1800", "--aht", "180",
                     "--patience", "120", "--agents", "12", "--thresholds", "12.3456789")
    ]  # fmt: skip
    (kpi,) = run_cca_json("kpi", "calls", "--centre", "alpha", "--period", "2024-09",
                          "--thresholds", "12.3456789", db=store.path)  # fmt: skip
    sl_names = {k for k in erlang if k.startswith("sl_")}
    assert sl_names == {
        "sl_answered_12.3456789",
        "sl_offered_12.3456789",
        "sl_excl_short_12.3456789",
        "sl_with_abandons_12.3456789",
    }
    assert sl_names <= set(kpi)
    assert threshold_label(12.0) == "12" and threshold_label(7.5) == "7.5"
    assert parse_target("sl_offered_12.34567890>=0.8").key == "sl_offered_12.3456789"


@pytest.mark.slow
def test_a_staffing_target_is_checked_by_simulation_however_its_threshold_is_written():
    scenario = scenario_with(PEAK)
    plans = [
        staffing_plan(scenario, [target], replications=2, seed=3, max_replications=2)
        for target in ("sl_offered_12.3456789>=0.8", "sl_offered_12.34567890>=0.8")
    ]
    assert plans[0].sim_kpis == plans[1].sim_kpis
    assert "sl_offered_12.3456789" in plans[0].sim_kpis
    assert [p.agents for p in plans[0].intervals] == [p.agents for p in plans[1].intervals]
