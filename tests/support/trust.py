"""Colours as plotly draws them and as a person reads them (green, amber, red), and the
status a target gives a value by hand: the trust tests' independent check of a page's
colour scales (``tests/dashboards/test_dashboards_trust*.py``)."""

from __future__ import annotations

import re


def rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return tuple(int(colour[i : i + 2], 16) for i in (0, 2, 4))


def colour_at(scale: list, zmin: float, zmax: float, z: float) -> tuple[float, ...]:
    """The colour plotly draws for ``z`` (linear between the scale's stops)."""
    t = (z - zmin) / (zmax - zmin)
    t = min(max(t, 0.0), 1.0)
    for (p0, c0), (p1, c1) in zip(scale, scale[1:], strict=False):
        if p0 <= t <= p1:
            f = 0.0 if p1 == p0 else (t - p0) / (p1 - p0)
            return tuple(a + (b - a) * f for a, b in zip(rgb(c0), rgb(c1), strict=True))
    raise AssertionError(f"{t} outside the scale")


FAMILIES = {
    "good": ("#2f9e44", "#8ce99a"),
    "warn": ("#f08c00", "#ffc078"),
    "bad": ("#e03131", "#ff8787"),
}


def family(colour) -> str:
    """Which of green, amber and red a colour is nearest to."""

    def distance(hex_colour):
        return sum((a - b) ** 2 for a, b in zip(colour, rgb(hex_colour), strict=True))

    return min(FAMILIES, key=lambda f: min(distance(c) for c in FAMILIES[f]))


def hand_status(value: float, target: float, at_least: bool, tolerance: float) -> str:
    gap = value - target if at_least else target - value
    return "good" if gap >= 0 else ("warn" if gap >= -tolerance else "bad")


# A KPI's catalogue name on screen (its place is the tooltip and the exports)
KPI_NAME = re.compile(
    r"\b(?:sl_(?:offered|answered|excl_short|with_abandons)_\d+|[a-z]+_[a-z_]+_s|asa_s)\b"
)


def plain_words_on(page) -> list[str]:
    """The KPI names and seed numbers a page's body shows (none is right)."""
    body = page.locator(".page-body").inner_text()
    return sorted(set(KPI_NAME.findall(body))) + [
        w for w in ("seed", "البذرة") if w in body.lower()
    ]
