"""The real ``cca`` command in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_cca(*args: str, db: Path | None = None, check: bool = True, **kwargs):
    """Run the real `cca` command in a subprocess; returns CompletedProcess."""
    cmd = [sys.executable, "-m", "cca"]
    if db is not None:
        cmd += ["--db", str(db)]
    cmd += list(args)
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, **kwargs)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"cca {' '.join(args)} exited {proc.returncode}\nstdout:\n{proc.stdout}\n"
            f"stderr:\n{proc.stderr}"
        )
    return proc


def run_cca_json(*args: str, db: Path | None = None):
    """Run `cca ... --format json` and parse standard output (which must be only JSON)."""
    return json.loads(run_cca(*args, "--format", "json", db=db).stdout)
