"""What a KPI declaration is: the ``KPI`` record and one constructor per kind.

The catalogue (``catalogue.py``) holds the declarations themselves and the look-ups every
consumer calls; this module says what a declaration holds and checks it (kind, display
format, direction, subject, a label and a definition in every language), so the
catalogue reads as a list of KPIs. A constructor per kind (``count``, ``share``,
``mean_s``, ``percentile``, ``service_level``) fills in what follows from the kind: a
share is a ratio shown as a percentage, a mean duration is in seconds, a count's display
format follows from its unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from analytics.translation import LANGUAGES

KINDS = ("count", "ratio", "duration", "percentile")
# Display formats: ratio as a percentage, durations with their unit, counts as integers.
FORMATS = ("count", "ratio", "seconds", "hours", "days")
DIRECTIONS = ("higher", "lower", "neither")
SUBJECTS = ("calls", "tickets", "staffing", "erlang", "live")


@dataclass(frozen=True)
class KPI:
    """One KPI (or, with ``per_threshold``, a family ``<name>_T`` of them).

    ``numerator`` / ``denominator``: for a ratio or mean, the counts (KPI names) it
    divides, a denominator as terms added (``"offered"``) or taken away
    (``"-short_abandoned"``); ``what``: the numerator in words where it is no KPI of
    its own ("answered within {t} s"). Labels and definitions take ``{t}`` (threshold),
    ``{s}`` (short-abandon S) and ``{sla}`` (ticket SLA, working days).
    """

    name: str
    subject: str
    kind: str
    unit: str
    fmt: str
    direction: str
    label: Mapping[str, str]
    definition: Mapping[str, str]
    short: Mapping[str, str] = field(default_factory=dict)
    numerator: tuple[str, ...] = ()
    denominator: tuple[str, ...] = ()
    what: str = ""
    per_threshold: bool = False

    def __post_init__(self) -> None:
        assert self.kind in KINDS, self
        assert self.fmt in FORMATS, self
        assert self.direction in DIRECTIONS, self
        assert self.subject in SUBJECTS, self
        assert set(self.label) == set(self.definition) == set(LANGUAGES), self.name

    @property
    def is_share(self) -> bool:
        """A value in [0, 1] shown as a percentage (its changes in points)."""
        return self.fmt == "ratio"

    @property
    def higher_is_better(self) -> bool | None:
        return {"higher": True, "lower": False}.get(self.direction)

    def target_reads(self, lang: str = "en") -> str:
        """How a target on this KPI reads: '≥' for higher is better, '≤' for lower."""
        return {"higher": "≥", "lower": "≤"}.get(self.direction, "=")

    def denominator_of(self, row: Mapping[str, float | None]) -> float | None:
        """The denominator's value from a KPI row (its counts), None if it has none."""
        if not self.denominator:
            return None
        total = 0.0
        for term in self.denominator:
            sign, name = (-1, term[1:]) if term.startswith("-") else (1, term)
            total += sign * (row.get(name) or 0)
        return total


# A declaration's display format follows from its unit.
_FORMAT_OF_UNIT = {
    **dict.fromkeys(("calls", "tickets", "agents", "intervals"), "count"),
    "share": "ratio",
    "seconds": "seconds",
    "working hours": "hours",
    "working days": "days",
}


def count(name: str, subject: str, unit: str, direction: str, label, definition, **more) -> KPI:
    """A count of ``unit`` (calls, tickets, agents, intervals or seconds)."""
    return KPI(
        name, subject, "count", unit, _FORMAT_OF_UNIT[unit], direction, label, definition, **more
    )


def share(name: str, subject: str, direction: str, label, definition, **more) -> KPI:
    """A ratio in [0, 1], shown as a percentage."""
    return KPI(name, subject, "ratio", "share", "ratio", direction, label, definition, **more)


def mean_s(name: str, subject: str, direction: str, label, definition, **more) -> KPI:
    """A mean duration in seconds."""
    return KPI(
        name, subject, "duration", "seconds", "seconds", direction, label, definition, **more
    )


def percentile(
    name: str, subject: str, unit: str, direction: str, label, definition, **more
) -> KPI:
    """A percentile of a duration in ``unit`` (seconds, working hours or days)."""
    return KPI(
        name,
        subject,
        "percentile",
        unit,
        _FORMAT_OF_UNIT[unit],
        direction,
        label,
        definition,
        **more,
    )


def service_level(name: str, label, definition, **more) -> KPI:
    """A service-level family of call KPIs ``<name>_T``, one per threshold T: a share of
    calls, higher is better."""
    return share(name, "calls", "higher", label, definition, per_threshold=True, **more)
