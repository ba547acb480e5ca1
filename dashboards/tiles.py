"""KPI tiles: a headline figure with its target, trend and the formula behind it.

Every headline figure is an element with ``data-kpi="<KPI name>"`` whose text is the
formatted value. Hovering (or tapping) a tile shows its definition with the numbers
that make it: "answer_rate_excl_short = 10,073 / (11,064 − 868) = 98.9%". The numbers
are the KPI layer's counts for the same row; a tile never recomputes a KPI, it only
writes out the fraction the KPI layer's figure is.
"""

from __future__ import annotations

import re

import dash_mantine_components as dmc
from dash import html

from analytics.exports.i18n import Labels, format_value
from analytics.exports.report import Target
from analytics.translation import date, is_rtl
from dashboards import charts
from dashboards.words import words

_SL = re.compile(r"^(sl_answered|sl_offered|sl_excl_short|sl_with_abandons)_(.+)$")


def _n(value) -> str:
    return f"{int(round(value)):,}"


def formula(name: str, row: dict, lang: str) -> str | None:
    """The fraction behind ``row[name]`` with its numbers, or None for a plain count."""
    value = row.get(name)
    shown = format_value(name, value, lang)
    offered, answered = row.get("offered"), row.get("answered")
    abandoned, short = row.get("abandoned"), row.get("short_abandoned")
    w = words(lang)
    if name == "offered" and offered is not None:
        return (
            f"offered = answered + abandoned + timed_out = {_n(answered)} + {_n(abandoned)}"
            f" + {_n(row.get('timed_out') or 0)} = {_n(offered)}"
        )
    if name in ("answer_rate", "abandon_rate", "answer_rate_excl_short") and offered is not None:
        if value is None:
            return f"{name}: {w['denominator_zero']}"
        if name == "answer_rate":
            return f"answer_rate = answered / offered = {_n(answered)} / {_n(offered)} = {shown}"
        if name == "abandon_rate":
            return f"abandon_rate = abandoned / offered = {_n(abandoned)} / {_n(offered)} = {shown}"
        return (
            f"answer_rate_excl_short = answered / (offered − short_abandoned) = "
            f"{_n(answered)} / ({_n(offered)} − {_n(short)}) = {shown}"
        )
    if m := _SL.match(name):
        if offered is None:
            return None
        variant, t = m.groups()
        if value is None:
            return f"{name}: {w['denominator_zero']}"
        denominators = {
            "sl_answered": ("answered", answered),
            "sl_offered": ("offered", offered),
            "sl_excl_short": ("(offered − short_abandoned)", offered - short),
            "sl_with_abandons": ("offered", offered),
        }
        label, denominator = denominators[variant]
        numerator = (
            "answered within {t} s"
            if variant != "sl_with_abandons"
            else ("(answered + abandoned) within {t} s")
        )
        return (
            f"{name} = {numerator.format(t=t)} / {label} = {_n(value * denominator)} / "
            f"{_n(denominator)} = {shown}"
        )
    means = {
        "asa_s": ("wait of answered calls", "answered"),
        "aht_s": ("talk + hold + after-call work of answered calls", "answered"),
        "avg_abandon_wait_s": ("wait of abandoned calls", "abandoned"),
    }
    if name in means and value is not None:
        what, count = means[name]
        n = row.get(count) or 0
        return (
            f"{name} = total {what} / {count} = {value * n:,.0f} s / {_n(n)} = "
            f"{format_value(name, value, 'en')}"
        )
    if name == "p90_wait_s" and value is not None:
        return f"p90_wait_s = 90th percentile of the waits of {_n(answered)} answered calls"
    if name == "sla_met_rate" and value is not None:
        return "sla_met_rate = resolved within the SLA / (resolved or past their deadline)"
    return None


def status_of(name: str, value, targets: dict[str, Target]) -> int | None:
    target = targets.get(name)
    return target.status(value) if target else None


_STATUS_NAMES = {1: "good", 0: "warn", -1: "bad", None: "none"}


def kpi_tile(
    name: str,
    row: dict,
    labels: Labels,
    *,
    targets: dict[str, Target] | None = None,
    definition: str = "",
    spark: tuple[list, list] | None = None,
    note: str | None = None,
    size: str = "md",
    id_prefix: str = "",
) -> html.Div:
    """A tile for ``row[name]``: label, the value in an element with ``data-kpi``,
    the target and its status, an optional 30-day sparkline, and on hover the
    definition and the numbers behind it."""
    lang = labels.lang
    value = row.get(name)
    targets = targets or {}
    status = status_of(name, value, targets)
    target = targets.get(name)
    w = words(lang)
    attrs = {"data-kpi": name, "data-status": _STATUS_NAMES[status]}
    if id_prefix:
        attrs["id"] = f"{id_prefix}{name}"
    value_el = html.Div(format_value(name, value, lang), className=f"kpi-value kpi-{size}", **attrs)
    body = [
        html.Div(
            [html.Span(labels.kpi(name), className="kpi-label")],
            className="kpi-head",
        ),
        value_el,
    ]
    if target is not None:
        sign = "≥" if target.at_least else "≤"
        body.append(
            html.Div(
                f"{w['target']} {sign} {format_value(name, target.value, lang)}",
                className="kpi-target",
            )
        )
    if note:
        body.append(html.Div(note, className="kpi-note"))
    if spark is not None and spark[0]:
        values = list(spark[1])
        if is_rtl(lang):  # time runs right to left
            values.reverse()
        body.append(
            html.Div(
                dmc.Sparkline(
                    data=values,
                    h=44,
                    w="100%",
                    curveType="linear",
                    color=charts.STATUS_COLOURS[status],
                    fillOpacity=0.12,
                    strokeWidth=1.6,
                    connectNulls=False,
                ),
                className="kpi-spark",
                title=f"{date(spark[0][0], lang, 'short')} – {date(spark[0][-1], lang, 'short')}",
            )
        )
    explained = formula(name, row, lang)
    # the KPI's name (the contract: exports' definitions, cca kpi) is for the curious: in
    # the tooltip, not on the tile
    pop = [
        html.Div(w["formula"], className="formula-title"),
        html.Div(name, className="kpi-name", dir="ltr"),
    ]
    if explained:
        pop.append(html.Div(explained, className="formula", dir="ltr"))
    if definition:
        pop.append(html.Div(definition, className="formula-definition"))
    body.append(html.Div(pop, className="formula-pop", role="tooltip"))
    # a hover (or a tap, which focuses the tile) shows the formula: CSS, no round trip
    return html.Div(body, className=f"kpi-tile status-{_STATUS_NAMES[status]}", tabIndex="0")
