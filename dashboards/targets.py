"""Which way is better for a KPI, and its target: the one place the dashboards ask.

Every colour on a page (tiles, bars, heat maps, the centres' table) is set from a
KPI's target and direction, so a 70% half hour under an 80% target is never green and
an 8.9% abandon rate against a 5% ceiling is never the colour of "fine".

``target(centre, name)`` reads the targets the monthly export uses
(``analytics.exports.report.default_targets``); ``direction(name)`` is the KPI
catalogue's (``analytics.kpi.catalogue``: is higher better?).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from analytics.centres import Centre
from analytics.exports.report import Target, default_targets
from analytics.kpi.catalogue import find, format_value
from analytics.translation import LRI, PDI, is_rtl

# Green meets the target, amber misses it within the tolerance, red misses it.
GOOD, WARN, BAD = "#2f9e44", "#f08c00", "#e03131"
_LIGHT = {GOOD: "#8ce99a", WARN: "#ffc078", BAD: "#ff8787"}


def targets(centre: Centre) -> dict[str, Target]:
    """The centre's targets by KPI name."""
    return {t.kpi: t for t in default_targets(centre)}


def target(centre: Centre, name: str) -> Target | None:
    return targets(centre).get(name)


def direction(name: str) -> int | None:
    """+1 when more is better, -1 when less is, None when neither (volumes, AHT) or
    for a name the KPI catalogue does not declare."""
    found = find(name)
    if found is None:
        return None
    return {"higher": 1, "lower": -1}.get(found[0].direction)


def target_text(name: str, tgt: Target, lang: str, word: str) -> str:
    """'Target ≥ 80.0%' in the reader's language (``word`` is their "Target")."""
    sign = "≥" if tgt.at_least else "≤"
    return f"{word} {isolate(f'{sign} {format_value(name, tgt.value, lang)}', lang)}"


def isolate(text: str, lang: str) -> str:
    """``text`` as a left-to-right island inside an Arabic line ("≤ 5.0%", "−3.9 pts"
    stay whole and in order); unchanged in English."""
    return f"{LRI}{text}{PDI}" if is_rtl(lang) else text


def heat_range(tgt: Target, values: Sequence[float | None]) -> tuple[float, float]:
    """A heat map's value range that holds the data and the target's bands."""
    seen = [v for v in values if v is not None]
    band = tgt.tolerance or abs(tgt.value) * 0.05 or 0.01
    lo = min([*seen, tgt.value - 2 * band])
    hi = max([*seen, tgt.value + 2 * band])
    if tgt.at_least and tgt.value <= 1 and hi <= 1:
        hi = 1.0  # a share tops out at 100%
    return max(lo, 0.0), hi


def target_colourscale(tgt: Target, zmin: float, zmax: float) -> list:
    """A plotly colour scale over [zmin, zmax] whose colours change at the target:
    green where the target is met, amber within the tolerance, red beyond, each
    darker the further from the target. Works for at-least and at-most targets."""
    span = (zmax - zmin) or 1.0

    def at(v: float) -> float:
        return min(max((v - zmin) / span, 0.0), 1.0)

    edge = tgt.value
    amber = tgt.value - tgt.tolerance if tgt.at_least else tgt.value + tgt.tolerance
    if tgt.at_least:  # low is bad: red .. amber .. green
        bands = [(0.0, at(amber), BAD, True), (at(amber), at(edge), WARN, False)]
        bands.append((at(edge), 1.0, GOOD, False))
    else:  # low is good: green .. amber .. red
        bands = [(0.0, at(edge), GOOD, True), (at(edge), at(amber), WARN, False)]
        bands.append((at(amber), 1.0, BAD, False))
    scale: list = []
    for lo, hi, colour, dark_first in bands:
        if hi <= lo:
            continue
        # the strong end of each band lies away from the target, the light end beside it
        first, last = (colour, _LIGHT[colour]) if dark_first else (_LIGHT[colour], colour)
        scale += [[lo, first], [hi, last]]
    if not scale:
        return [[0.0, GOOD], [1.0, GOOD]]
    scale[0][0], scale[-1][0] = 0.0, 1.0
    return scale


OVERLOAD_RATIO = 3.0  # a branch with 3x the others' median visits a counter is flagged


def overloaded(per_counter: dict[str, float | None]) -> dict[str, float]:
    """Branches whose visits a counter are at least ``OVERLOAD_RATIO`` times the median
    of the other branches': {branch: that multiple}. Needs two branches with counters."""
    known = {k: v for k, v in per_counter.items() if v is not None}
    flagged = {}
    for site, load in known.items():
        others = [v for k, v in known.items() if k != site]
        if not others:
            continue
        median = statistics.median(others)
        if median > 0 and load >= OVERLOAD_RATIO * median:
            flagged[site] = load / median
    return flagged
