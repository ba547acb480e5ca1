"""Scenario packs: a scenario and the ``[history]`` table that turns it into months of
history (public-holiday country, ticket SLA, staffing rule, month-start peaks, Ramadan,
incidents, ticket channels and walk-in counters).

The table's shape (keys and types) is checked by one pydantic model, as the scenario's
own file is checked at the door: a bad pack fails with a ``ValueError`` naming the file,
the key path (``history.tickets[0].per_month``) and the value. What the values mean is
checked by the dataclasses below and ``parse_target``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from analytics.clock import seconds_of_day
from analytics.errors import validation_message
from simulation.formulas.erlang import parse_target
from simulation.queue.distributions import Distribution, distribution_from_toml
from simulation.queue.scenario import Scenario
from simulation.queue.scenario_file import (
    SCENARIO_DIR,
    load_scenario,
    month_number,
    opening_spans,
    scenario_from_dict,
)


@dataclass(frozen=True)
class Ramadan:
    """Ramadan's opening spans (every working day), intraday weights and volume factor."""

    opening_hours: tuple[tuple[str, str], ...]
    intraday: Mapping[str, float] | None = None
    volume_scale: float = 1.0


@dataclass(frozen=True)
class Incident:
    """A bad stretch: from ``day`` of ``month`` (or the next working day), ``days`` working
    days long, with calls multiplied by ``volume_scale`` and agents by ``staffing_scale``."""

    name: str
    month: int
    day: int
    days: int = 1
    volume_scale: float = 1.0
    staffing_scale: float = 1.0


@dataclass(frozen=True)
class TicketChannel:
    """Tickets of one channel: volume per month, when they arrive, and how fast they close.

    ``first_response_wh`` is in working seconds; ``resolution_wd`` is the mean and standard
    deviation of a lognormal in working days, truncated below ``max_wd`` (and below
    ``latest_max_wd`` in the last ``latest_weeks`` weeks of the generated history).

    A channel with ``counters`` (walk-in visits to a branch) has no drawn first response:
    its visitors queue for ``counters`` counters in the SimPy model (``service`` at the
    counter, ``patience`` before leaving, arrivals shaped by ``intraday`` or the
    scenario's profile), and the first response is the instant a counter calls them.
    """

    channel: str
    per_month: float
    hours: str  # "always" (website, SMS) or "open" (walk-in)
    first_response_wh: Distribution | None
    resolution_mean_wd: float
    resolution_sd_wd: float
    max_wd: float
    latest_weeks: int = 0
    latest_max_wd: float | None = None
    site: str | None = None  # a branch (walk-in counters); None: the scenario's first site
    counters: int | None = None  # counters open while the branch is open: a queue
    service: Distribution | None = None  # time at the counter (s)
    patience: Distribution | None = None  # how long a visitor waits before leaving (s)
    intraday: Mapping[str, float] | None = None  # "HH:MM" -> weight; None: the scenario's

    def __post_init__(self) -> None:
        where = f"history.tickets.{self.channel}" + (f".{self.site}" if self.site else "")
        if self.hours not in ("always", "open"):
            raise ValueError(f"{where}.hours: use always or open")
        if self.counters is None:
            if self.first_response_wh is None:
                raise ValueError(f"{where}: give first_response_wh, or counters for a queue")
        else:
            if isinstance(self.counters, bool) or not isinstance(self.counters, int):
                raise ValueError(f"{where}.counters: {self.counters!r} is not a whole number")
            if self.counters < 1 or self.hours != "open":
                raise ValueError(f"{where}: counters >= 1 serve visitors only while open")
            if self.service is None or self.patience is None:
                raise ValueError(f"{where}: counters need service and patience")
            if self.first_response_wh is not None:
                raise ValueError(
                    f"{where}: with counters the first response comes from the queue; "
                    "drop first_response_wh"
                )
        if not (self.per_month >= 0 and self.max_wd > 0 and self.resolution_mean_wd > 0):
            raise ValueError(
                f"history.tickets.{self.channel}: per_month >= 0, max_wd and "
                "resolution_wd.mean > 0 needed"
            )


@dataclass(frozen=True)
class HistoryPack:
    """A scenario and the settings that turn it into realistic months of history."""

    scenario: Scenario
    holiday_country: str | None = None
    ticket_sla_wd: float = 3.0
    staffing_target: str = "asa_s<=20"
    month_start_peak: tuple[float, ...] = ()
    ramadan: Ramadan | None = None
    incidents: tuple[Incident, ...] = ()
    tickets: tuple[TicketChannel, ...] = ()

    @property
    def centre_id(self) -> str:
        return self.scenario.centre_id

    def centre(self):
        """The ``analytics.centres.Centre`` the generated history belongs to."""
        return replace(
            self.scenario.centre(),
            name=self.scenario.description or self.scenario.name,
            holiday_country=self.holiday_country,
            ticket_sla_wd=float(self.ticket_sla_wd),
            extra_closures=(),
            counters={t.site: t.counters for t in self.tickets if t.counters and t.site},
        )


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _RamadanTable(_Shape):
    opening_hours: str | list[str]
    intraday: dict[str, float] | None = None
    volume_scale: float = 1.0


class _IncidentTable(_Shape):
    name: str
    month: int | str
    day: int
    days: int = 1
    volume_scale: float = 1.0
    staffing_scale: float = 1.0


class _Resolution(_Shape):
    mean: float
    sd: float | None = None


class _TicketTable(_Shape):
    channel: str
    per_month: float
    hours: str = "always"
    first_response_wh: dict[str, Any] | None = None
    resolution_wd: _Resolution
    max_wd: float | None = None
    latest_weeks: int = 0
    latest_max_wd: float | None = None
    site: str | None = None
    counters: int | None = None
    service: dict[str, Any] | None = None
    patience: dict[str, Any] | None = None
    intraday: dict[str, float] | None = None


class _HistoryTable(_Shape):
    """The ``[history]`` table's shape (keys and types); what the values mean is checked
    by the pack's dataclasses, the scenario's checks and ``parse_target``."""

    holiday_country: str | None = None
    ticket_sla_wd: float = 3.0
    staffing_target: str = "asa_s<=20"
    month_start_peak: list[float] = []
    ramadan: _RamadanTable | None = None
    incidents: list[_IncidentTable] = []
    tickets: list[_TicketTable] = []


def _distribution(table: dict[str, Any] | None, where: str) -> Distribution | None:
    try:
        return None if table is None else distribution_from_toml(table)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def _ticket_channel(t: _TicketTable, i: int, sla_wd: float) -> TicketChannel:
    where = f"history.tickets[{i}]"
    return TicketChannel(
        channel=t.channel,
        per_month=t.per_month,
        hours=t.hours,
        first_response_wh=_distribution(t.first_response_wh, f"{where}.first_response_wh"),
        resolution_mean_wd=t.resolution_wd.mean,
        resolution_sd_wd=t.resolution_wd.mean / 2
        if t.resolution_wd.sd is None
        else t.resolution_wd.sd,
        max_wd=sla_wd if t.max_wd is None else t.max_wd,
        latest_weeks=t.latest_weeks,
        latest_max_wd=t.latest_max_wd,
        site=t.site,
        counters=t.counters,
        service=_distribution(t.service, f"{where}.service"),
        patience=_distribution(t.patience, f"{where}.patience"),
        intraday=t.intraday,
    )


def pack_from_dict(data: Mapping[str, Any], source: str = "pack") -> HistoryPack:
    """A history pack from a parsed scenario TOML with a ``[history]`` table; a bad table
    fails with a ``ValueError`` naming the source, the key path and the value."""
    scenario = scenario_from_dict(data, source)
    try:
        h = _HistoryTable.model_validate(data.get("history") or {})
    except ValidationError as exc:
        raise ValueError(f"{source}: {validation_message(exc, 'history')}") from None
    try:
        parse_target(h.staffing_target)
        ramadan = None
        if h.ramadan is not None:
            where = "history.ramadan.opening_hours"
            hours = opening_spans(h.ramadan.opening_hours, where)
            for a, b in hours:
                seconds_of_day(a, where)
                seconds_of_day(b, where)
            ramadan = Ramadan(
                opening_hours=hours,
                intraday=h.ramadan.intraday,
                volume_scale=h.ramadan.volume_scale,
            )
        incidents = tuple(
            Incident(
                name=i.name,
                month=month_number(i.month, f"history.incidents[{k}].month"),
                day=i.day,
                days=i.days,
                volume_scale=i.volume_scale,
                staffing_scale=i.staffing_scale,
            )
            for k, i in enumerate(h.incidents)
        )
        tickets = tuple(_ticket_channel(t, i, h.ticket_sla_wd) for i, t in enumerate(h.tickets))
    except ValueError as exc:
        raise ValueError(f"{source}: {exc}") from None
    return HistoryPack(
        scenario=scenario,
        holiday_country=h.holiday_country,
        ticket_sla_wd=h.ticket_sla_wd,
        staffing_target=h.staffing_target,
        month_start_peak=tuple(h.month_start_peak),
        ramadan=ramadan,
        incidents=incidents,
        tickets=tickets,
    )


def load_pack(name_or_path: str | Path) -> HistoryPack:
    """The history pack ``data/scenarios/NAME.toml`` (or a file path)."""
    path = Path(name_or_path)
    if not path.suffix and not path.exists():
        path = SCENARIO_DIR / f"{name_or_path}.toml"
    if not path.is_file():
        load_scenario(name_or_path)  # raises FileNotFoundError naming the known scenarios
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return pack_from_dict(data, str(path))
