"""The project installs the ordinary way and runs anywhere (docs/architecture.md, "Packaging").

Scenario packs, mapping presets and samples are package data (the repository's ``data/``
installed as ``cca_data``): a wheel built from this tree, installed into a fresh virtual
environment (no editable install, no source tree on the path), generates a seed month
from its scenario pack, loads a sample through a mapping preset named by its name, and
reports KPIs, from a directory that is not the repository. Dependencies are borrowed
from the project's environment (a path entry, so its editable-install hook stays off)
rather than downloaded again.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _configured_packages() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return set(config["tool"]["setuptools"]["packages"])


def test_every_package_of_the_tree_is_in_the_wheel():
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("analytics", "simulation", "dashboards", "cca")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert found - _configured_packages() == set(), "add them to pyproject.toml's packages"
    assert "cca_data" in _configured_packages()


def test_packs_presets_and_samples_are_read_as_package_data():
    from analytics.mapping import load_mapping
    from analytics.packaged import packaged_dir, packaged_names
    from simulation.queue.scenario_file import SCENARIO_DIR, load_scenario

    assert packaged_dir("scenarios") == SCENARIO_DIR
    assert {"bahrain_lmra", "saudi_mol", "example_small"} <= set(packaged_names("scenarios"))
    assert load_scenario("example_small").centre_id
    assert load_mapping("zendesk").kind == "tickets"
    assert (packaged_dir("samples") / "zendesk_tickets_2024-09.csv").is_file()
    assert "bahrain_lmra" in packaged_names("alerts")
    with pytest.raises(Exception, match="presets: anonymous_bank, freshdesk"):
        load_mapping("no_such_preset")


@pytest.mark.slow
def test_a_wheel_installed_elsewhere_generates_loads_and_reports(tmp_path):
    # Built from a copy of the tree (as a clean clone would be), so the build leaves
    # nothing in the working tree.
    source = tmp_path / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis",
            "*.duckdb*", ".data", "*.sqlite*", "notebooks", "img",
        ),
    )  # fmt: skip
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(source)],
        check=True, capture_output=True, cwd=tmp_path,
    )  # fmt: skip
    (wheel,) = wheels.glob("contact_centre_analytics-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
         "--no-index", str(wheel)],
        check=True, capture_output=True,
    )  # fmt: skip
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    # The project's dependencies, as a plain path entry after the fresh venv's own.
    (Path(site) / "borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"])
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("CCA_DB", "PYTHONPATH")}

    def cca(*args: str) -> str:
        proc = subprocess.run(
            [str(venv / "bin" / "cca"), *args], cwd=work, env=env, capture_output=True, text=True
        )
        assert proc.returncode == 0, f"cca {' '.join(args)}: {proc.stderr}"
        return proc.stdout

    where = subprocess.run(
        [python, "-c", "import analytics, cca_data; print(analytics.__file__, cca_data.__file__)"],
        cwd=work, env=env, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    assert str(ROOT) not in where and where.count(site) == 2
    assert (Path(site) / "dashboards" / "assets" / "fonts.css").is_file()
    assert list((Path(site) / "dashboards" / "assets" / "fonts").glob("*.ttf"))
    assert (Path(site) / "cca_data" / "alerts" / "bahrain_lmra.toml").is_file()
    cca("generate", "--scenario", "bahrain_lmra", "--start", "2026-09", "--months", "1")
    assert (work / "data" / "contact_centre.duckdb").is_file()  # the default, under the cwd
    sample = Path(site) / "cca_data" / "samples" / "zendesk_tickets_2024-09.csv"
    cca("ingest", "tickets", str(sample), "--centre", "help_desk", "--mapping", "zendesk")
    (row,) = json.loads(
        cca("kpi", "calls", "--centre", "bahrain_lmra", "--period", "2026-09", "--format", "json")
    )
    assert 10_000 < row["offered"] < 12_000
