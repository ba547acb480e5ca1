"""Plotly figures of the dashboards, drawn the same way in both languages.


Plotly draws left to right; an Arabic reader's time runs right to left, so ``mirrored``
reverses the time axis, puts the value axis on the right and anchors the legend there.
Dates on an axis read in the one date format of the reader's language ('1 Sep' /
'1 سبتمبر'); text around them comes from the message catalogue. Figures carry no data of their own: they plot
rows the KPI layer returned.

Figures are built as plain dicts (``{"data": [...], "layout": {...}}``, what ``dcc.Graph``
sends to plotly.js anyway): plotly's ``go.Figure`` validates every property in Python,
which cost 50–80 ms a figure, most of a page's time. ``base`` and ``mirrored`` also take
a ``go.Figure`` for the few figures built that way.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import plotly.colors as plotly_colors
import plotly.graph_objects as go

from analytics.translation import date, is_rtl

FONT = "IBM Plex Sans Arabic, Inter, system-ui, sans-serif"
# A calm palette that stays readable for the common colour-vision deficiencies.
PALETTE = ["#1c7ed6", "#f08c00", "#2f9e44", "#ae3ec9", "#e8590c", "#0c8599", "#5c940d", "#c2255c"]
GOOD, WARN, BAD, MUTED = "#2f9e44", "#f08c00", "#e03131", "#868e96"
STATUS_COLOURS = {1: GOOD, 0: WARN, -1: BAD, None: MUTED}


# Colour scales as lists: plotly.js knows fewer names than plotly.py (no RdYlGn) and
# draws its own "Blues" the other way round.
RDYLGN = plotly_colors.diverging.RdYlGn
BLUES = plotly_colors.sequential.Blues


def _scale(colours: Sequence[str]) -> list:
    last = len(colours) - 1
    return [[i / last, c] for i, c in enumerate(colours)]


def _merge(target: dict, update: dict) -> dict:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value
    return target


def _axes(fig: dict, prefix: str) -> list[dict]:
    layout = fig["layout"]
    names = [
        k for k in layout if k == prefix or (k.startswith(prefix) and k[len(prefix) :].isdigit())
    ]
    if not names:
        layout[prefix] = {}
        names = [prefix]
    return [layout[n] for n in names]


def mirrored(fig, lang: str, *, time_axis: str = "x"):
    """``fig`` laid out for ``lang``: right to left for Arabic (time axis reversed,
    value axis on the right, legend on the right)."""
    if not is_rtl(lang):
        return fig
    if isinstance(fig, go.Figure):
        if time_axis == "x":
            fig.update_xaxes(autorange="reversed")
        fig.update_yaxes(side="right")
        fig.update_layout(legend={"x": 1, "xanchor": "right"})
        return fig
    if time_axis == "x":
        for axis in _axes(fig, "xaxis"):
            axis["autorange"] = "reversed"
    for axis in _axes(fig, "yaxis"):
        axis["side"] = "right"
    _merge(fig["layout"], {"legend": {"x": 1, "xanchor": "right"}})
    return fig


def _base_layout(height: int, title: str | None) -> dict:
    return {
        "template": "plotly_white",
        "font": {"family": FONT, "size": 13, "color": "#343a40"},
        "height": height,
        "margin": {"l": 48, "r": 48, "t": 40 if title else 12, "b": 40},
        "title": {"text": title, "x": 0.5, "font": {"size": 15}} if title else None,
        "legend": {"orientation": "h", "y": -0.18},
        "hoverlabel": {"font": {"family": FONT}},
        "colorway": PALETTE,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "xaxis": {"gridcolor": "#f1f3f5", "automargin": True},
        "yaxis": {"gridcolor": "#f1f3f5", "zerolinecolor": "#dee2e6", "automargin": True},
    }


def base(fig, *, height: int = 320, title: str | None = None):
    if isinstance(fig, go.Figure):
        layout = _base_layout(height, title)
        layout.pop("xaxis")
        layout.pop("yaxis")
        fig.update_layout(**layout)
        return fig
    _merge(fig.setdefault("layout", {}), _base_layout(height, title))
    return fig


def figure(data: list[dict], layout: dict | None = None) -> dict:
    return {"data": data, "layout": layout or {}}


def _target_line(y: float, colour: str) -> dict:
    return {
        "type": "line",
        "xref": "paper",
        "x0": 0,
        "x1": 1,
        "yref": "y",
        "y0": y,
        "y1": y,
        "line": {"dash": "dash", "color": colour, "width": 1},
    }


def _dates(values: Sequence) -> list:
    return [v.isoformat() if hasattr(v, "isoformat") else v for v in values]


def _day(value) -> dt.date | None:
    if type(value) is dt.date:
        return value
    if hasattr(value, "date"):  # datetime, pandas Timestamp
        return value.date()
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def date_axis(fig: dict, x: Sequence, lang: str, ticks: int = 8) -> dict:
    """Label a date axis in the one date format of the reader's language ('1 Sep' /
    '1 سبتمبر', ``analytics.translation.date``): at most ``ticks`` ticks, Babel's words."""
    days = [_day(v) for v in x]
    if not days or any(d is None for d in days):
        return fig
    step = max(1, math.ceil(len(days) / ticks))
    shown = days[::step]
    fig["layout"]["xaxis"].update(
        tickmode="array",
        tickvals=[d.isoformat() for d in shown],
        ticktext=[date(d, lang, "day_month") for d in shown],
    )
    return fig


def stacked_bars(
    x: Sequence, series: dict[str, Sequence], lang: str, *, title: str | None = None, height=320
) -> dict:
    """Stacked bars over time (volumes by category); ``series`` {label: values}."""
    xs = _dates(x)
    fig = figure(
        [
            {
                "type": "bar",
                "x": xs,
                "y": list(v),
                "name": label,
                "marker": {"color": PALETTE[i % len(PALETTE)]},
            }
            for i, (label, v) in enumerate(series.items())
        ],
        {"barmode": "stack", "bargap": 0.15},
    )
    base(fig, title=title, height=height)
    date_axis(fig, x, lang)
    return mirrored(fig, lang)


def lines(
    x: Sequence,
    series: dict[str, Sequence],
    lang: str,
    *,
    title: str | None = None,
    percent: bool = False,
    target: float | None = None,
    height: int = 320,
    date_ticks: bool = True,
) -> dict:
    xs = _dates(x)
    fig = figure(
        [
            {
                "type": "scatter",
                "x": xs,
                "y": list(v),
                "name": label,
                "mode": "lines+markers",
                "marker": {"size": 4},
            }
            for label, v in series.items()
        ]
    )
    base(fig, title=title, height=height)
    if target is not None:
        fig["layout"]["shapes"] = [_target_line(target, BAD)]
    if percent:
        fig["layout"]["yaxis"]["tickformat"] = ".0%"
    if date_ticks:
        date_axis(fig, x, lang)
    return mirrored(fig, lang)


def heatmap(
    z: Sequence[Sequence],
    x: Sequence[str],
    y: Sequence[str],
    lang: str,
    *,
    title: str | None = None,
    percent: bool = False,
    reverse_scale: bool = False,
    height: int = 300,
) -> dict:
    """Weekday × interval heat map (rows are weekdays, columns intervals)."""
    trace = {
        "type": "heatmap",
        "z": [list(row) for row in z],
        "x": list(x),
        "y": list(y),
        "colorscale": _scale(RDYLGN if percent else BLUES),
        "reversescale": reverse_scale,
        "hoverongaps": False,
        "colorbar": {"tickformat": ".0%" if percent else ",", "thickness": 12},
        "hovertemplate": "%{y} %{x}: %{z" + (":.1%" if percent else ":,.1f") + "}<extra></extra>",
    }
    if percent:
        trace["zmin"], trace["zmax"] = 0, 1
    fig = base(figure([trace]), title=title, height=height)
    fig["layout"]["yaxis"]["autorange"] = "reversed"  # first weekday on top
    if is_rtl(lang):
        fig["layout"]["xaxis"]["autorange"] = "reversed"
        fig["layout"]["yaxis"]["side"] = "right"
        trace["colorbar"].update({"x": -0.08, "xanchor": "right"})
    return fig


def bars_with_target(
    x: Sequence,
    values: Sequence,
    colours: Sequence[str],
    lang: str,
    *,
    title: str | None = None,
    target: float | None = None,
    percent: bool = True,
    height: int = 280,
) -> dict:
    fig = figure(
        [{"type": "bar", "x": _dates(x), "y": list(values), "marker": {"color": list(colours)}}]
    )
    base(fig, title=title, height=height)
    if target is not None:
        fig["layout"]["shapes"] = [_target_line(target, "#495057")]
    if percent:
        fig["layout"]["yaxis"].update({"tickformat": ".0%", "range": [0, 1.02]})
    return mirrored(fig, lang)


def grouped_bars(
    x: Sequence[str],
    series: dict[str, Sequence],
    lang: str,
    *,
    title: str | None = None,
    percent: bool = False,
    height: int = 300,
    empty: str | None = None,
) -> dict:
    """Bars per ``x``, a group per series. A few bars of one series carry their values
    (a zero is then a number, not a missing bar); ``empty``: the note shown instead of
    bare axes when no series has a value."""
    labelled = len(series) == 1 and len(x) <= 8
    fig = figure(
        [
            {
                "type": "bar",
                "x": list(x),
                "y": list(v),
                "name": label,
                "marker": {"color": PALETTE[i % len(PALETTE)]},
                **(
                    {"texttemplate": "%{y:.0%}" if percent else "%{y:.3~s}", "textposition": "auto"}
                    if labelled
                    else {}
                ),
            }
            for i, (label, v) in enumerate(series.items())
        ],
        {"barmode": "group"},
    )
    base(fig, title=title, height=height)
    fig["layout"]["yaxis"]["rangemode"] = "tozero"
    if percent:
        fig["layout"]["yaxis"]["tickformat"] = ".0%"
    if empty is not None and all(y is None for v in series.values() for y in v):
        fig["layout"]["xaxis"]["visible"] = fig["layout"]["yaxis"]["visible"] = False
        fig["layout"]["annotations"] = [
            {
                "text": empty,
                "showarrow": False,
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
            }
        ]
    return mirrored(fig, lang)
