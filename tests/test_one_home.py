"""One home each (issue 21 item 7): HH:MM, JSON values, Hijri dates, call outcomes; no
module imports another module's private helper."""

from __future__ import annotations

import ast
import datetime as dt
import math
import subprocess
from pathlib import Path

import numpy as np
import pytest

from analytics.clock import hhmm, is_hhmm, seconds_of_day
from analytics.jsonable import jsonable
from analytics.periods import hijri_date
from analytics.records import OUTCOMES, OUTCOMES_SQL

ROOT = Path(__file__).resolve().parents[1]


def test_hhmm_both_ways():
    assert seconds_of_day("08:30", "x") == 30_600 and seconds_of_day("24:00", "x") == 86_400
    assert hhmm(30_600) == "08:30" and hhmm(86_400) == "24:00"
    assert not is_hhmm("24:30") and not is_hhmm("8:30") and not is_hhmm(830)
    with pytest.raises(ValueError, match=r"shifts\.start: '25:00' is not a time HH:MM"):
        seconds_of_day("25:00", "shifts.start")


def test_jsonable():
    value = {"a": np.float64(math.nan), 1: [dt.date(2026, 9, 1), np.int64(3), math.inf]}
    assert jsonable(value) == {"a": None, "1": ["2026-09-01", 3, None]}


def test_hijri_date():
    assert hijri_date(dt.date(2025, 3, 1)) == (1446, 9, 1)  # 1 Ramadan 1446
    assert hijri_date(dt.date(1800, 1, 1)) is None  # outside Umm al-Qura's table


def test_outcomes():
    assert OUTCOMES == ("answered", "abandoned", "timeout")
    assert OUTCOMES_SQL == "('answered', 'abandoned', 'timeout')"


def test_no_module_imports_another_modules_private_helper():
    files = subprocess.check_output(["git", "ls-files", "*.py"], cwd=ROOT, text=True).split()
    found = []
    for name in files:
        if name.startswith("tests/"):
            continue
        for node in ast.walk(ast.parse((ROOT / name).read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                if node.module.split(".")[0] not in (
                    "analytics",
                    "simulation",
                    "dashboards",
                    "cca",
                ):
                    continue
                found += [
                    f"{name}:{node.lineno} {a.name}"
                    for a in node.names
                    if a.name.startswith("_") and not a.name.startswith("__")
                ]
    assert found == []
