"""KPI tiles: a headline figure with its target, trend and the formula behind it.

Every headline figure is an element with ``data-kpi="<KPI name>"`` whose text is the
formatted value. Hovering (or tapping) a tile shows its definition with the numbers
that make it: "answer_rate_excl_short = answered / (offered − short_abandoned) = a / (b − c)
= x%", the fraction the catalogue declares (``analytics.kpi.catalogue``). The numbers
are the KPI layer's counts for the same row; a tile never recomputes a KPI, it only
writes out the fraction the KPI layer's figure is.
"""

from __future__ import annotations

from collections.abc import Sequence

from dash import html

from analytics.exports.i18n import Labels
from analytics.exports.report import Target
from analytics.kpi.catalogue import find, format_change, format_value
from analytics.translation import date, is_rtl
from dashboards import charts
from dashboards.targets import direction, isolate, target_text
from dashboards.words import words


def _n(value) -> str:
    return f"{int(round(value)):,}"


def formula(name: str, row: dict, lang: str) -> str | None:
    """The fraction behind ``row[name]`` with its numbers, or None for a plain count:
    the catalogue's numerator and denominator filled in from the same row."""
    value = row.get(name)
    shown = format_value(name, value, lang)
    w = words(lang)
    if name == "offered" and row.get("offered") is not None:
        return (
            f"offered = answered + abandoned + timed_out = {_n(row.get('answered'))} + "
            f"{_n(row.get('abandoned'))} + {_n(row.get('timed_out') or 0)} = {_n(row['offered'])}"
        )
    found = find(name)
    if found is None or not found[0].denominator or found[0].subject != "calls":
        if name == "sla_met_rate" and value is not None:
            return "sla_met_rate = resolved within the SLA / (resolved or past their deadline)"
        return None
    k, t = found
    terms = [(term[1:], " − ") if term.startswith("-") else (term, "") for term in k.denominator]
    if any(row.get(term) is None for term, _ in terms):
        return None
    if k.kind == "percentile":
        if value is None:
            return None
        return (
            f"{name} = 90th percentile of the waits of {_n(row[k.denominator[0]])} answered calls"
        )
    denominator = k.denominator_of(row)
    if k.kind == "duration":
        if value is None:
            return None
        return (
            f"{name} = total {k.what} / {k.denominator[0]} = {value * denominator:,.0f} s / "
            f"{_n(denominator)} = {format_value(name, value, 'en')}"
        )
    if value is None:
        return f"{name}: {w['denominator_zero']}"
    words_of = "".join(sep + term for term, sep in terms)
    if len(terms) > 1:
        words_of = f"({words_of})"
    if k.numerator:  # a count of its own: both sides' numbers
        numbers = "".join(sep + _n(row[term]) for term, sep in terms)
        numbers = f"({numbers})" if len(terms) > 1 else numbers
        return f"{name} = {k.numerator[0]} / {words_of} = {_n(row[k.numerator[0]])} / {numbers} = {shown}"
    return (
        f"{name} = {k.what.format(t=t)} / {words_of} = {_n(value * denominator)} / "
        f"{_n(denominator)} = {shown}"
    )


def status_of(name: str, value, targets: dict[str, Target]) -> int | None:
    target = targets.get(name)
    return target.status(value) if target else None


_STATUS_NAMES = {1: "good", 0: "warn", -1: "bad", None: "none"}


def change_line(name: str, value, other: dict | None, text: str, lang: str):
    """ "▲ +1.2 pts vs August 2026", green when the change is for the better (the KPI's
    direction), red when for the worse, grey when neither; None without a value to
    compare with."""
    before = other.get(name) if other else None
    if value is None or before is None:
        return None
    delta = value - before
    shown = format_change(name, delta, lang)
    if not any(c in "123456789" for c in shown):  # "+0.0 s": no change at the shown precision
        delta = 0.0
    way = direction(name)
    better = None if way is None or delta == 0 else (delta * way > 0)
    arrow = "▲" if delta > 0 else ("▼" if delta < 0 else "=")
    tone = "same" if better is None else ("better" if better else "worse")
    return html.Div(
        [
            html.Span(
                isolate(f"{arrow} {format_change(name, delta, lang)}", lang),
                className=f"chg-{tone}",
            ),
            " ",
            html.Span(text, className="chg-what"),
        ],
        className="kpi-change",
        **{"data-change": tone},
    )


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
    compare: Sequence[tuple[str, dict | None]] = (),
) -> html.Div:
    """A tile for ``row[name]``: label, the value in an element with ``data-kpi``,
    the target, its status and the gap to it, its change against each ``compare`` row
    ((words, row of another period), e.g. the previous month and the year before; a
    missing row is left out), an optional 30-day sparkline, and on hover the
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
        gap = format_change(name, value - target.value, lang) if value is not None else None
        body.append(
            html.Div(
                target_text(name, target, lang, w["target"])
                + (f" · {isolate(gap, lang)}" if gap else ""),
                className="kpi-target",
            )
        )
    changes = [change_line(name, value, other, text, lang) for text, other in compare]
    changes = [c for c in changes if c is not None]
    if changes:
        body.append(html.Div(changes, className="kpi-changes"))
    if note:
        body.append(html.Div(note, className="kpi-note"))
    if spark is not None and spark[0]:
        values = list(spark[1])
        if is_rtl(lang):  # time runs right to left
            values.reverse()
        body.append(
            html.Div(
                html.Img(
                    src=charts.sparkline_src(values, charts.STATUS_COLOURS[status]),
                    alt="",
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
