"""A saved roster as today's agents: ``cca roster --format csv`` or ``json``, or the
planner's roster CSV, read into agents on duty per interval of a day (its shifts less
their breaks), for ``build_plan(..., staffing="roster")`` (``simulation.intraday.day``).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.centres import Centre

ROSTER_COLUMNS = ("shift", "start", "break_start", "end", "agents")


def roster_agents(path, centre: Centre, day: dt.date, interval_s: int) -> np.ndarray | None:
    """Agents on duty per interval of ``day`` (from local midnight) from a saved roster:
    ``cca roster --format csv`` or ``--format json`` (``{"shifts": [...]}``), or the
    planner's roster CSV — a row per shift group with ``shift`` (its template, e.g.
    ``8h:1h-break``, which gives the break's length), ``start``, ``break_start``, ``end``
    (local times or with an offset) and ``agents``; an agent counts for the part of an
    interval on shift and not on break. None when the file is not a roster (a staffing
    CSV: ``weekday,time,agents`` or ``interval_start,agents``); ``ValueError`` naming the
    file, row and value when a roster's row is wrong."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ValueError(f"--roster {path}: {exc.strerror or exc}") from None
    if path.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        try:
            rows = json.loads(text).get("shifts")
        except (json.JSONDecodeError, AttributeError):
            rows = None
        if not isinstance(rows, list):
            raise ValueError(
                f"--roster {path}: not a roster (`cca roster --format json`: an object with "
                '"shifts")'
            )
        first_line = 1
    else:
        reader = csv.DictReader(text.splitlines())
        if not {"shift", "start", "end", "agents"} <= set(reader.fieldnames or ()):
            return None
        rows = list(reader)
        first_line = 2
    midnight = pd.Timestamp(dt.datetime.combine(day, dt.time(0), tzinfo=centre.tz))
    n = 86400 // interval_s
    edges = np.arange(n + 1) * float(interval_s)
    agents = np.zeros(n)

    def instant(value, row, column):
        try:
            t = pd.Timestamp(value)
        except (TypeError, ValueError):
            t = pd.NaT
        if t is pd.NaT:
            raise ValueError(
                f"--roster {path}: row {row}, column {column}: {value!r} is not a time like "
                "2026-09-15T08:00"
            ) from None
        t = t.tz_localize(centre.tz) if t.tzinfo is None else t.tz_convert(centre.tz)
        return (t - midnight).total_seconds()

    def covered(a: float, b: float) -> np.ndarray:
        return np.clip(np.minimum(edges[1:], b) - np.maximum(edges[:-1], a), 0, None) / interval_s

    for k, r in enumerate(rows, start=first_line):
        try:
            count = float(r["agents"])
        except (ValueError, TypeError, KeyError):
            raise ValueError(
                f"--roster {path}: row {k}, column agents: {r.get('agents')!r} is not a number"
            ) from None
        start, end = instant(r["start"], k, "start"), instant(r["end"], k, "end")
        if end <= start:
            raise ValueError(
                f"--roster {path}: row {k}: the shift ends ({r['end']}) before it starts"
            )
        on = covered(start, end)
        brk = r.get("break_start")
        if brk not in (None, ""):
            # the shift's template names its break: "8h:1h-break" (cca roster's words)
            spec = str(r["shift"]).partition(":")[2].strip()
            try:
                if not spec.endswith("-break"):
                    raise ValueError
                break_s = pd.Timedelta(spec[: -len("-break")]).total_seconds()
            except ValueError:
                raise ValueError(
                    f"--roster {path}: row {k}, column shift: {r['shift']!r} does not say "
                    "its break's length (like 8h:1h-break) though the row has a break_start"
                ) from None
            b = instant(brk, k, "break_start")
            on = on - covered(b, b + break_s)
        agents += count * on
    return agents
