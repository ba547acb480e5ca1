"""Scenario files: the TOML a scenario is read from and written to.

A scenario file is checked at the door: its shape (keys and types) by one pydantic model,
what its values mean by the scenario's dataclasses; a bad file fails with a ``ValueError``
naming the file, the field (as a dotted path) and the value. ``scenario_toml`` writes the same shape
back (``cca calibrate --out``, the planner's download) with tomlkit, so a file a person has
annotated keeps its comments when it is read and written again.

The TOML format (every duration in seconds; weekdays ``mon`` … ``sun``)::

    name = "example_small"
    centre_id = "example"
    timezone = "Asia/Riyadh"
    start = 2024-09-01          # first simulated local day
    days = 7
    interval_s = 1800
    thresholds_s = [12, 30]
    short_abandon_s = 5
    closed_dates = [2024-09-23]
    targets = ["sl_offered_12>=0.8", "abandon_rate<=0.05"]

    [opening_hours]             # omitted: open around the clock
    sun = ["08:00-20:00"]
    thu = ["08:00-14:00"]       # weekdays not listed are closed

    [volume]                    # one of calls_per_month, calls_per_day, rates_by_weekday
    calls_per_month = 11000     # spread over the month's open days by day_of_week
    day_of_week = {sun = 1.2, mon = 1.0, tue = 1.0, wed = 0.9, thu = 0.8}
    day_of_month = {1 = 1.4, 2 = 1.3, 3 = 1.15}     # month-start peaks (default 1)
    intraday = {"08:00" = 0.7, "08:30" = 1.1, ...}   # weight per open interval
    month_factors = {sep = 1.0, oct = 1.05}
    scale = 1.0                 # a what-if multiplier
    # rates_by_weekday = {sun = [0, 0, ..., 12.5, ...]}  calls per interval from midnight

    [categories.employer]
    share = 0.8                 # of the volume (or rates_by_weekday per category)
    priority = 0                # lower is answered first (as Ciw's priority classes)
    topics = {work_permit = 0.81, e_services = 0.08, other = 0.11}
    talk = {dist = "lognormal", mean_s = 180, sd_s = 120}
    hold = {dist = "exponential", mean_s = 15}      # optional
    acw = {dist = "fixed", value_s = 20}             # optional
    patience = {dist = "exponential", mean_s = 90}

    [mix]
    site = {riyadh = 0.7, jeddah = 0.3}
    channel = {phone = 1.0}

    [[periods]]                 # dates that differ from the usual week (last listed wins)
    name = "ramadan"
    from = 2025-03-01
    to = 2025-03-29
    opening_hours = {sun = ["10:00-16:00"], mon = ["10:00-16:00"]}
    intraday = {"10:00" = 1.0, ...}   # replaces volume.intraday on these dates
    volume_scale = 0.9          # multiplies the expected calls of these dates
    staffing_scale = 0.8        # multiplies agents on shift (rounded)
    # closed = true             # a public holiday

    [staffing]                  # one of agents, agents_by_weekday, shifts, per_interval
    agents = 6
    # [[staffing.shifts]]  days = ["sun", "mon"], start = "08:00", end = "16:00", agents = 4

    [labels.topic]              # optional: what exports show for codes (analytics.labels)
    work_permit_follow_up = {en = "Work-permit follow-up", ar = "متابعة طلبات تصاريح العمل"}
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import tomlkit
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
)

from analytics.clock import seconds_of_day
from analytics.errors import read_toml
from analytics.labels import check_labels
from analytics.packaged import packaged_dir
from simulation.queue.distributions import distribution_from_toml
from simulation.queue.scenario import (
    WEEKDAYS,
    Category,
    Period,
    Scenario,
    Shift,
    Staffing,
    Volume,
)

# data/scenarios/, read as package data wherever the project is installed
SCENARIO_DIR = packaged_dir("scenarios")
MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_abbr) if m}
_MONTH_NAMES = {**MONTHS, **{m.lower(): i for i, m in enumerate(calendar.month_name) if m}}


def _numbered(key: Any, names: Mapping[str, int], last: int, where: str, what: str) -> int:
    """A weekday or month given by name (``names``) or by number 1 … ``last``."""
    if isinstance(key, int) and 1 <= key <= last:
        return key
    k = str(key).strip().lower()
    if k in names:
        return names[k]
    if k.isdigit() and 1 <= int(k) <= last:
        return int(k)
    raise ValueError(f"{where}: {key!r} is not {what}")


def month_number(key: Any, where: str) -> int:
    """A calendar month 1 … 12 from ``jan`` … ``dec`` (or ``january`` …) or its number."""
    return _numbered(key, _MONTH_NAMES, 12, where, "a month (jan … dec or 1 … 12)")


def _shares(table: Mapping[str, float], where: str) -> tuple[tuple[str, float], ...]:
    """A mix {name = share}: shares >= 0 summing to 1 (within 1e-6)."""
    items = []
    for name, share in table.items():
        if share < 0:
            raise ValueError(f"{where}.{name}: share must be a number >= 0, not {share!r}")
        items.append((str(name), float(share)))
    total = sum(s for _, s in items)
    if items and abs(total - 1.0) > 1e-6:
        raise ValueError(f"{where}: shares add up to {total:g}, not 1")
    return tuple(items)


def _keyed(table: Mapping[Any, Any] | None, where: str, key) -> dict | None:
    """A table keyed by weekday, month or day of the month, its keys as numbers."""
    if table is None:
        return None
    return {key(k, f"{where}.{k}"): v for k, v in table.items()}


def _weekday(key: Any, where: str) -> int:
    return _numbered(key, WEEKDAYS, 7, where, "a weekday (mon … sun or ISO 1 … 7)")


def _day_of_month(key: Any, where: str) -> int:
    k = str(key).strip()
    if k.isdigit() and 1 <= int(k) <= 31:
        return int(k)
    raise ValueError(f"{where}: {key!r} is not a day of the month 1 … 31")


def opening_spans(value: Any, where: str) -> tuple[tuple[str, str], ...]:
    """Opening hours ``["08:00-12:00", "13:00-17:00"]`` (or one string) as (start, end) pairs."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ValueError(f'{where}: expected a list like ["08:00-17:00"]')
    spans = []
    for span in value:
        if isinstance(span, str) and "-" in span:
            a, b = (p.strip() for p in span.split("-", 1))
        elif isinstance(span, list) and len(span) == 2:
            a, b = span
        else:
            raise ValueError(f'{where}: {span!r} is not "HH:MM-HH:MM"')
        spans.append((str(a), str(b)))
    return tuple(spans)


def _hours(table: Mapping[Any, Any] | None, where: str):
    if table is None:
        return None
    return {_weekday(k, f"{where}.{k}"): opening_spans(v, f"{where}.{k}") for k, v in table.items()}


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{where}: {value!r} is not a date like 2024-09-01") from None
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise ValueError(f"{where}: {value!r} is not a date like 2024-09-01")
    return value


# --------------------------------------------------------------------------- the file's shape

# A number as TOML gives it (an int stays an int); never a bool or a text.
Number = StrictInt | StrictFloat
Key = str | int  # a weekday, month or day of the month, by name or number
Spans = str | list[Any]  # "08:00-17:00" or a list of spans
Rates = list[Number]  # one value per interval from local midnight


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _CategoryTable(_Table):
    share: Number | None = None
    priority: StrictInt = 0
    topics: dict[str, Number] = {}
    talk: dict[str, Any]
    hold: dict[str, Any] | None = None
    acw: dict[str, Any] | None = None
    patience: dict[str, Any]
    queue: StrictStr = "main"
    rates_by_weekday: dict[Key, Rates] | None = None


class _VolumeTable(_Table):
    calls_per_month: Number | None = None
    calls_per_day: Number | None = None
    rates_by_weekday: dict[Key, Rates] | None = None
    day_of_week: dict[Key, Number] | None = None
    day_of_month: dict[Key, Number] | None = None
    intraday: dict[str, Number] | None = None
    month_factors: dict[Key, Number] | None = None
    scale: Number = 1.0


class _ShiftTable(_Table):
    days: list[Key]
    start: StrictStr
    end: StrictStr
    agents: StrictInt


class _StaffingTable(_Table):
    agents: StrictInt | None = None
    agents_by_weekday: dict[Key, Rates] | None = None
    shifts: list[_ShiftTable] = []
    per_interval: Rates | None = None


class _MixTable(_Table):
    site: dict[str, Number] = {}
    channel: dict[str, Number] = {}


class _PeriodTable(_Table):
    name: StrictStr | None = None
    first: dt.date | StrictStr = Field(alias="from")
    last: dt.date | StrictStr = Field(alias="to")
    opening_hours: dict[Key, Spans] | None = None
    intraday: dict[str, Number] | None = None
    volume_scale: Number = 1.0
    staffing_scale: Number = 1.0
    closed: StrictBool = False


class _ScenarioTable(_Table):
    """A scenario file's shape (keys and types, in the order they are reported); what the
    values mean is checked by the scenario's dataclasses (``simulation.queue.scenario``)."""

    name: StrictStr
    categories: dict[str, _CategoryTable]
    volume: _VolumeTable = _VolumeTable()
    staffing: _StaffingTable
    opening_hours: dict[Key, Spans] | None = None
    mix: _MixTable = _MixTable()
    start: dt.date | StrictStr = dt.date(2024, 1, 1)
    closed_dates: list[dt.date | StrictStr] = []
    targets: StrictStr | list[StrictStr] = []
    centre_id: StrictStr = ""
    timezone: StrictStr = "UTC"
    days: StrictInt = 7
    interval_s: StrictInt = 1800
    periods: list[_PeriodTable] = []
    thresholds_s: list[Number] = [12, 30]
    short_abandon_s: Number = 5.0
    warmup_s: Number = 0.0
    description: StrictStr = ""
    # the seed packs' history settings, checked by simulation.synthetic.pack
    history: dict[str, Any] | None = None
    # [labels.DIMENSION] code = {en = "...", ar = "..."}: names a reader sees
    labels: dict[str, Any] = {}


# the table each path holds ("*": a category's name or a list's index)
_TABLES: dict[tuple, type[BaseModel]] = {
    (): _ScenarioTable,
    ("categories", "*"): _CategoryTable,
    ("volume",): _VolumeTable,
    ("staffing",): _StaffingTable,
    ("staffing", "shifts", "*"): _ShiftTable,
    ("mix",): _MixTable,
    ("periods", "*"): _PeriodTable,
}
_MISSING = {
    "categories": "one [categories.NAME] table per caller category",
    "staffing": "[staffing] with agents, agents_by_weekday or shifts",
    "talk": "a distribution table",
    "patience": "a distribution table",
}


def _dotted(parts: Sequence[Any]) -> str:
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _shape_message(exc: ValidationError, data: Mapping[str, Any]) -> str:
    """The problem pydantic found, as ``field.path: reason, not value``."""
    errors = exc.errors()

    def place(error) -> list:
        loc = list(error["loc"])
        while loc and loc[-1] in ("int", "float", "str", "date"):  # a union's member
            loc.pop()
        return loc

    # an unknown key first, as a typo explains what follows (the key it misspells is missing)
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    parts = place(first)
    # of a union's errors at one place, the last says what was wanted ("a valid number")
    error = [e for e in errors if place(e) == parts][-1]
    table = tuple(
        "*" if i == 1 and parts[0] == "categories" or isinstance(p, int) else p
        for i, p in enumerate(parts[:-1])
    )
    if parts[:1] == ["periods"] and len(parts) > 2:  # a period by its name, if it has one
        period = data["periods"][parts[1]]
        if isinstance(period, Mapping) and "name" in period:
            parts[1] = str(period["name"])
        parts[1:2] = [str(parts[1])]
    path = _dotted(parts)
    if error["type"] == "extra_forbidden":
        model = _TABLES.get(table, _ScenarioTable)
        known = sorted(f.alias or n for n, f in model.model_fields.items())
        where = _dotted(parts[:-1]) or "top level"
        return f"{where}: unknown key {parts[-1]!r} (expected one of {', '.join(known)})"
    if error["type"] == "missing":
        hint = _MISSING.get(parts[-1])
        return f"{path}: missing" + (f" ({hint})" if hint else "")
    reason = error["msg"][:1].lower() + error["msg"][1:]
    return f"{path}: {reason}, not {error['input']!r}"


# --------------------------------------------------------------------------- reading


def _distribution(table: Mapping[str, Any] | None, where: str):
    try:
        return None if table is None else distribution_from_toml(table)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def _category(name: str, c: _CategoryTable) -> Category:
    where = f"categories.{name}"
    dists = {
        part: _distribution(getattr(c, part), f"{where}.{part}")
        for part in ("talk", "hold", "acw", "patience")
        if getattr(c, part) is not None
    }
    return Category(
        name=name,
        share=None if c.share is None else float(c.share),
        priority=c.priority,
        topics=_shares(c.topics, f"{where}.topics"),
        queue=c.queue,
        rates_by_weekday=_keyed(c.rates_by_weekday, f"{where}.rates_by_weekday", _weekday),
        **dists,
    )


def _period(i: int, p: _PeriodTable) -> Period:
    name = str(i) if p.name is None else p.name
    where = f"periods.{name}"
    return Period(
        name=name,
        first=_date(p.first, f"{where}.from"),
        last=_date(p.last, f"{where}.to"),
        opening_hours=_hours(p.opening_hours, f"{where}.opening_hours"),
        intraday=p.intraday,
        volume_scale=float(p.volume_scale),
        staffing_scale=float(p.staffing_scale),
        closed=p.closed,
    )


def scenario_from_dict(data: Mapping[str, Any], source: str = "scenario") -> Scenario:
    """Build and validate a scenario from parsed TOML; errors start with ``source``."""
    try:
        table = _ScenarioTable.model_validate(data)
    except ValidationError as exc:
        raise ValueError(f"{source}: {_shape_message(exc, data)}") from None
    try:
        return _scenario(table)
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"{source}: {exc}") from None


def _scenario(t: _ScenarioTable) -> Scenario:
    if not t.categories:
        raise ValueError("categories: missing (one [categories.NAME] table per caller category)")
    categories = tuple(_category(k, v) for k, v in t.categories.items())
    vol = t.volume
    volume = Volume(
        calls_per_month=vol.calls_per_month,
        calls_per_day=vol.calls_per_day,
        rates_by_weekday=_keyed(vol.rates_by_weekday, "volume.rates_by_weekday", _weekday),
        day_of_week=_keyed(vol.day_of_week, "volume.day_of_week", _weekday),
        day_of_month=_keyed(vol.day_of_month, "volume.day_of_month", _day_of_month),
        intraday=vol.intraday,
        month_factors=_keyed(vol.month_factors, "volume.month_factors", month_number),
        scale=float(vol.scale),
    )
    st = t.staffing
    shifts = tuple(
        Shift(
            days=tuple(_weekday(d, f"staffing.shifts[{i}].days") for d in sh.days),
            start=sh.start,
            end=sh.end,
            agents=sh.agents,
        )
        for i, sh in enumerate(st.shifts)
    )
    staffing = Staffing(
        agents=st.agents,
        agents_by_weekday=_keyed(st.agents_by_weekday, "staffing.agents_by_weekday", _weekday),
        shifts=shifts,
        per_interval=None if st.per_interval is None else tuple(st.per_interval),
    )
    targets = [t.targets] if isinstance(t.targets, str) else t.targets
    return Scenario(
        name=t.name,
        centre_id=t.centre_id,
        timezone=t.timezone,
        start=_date(t.start, "start"),
        days=t.days,
        interval_s=t.interval_s,
        opening_hours=_hours(t.opening_hours, "opening_hours"),
        closed_dates=tuple(_date(d, "closed_dates") for d in t.closed_dates),
        periods=tuple(_period(i, p) for i, p in enumerate(t.periods)),
        volume=volume,
        categories=categories,
        staffing=staffing,
        thresholds_s=tuple(float(x) for x in t.thresholds_s),
        short_abandon_s=float(t.short_abandon_s),
        targets=tuple(targets),
        sites=_shares(t.mix.site, "mix.site"),
        channels=_shares(t.mix.channel, "mix.channel") or (("phone", 1.0),),
        warmup_s=float(t.warmup_s),
        description=t.description,
        labels=check_labels(t.labels, "labels"),
    )


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A scenario from a TOML file, or by name from ``data/scenarios/NAME.toml``.

    Raises ``FileNotFoundError`` naming the places looked in, ``ValueError`` naming the
    file and field for a bad scenario.
    """
    path = Path(name_or_path)
    if not path.suffix and not path.exists():
        path = SCENARIO_DIR / f"{name_or_path}.toml"
    if not path.is_file():
        known = sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))
        raise FileNotFoundError(
            f"no scenario {str(name_or_path)!r} (not a file, nor data/scenarios/"
            f"{Path(name_or_path).name}.toml; known: {', '.join(known) or 'none'})"
        )
    return scenario_from_dict(read_toml(path, "scenario", ValueError), source=str(path))


def staffing_from_csv(path: str | Path, scenario: Scenario) -> Staffing:
    """Staffing for ``scenario`` from a CSV file, in one of two shapes:

    - a weekly pattern: ``weekday,time,agents`` (``mon``, ``08:30``, 12); intervals not
      listed have no agents;
    - the staffing record: ``interval_start,agents`` (or ``agents_available``, as the store
      keeps it); timestamps without an offset are local to the scenario's time zone, and
      intervals of the horizon not listed have no agents.

    Fractional agents (averages) are rounded to whole agents.
    """
    import pandas as pd

    path = Path(path)
    try:
        table = pd.read_csv(path)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ValueError(f"{path}: cannot read staffing CSV: {exc}") from None
    cols = {c.strip().lower(): c for c in table.columns}
    agents_col = next(
        (cols[c] for c in ("agents", "agents_available", "agents_scheduled") if c in cols), None
    )
    if agents_col is None:
        raise ValueError(f"{path}: needs a column agents (or agents_available)")
    agents = pd.to_numeric(table[agents_col], errors="coerce")
    bad = agents.isna() | (agents < 0)
    if bad.any():
        line = int(bad.to_numpy().argmax()) + 2
        raise ValueError(
            f"{path}, line {line}, column {agents_col}: {table[agents_col].iloc[line - 2]!r} "
            "is not a number of agents >= 0"
        )
    agents = agents.round().astype(int).to_numpy()
    n = scenario.intervals_per_day
    if "weekday" in cols and "time" in cols:
        week = {day: [0] * n for day in range(1, 8)}
        for line, (day, time, a) in enumerate(
            zip(table[cols["weekday"]], table[cols["time"]], agents, strict=True), start=2
        ):
            where = f"{path}, line {line}"
            seconds = seconds_of_day(str(time), f"{where}, column time")
            if seconds % scenario.interval_s or seconds >= 86400:
                raise ValueError(f"{where}, column time: {time!r} is not an interval start")
            week[_weekday(day, f"{where}, column weekday")][seconds // scenario.interval_s] = int(a)
        return Staffing(agents_by_weekday={d: tuple(v) for d, v in week.items()})
    if "interval_start" not in cols:
        raise ValueError(f"{path}: needs columns weekday,time,agents or interval_start,agents")
    raw = table[cols["interval_start"]].astype(str)
    origin = pd.Timestamp(scenario.start_instant)
    offsets = np.empty(len(raw))
    for k, text in enumerate(raw):  # rows may mix local times and times with offsets
        try:
            stamp = pd.Timestamp(text)
        except ValueError:
            stamp = pd.NaT
        if stamp is pd.NaT:
            raise ValueError(
                f"{path}, line {k + 2}, column interval_start: {text!r} is not a timestamp"
            )
        if stamp.tzinfo is None:
            stamp = stamp.tz_localize(scenario.timezone)
        offsets[k] = (stamp - origin).total_seconds()
    index = np.floor(offsets / scenario.interval_s).astype(int)
    per_interval = np.zeros(scenario.days * n, dtype=int)
    inside = (index >= 0) & (index < len(per_interval))
    if not inside.any():
        raise ValueError(
            f"{path}: no interval_start falls within the simulated days "
            f"({scenario.start} + {scenario.days} days)"
        )
    per_interval[index[inside]] = agents[inside]
    return Staffing(per_interval=tuple(int(a) for a in per_interval))


# --------------------------------------------------------------------------- writing

_WRAP = 12  # numbers per line in a long array


def _array(values: Any) -> Any:
    """A TOML array: on one line up to ``_WRAP`` items, else ``_WRAP`` items a line."""
    items = [_item(v) for v in values]
    out = tomlkit.array()
    if len(items) <= _WRAP:
        out.extend(items)
        return out
    for i in range(0, len(items), _WRAP):
        out.add_line(*items[i : i + _WRAP], indent="    ")
    out.add_line(indent="")  # the closing bracket on a line of its own
    return out


def _item(v: Any) -> Any:
    if isinstance(v, Mapping):
        inline = tomlkit.inline_table()
        for k, x in v.items():
            inline[str(k)] = _item(x)
        return inline
    if isinstance(v, (list, tuple)):
        return _array(v)
    return tomlkit.item(v)


def _inline(v: Any) -> bool:
    """Whether a value fits on one line (TOML 1.0 inline tables cannot span lines)."""
    if isinstance(v, Mapping):
        return all(_inline(x) and not isinstance(x, Mapping) for x in v.values())
    if isinstance(v, (list, tuple)):
        return len(v) <= _WRAP
    return True


def scenario_document(data: Mapping[str, Any]) -> tomlkit.TOMLDocument:
    """The tomlkit document of a scenario dict (as ``scenario_from_dict`` reads it): short
    values on one line, long arrays wrapped, large tables as ``[sections]``."""
    doc = tomlkit.document()

    def fill(container: Any, t: Mapping[str, Any]) -> None:
        flat = [(k, v) for k, v in t.items() if not isinstance(v, Mapping) or _inline(v)]
        nested = [(k, v) for k, v in t.items() if isinstance(v, Mapping) and not _inline(v)]
        for k, v in flat:
            container[str(k)] = _item(v)
        for k, v in nested:
            has_flat = any(not isinstance(x, Mapping) or _inline(x) for x in v.values())
            sub = tomlkit.table(is_super_table=not has_flat and bool(v))
            fill(sub, v)
            container[str(k)] = sub

    fill(doc, data)
    return doc


def scenario_toml(data: Mapping[str, Any]) -> str:
    """TOML text of a scenario dict, loadable by ``load_scenario``."""
    return tomlkit.dumps(scenario_document(data))
