"""The real ``cca`` command in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def cca_command(*args: str, db: Path | None = None) -> list[str]:
    """The command line of the real `cca` (this Python's), on store ``db`` if given."""
    return [sys.executable, "-m", "cca", *(["--db", str(db)] if db is not None else []), *args]


def run_cca(*args: str, db: Path | None = None, check: bool = True, **kwargs):
    """Run the real `cca` command in a subprocess; returns CompletedProcess."""
    proc = subprocess.run(
        cca_command(*args, db=db), capture_output=True, text=True, cwd=ROOT, **kwargs
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"cca {' '.join(args)} exited {proc.returncode}\nstdout:\n{proc.stdout}\n"
            f"stderr:\n{proc.stderr}"
        )
    return proc


def start_cca(*args: str, db: Path | None = None, **popen) -> subprocess.Popen:
    """Start the real `cca` command in a subprocess and return it running (``popen``:
    its pipes and the like); the caller stops it."""
    return subprocess.Popen(cca_command(*args, db=db), cwd=ROOT, **popen)


def run_cca_json(*args: str, db: Path | None = None):
    """Run `cca ... --format json` and parse standard output (which must be only JSON)."""
    return json.loads(run_cca(*args, "--format", "json", db=db).stdout)


def cca_refuses(*args: str, says: str, db: Path | None = None, **kwargs):
    """Run `cca ...` expecting a user error: exit status 2, ``says`` in standard error and
    no traceback. Returns the CompletedProcess for further checks."""
    proc = run_cca(*args, db=db, check=False, **kwargs)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert says in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def generated_store(directory: Path, scenario: str, start: str) -> Path:
    """A store in ``directory`` holding the month ``start`` (YYYY-MM) of a scenario pack
    (a name or a TOML file), written by the real ``cca generate``."""
    db = directory / "history.duckdb"
    run_cca("generate", "--scenario", scenario, "--start", start, db=db)
    return db


def generated_month(scenario: str, start: str, scope: str = "module"):
    """A fixture: the path of a store holding ``scenario``'s month ``start``, a copy per
    ``scope`` of the month this test process generated once (conftest's
    ``generated_months``). Use as ``bahrain = generated_month("bahrain_lmra",
    "2026-09")`` at a test module's top level."""

    @pytest.fixture(scope=scope)
    def month(tmp_path_factory, generated_months) -> Path:
        dest = tmp_path_factory.mktemp(scenario) / "history.duckdb"
        return generated_months.copy(dest, scenario, start).path

    return month
