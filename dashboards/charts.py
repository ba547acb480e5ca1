"""Plotly figures of the dashboards, drawn the same way in both languages.


Plotly draws left to right; an Arabic reader's time runs right to left, so ``mirrored``
reverses the time axis, puts the value axis on the right and anchors the legend there.
Dates on an axis read in the one date format of the reader's language ('1 Sep' /
'1 سبتمبر'); text around them comes from the message catalogue. Figures carry no data of their own: they plot
rows the KPI layer returned.

Figures are built as plain dicts (``{"data": [...], "layout": {...}}``, what ``dcc.Graph``
sends to plotly.js anyway): plotly's ``go.Figure`` validates every property in Python,
which cost most of a page's time (docs/measurements.md). ``base`` and ``mirrored`` also take
a ``go.Figure`` for the few figures built that way.
"""

from __future__ import annotations

import datetime as dt
import math
import textwrap
from collections.abc import Sequence
from urllib.parse import quote

import plotly.colors as plotly_colors
import plotly.graph_objects as go

from analytics.translation import date, is_rtl, number
from dashboards.units import Unit

FONT = "IBM Plex Sans Arabic, Inter, system-ui, sans-serif"
# A calm palette that stays readable for the common colour-vision deficiencies.
PALETTE = ["#1c7ed6", "#f08c00", "#2f9e44", "#ae3ec9", "#e8590c", "#0c8599", "#5c940d", "#c2255c"]
GOOD, WARN, BAD, MUTED = "#2f9e44", "#f08c00", "#e03131", "#868e96"
STATUS_COLOURS = {1: GOOD, 0: WARN, -1: BAD, None: MUTED}


# Colour scales as lists: plotly.js knows fewer names than plotly.py (no RdYlGn) and
# draws its own "Blues" the other way round.
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


# A title longer than this goes on more lines: plotly does not wrap one, and on a phone
# (a 390 px screen) a one-line title was cut at both ends.
TITLE_LINE = 38


def _title_lines(title: str | None) -> list[str]:
    """``title`` on lines of at most about ``TITLE_LINE`` characters: at its own break
    (" — ", ": ", ", ") when both parts fit, else in lines of even length (a date or
    "caller category" was split with one word left over on the second line)."""
    if not title:
        return []
    if len(title) <= TITLE_LINE:
        return [title]
    for sep in (" — ", ": ", ", "):
        head, found, tail = title.partition(sep)
        if found and len(head) < TITLE_LINE and 0 < len(tail) <= TITLE_LINE:
            return [head + found.rstrip(), tail]
    lines = math.ceil(len(title) / TITLE_LINE)
    return textwrap.wrap(title, math.ceil(len(title) / lines) + 4) or [title]


def _base_layout(height: int, title: str | None) -> dict:
    lines = _title_lines(title)
    return {
        "template": "plotly_white",
        "font": {"family": FONT, "size": 13, "color": "#343a40"},
        "height": height + 18 * max(len(lines) - 1, 0),
        "margin": {"l": 48, "r": 48, "t": 22 + 18 * len(lines) if lines else 12, "b": 40},
        "title": {"text": "<br>".join(lines), "x": 0.5, "font": {"size": 15}} if lines else None,
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


def target_legend(x: Sequence, y: float, text: str, colour: str, **trace) -> dict:
    """The target as a dashed line from the first ``x`` to the last with its words
    ("Target ≥ 80.0%") in the legend: a note on the line itself sat over the bars that
    reach it (issue #25)."""
    return {
        "type": "scatter",
        "x": [x[0], x[-1]] if len(x) else [],
        "y": [y, y] if len(x) else [],
        "mode": "lines",
        "line": {"dash": "dash", "color": colour, "width": 1},
        "name": text,
        "hoverinfo": "skip",
        **trace,
    }


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


def date_axis(fig: dict, x: Sequence, lang: str, form: str = "day_month", ticks: int = 8) -> dict:
    """Label a date axis in the one date format of the reader's language ('1 Sep' /
    '1 سبتمبر'; ``form`` one of ``analytics.translation.DATE_FORMS``, 'month' for a
    trend over months): at most ``ticks`` ticks, Babel's words."""
    days = [_day(v) for v in x]
    if not days or any(d is None for d in days):
        return fig
    step = max(1, math.ceil(len(days) / ticks))
    shown = days[::step]
    fig["layout"]["xaxis"].update(
        tickmode="array",
        tickvals=[d.isoformat() for d in shown],
        ticktext=[date(d, lang, form) for d in shown],
    )
    return fig


def stacked_bars(
    x: Sequence,
    series: dict[str, Sequence],
    lang: str,
    *,
    title: str | None = None,
    height=320,
    unit: Unit | None = None,
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
                **_counted(v, unit, lang, 0, "%{x|%d/%m}: %{customdata}"),
            }
            for i, (label, v) in enumerate(series.items())
        ],
        {"barmode": "stack", "bargap": 0.15},
    )
    base(fig, title=title, height=height)
    date_axis(fig, x, lang)
    _unit_axis(fig, unit)
    return mirrored(fig, lang)


def _unit_axis(fig: dict, unit: Unit | None, axis: str = "yaxis") -> None:
    """The value axis titled with its unit ("calls", "working days"), counts without
    decimals or SI prefixes."""
    if unit:
        fig["layout"][axis]["title"] = {"text": unit.words, "font": {"size": 12}}


def valued(values: Sequence, unit: Unit, lang: str, decimals: int) -> list:
    """Each value as the reader reads it with its unit ("1 call", "208 calls", Arabic's
    six forms: ``dashboards.units``), the form chosen for the number shown."""
    return [
        None if v is None else unit.of(round(v, decimals), number(v, lang, decimals))
        for v in values
    ]


def _counted(values: Sequence, unit: Unit | None, lang: str, decimals: int, hover: str):
    """A trace's values with their unit in ``customdata`` and its ``hover`` template (that
    reads ``%{customdata}``); nothing without a unit."""
    if unit is None:
        return {}
    return {"customdata": valued(values, unit, lang, decimals), "hovertemplate": hover}


def lines(
    x: Sequence,
    series: dict[str, Sequence],
    lang: str,
    *,
    title: str | None = None,
    percent: bool = False,
    target: float | None = None,
    height: int = 320,
    date_ticks: str | None = "day_month",
    unit: Unit | None = None,
    decimals: int | None = None,
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
    elif decimals is not None:
        fig["layout"]["yaxis"]["tickformat"] = f",.{decimals}f"
        for trace in fig["data"]:
            trace["hovertemplate"] = "%{x|%d/%m}: %{y:,." + str(decimals) + "f}"
            trace.update(_counted(trace["y"], unit, lang, decimals, "%{x|%d/%m}: %{customdata}"))
    if date_ticks:
        date_axis(fig, x, lang, date_ticks)
    _unit_axis(fig, unit)
    return mirrored(fig, lang)


def heatmap(
    z: Sequence[Sequence],
    x: Sequence[str],
    y: Sequence[str],
    lang: str,
    *,
    title: str | None = None,
    percent: bool = False,
    target=None,
    legend: str | None = None,
    unit: Unit | None = None,
    height: int = 300,
) -> dict:
    """Weekday × interval heat map (rows are weekdays, columns intervals).

    With a ``target`` (``analytics.exports.report.Target``) the colours change at the
    target: green meets it, amber within the tolerance, red misses it, whatever the
    direction; ``legend`` (the colour bar's title) says the target. Without one (a
    volume) the scale is a single blue. Counts show without decimals, ``unit`` after."""
    from dashboards.targets import heat_range, target_colourscale

    values = [v for row in z for v in row if v is not None]
    trace = {
        "type": "heatmap",
        "z": [list(row) for row in z],
        "x": list(x),
        "y": list(y),
        "hoverongaps": False,
        "colorbar": {"tickformat": ".0%" if percent else ",.0f", "thickness": 12},
        "hovertemplate": "%{y} %{x}: %{z" + (":.1%" if percent else ":,.0f") + "}<extra></extra>",
    }
    if unit is not None and not percent:
        trace["customdata"] = [valued(row, unit, lang, 0) for row in z]
        trace["hovertemplate"] = "%{y} %{x}: %{customdata}<extra></extra>"
    if target is not None and values:
        zmin, zmax = heat_range(target, values)
        trace.update(zmin=zmin, zmax=zmax, colorscale=target_colourscale(target, zmin, zmax))
        trace["colorbar"]["tickvals"] = sorted({zmin, target.value, zmax})
    else:
        trace["colorscale"] = _scale(BLUES)
    if legend:
        trace["colorbar"]["title"] = {"text": legend, "side": "top", "font": {"size": 12}}
    fig = base(figure([trace]), title=title, height=height)
    fig["layout"]["yaxis"]["autorange"] = "reversed"  # first weekday on top
    # the hours only, upright (rotated "16:30" labels were cut to "16:3"), and every
    # second or third of a long day: ten or more labels ran into each other on a phone
    hours = [v for v in x if str(v).endswith(":00")]
    if hours and len(hours) < len(x):
        # the colour bar takes a fifth of a phone's width: five labels at most
        step = 1 if len(hours) <= 5 else 2 if len(hours) <= 8 else 3
        fig["layout"]["xaxis"].update({"tickvals": hours[::step], "tickangle": 0})
    if is_rtl(lang):
        fig["layout"]["xaxis"]["autorange"] = "reversed"
        fig["layout"]["yaxis"]["side"] = "right"
        fig["layout"]["margin"]["r"] = 90  # the weekdays' names whole ("الخميس")
        trace["colorbar"].update({"x": -0.08, "xanchor": "right"})
        if legend:
            # its title on two lines, and room for it left of the bar: on one line it lay
            # over the map's first columns
            head, _, tail = legend.partition(" ")
            trace["colorbar"]["title"]["text"] = f"{head}<br>{tail}" if tail else head
            trace["colorbar"]["x"] = -0.12
            fig["layout"]["margin"]["l"] = 80
    return fig


def bars_with_target(
    x: Sequence,
    values: Sequence,
    colours: Sequence[str],
    lang: str,
    *,
    title: str | None = None,
    target: float | None = None,
    target_label: str | None = None,
    percent: bool = True,
    height: int = 280,
) -> dict:
    """Bars coloured by their status against the target (``colours``), the target as a
    dashed line with its words (``target_label``: "Target ≥ 80.0%")."""
    fig = figure(
        [{"type": "bar", "x": _dates(x), "y": list(values), "marker": {"color": list(colours)}}]
    )
    base(fig, title=title, height=height)
    if target_label and target is not None:
        fig["data"][0]["showlegend"] = False
        fig["data"].append(target_legend(_dates(x), target, target_label, "#495057"))
        # the legend at the figure's foot, under the (rotated) times, not over them
        fig["layout"]["height"] = height + 30
        fig["layout"]["margin"]["b"] = 95
        fig["layout"]["legend"].update({"yref": "container", "y": 0.01, "yanchor": "bottom"})
    elif target is not None:
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
    decimals: int = 0,
    unit: Unit | None = None,
    horizontal: bool = False,
    colours: Sequence[str] | None = None,
    height: int = 300,
    empty: str | None = None,
) -> dict:
    """Bars per ``x``, a group per series. A few bars of one series carry their values
    (a zero is then a number, not a missing bar) with ``decimals`` and ``unit`` (never an
    SI prefix: 0.3 hours is "0.3 h", not "264m"); the value axis is titled with the unit.
    ``horizontal``: one bar a row, names on the left (long site names do not collide);
    ``colours``: one colour a bar (a single series); ``empty``: the note shown instead
    of bare axes when no series has a value."""
    labelled = len(series) == 1 and len(x) <= 12
    shown = ".0%" if percent else f",.{decimals}f"
    value_axis, name_axis = ("x", "y") if horizontal else ("y", "x")
    if horizontal:  # long names on two or three lines: the bars keep room on a phone
        x = ["<br>".join(textwrap.wrap(str(n), 20)) or str(n) for n in x]
    counted = unit is not None and not percent
    text = "%{customdata}" if counted else "%{" + value_axis + ":" + shown + "}"
    fig = figure(
        [
            {
                "type": "bar",
                value_axis: list(v),
                name_axis: list(x),
                "orientation": "h" if horizontal else "v",
                "name": label,
                "marker": {
                    "color": list(colours) if colours else PALETTE[i % len(PALETTE)],
                },
                "hovertemplate": "%{" + name_axis + "}: " + text + "<extra></extra>",
                **({"customdata": valued(v, unit, lang, decimals)} if counted else {}),
                **({"texttemplate": text, "textposition": "auto"} if labelled else {}),
            }
            for i, (label, v) in enumerate(series.items())
        ],
        {"barmode": "group"},
    )
    base(fig, title=title, height=height)
    axis = fig["layout"][f"{value_axis}axis"]
    axis["rangemode"] = "tozero"
    axis["tickformat"] = ".0%" if percent else ",.2~f"  # no "0.1, 0.1" from rounding
    if counted:
        axis["title"] = {"text": unit.words, "font": {"size": 12}}
    if horizontal:
        fig["layout"]["yaxis"]["autorange"] = "reversed"  # first row on top
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
    if horizontal:
        if is_rtl(lang):  # bars grow from the right, names on the right
            fig["layout"]["xaxis"]["autorange"] = "reversed"
            fig["layout"]["yaxis"]["side"] = "right"
            # room for the longest name: automargin measures right-to-left text short
            longest = max((len(line) for n in x for line in str(n).split("<br>")), default=0)
            fig["layout"]["margin"]["r"] = min(30 + 7 * longest, 240)
        return fig
    return mirrored(fig, lang)


def sparkline_src(values: Sequence[float | None], colour: str) -> str:
    """A tile's trend as a tiny SVG image (a ``data:`` URL): the line over the filled
    area beneath it, scaled to the values' range, broken where a value is missing.

    Why not a chart component: the Overview shows some 25 of them, and Mantine's
    sparkline (recharts, measured and drawn twice by its responsive container) was most
    of the page's drawing time in the browser on a first load. The image stretches to
    the tile's width; the stroke keeps its width (``non-scaling-stroke``)."""
    shown = [v for v in values if v is not None and math.isfinite(v)]
    width = max(len(values) - 1, 1)
    lo, hi = (min(shown), max(shown)) if shown else (0.0, 0.0)

    def y(v: float) -> float:  # 4..96 of 100: the stroke stays inside
        return 50.0 if hi == lo else 4 + (hi - v) / (hi - lo) * 92

    runs, run = [], []
    for i, v in enumerate(values):
        if v is None or not math.isfinite(v):
            if run:
                runs.append(run)
            run = []
        else:
            run.append((i if len(values) > 1 else 0.5, y(v)))
    if run:
        runs.append(run)
    paths = []
    for run in runs:
        if len(run) == 1:  # a lone value: a short dash
            ((x, at),) = run
            run = [(max(x - 0.3, 0), at), (min(x + 0.3, width), at)]
        line = " ".join(f"{x:g},{at:.1f}" for x, at in run)
        area = f"M{run[0][0]:g},100 L{line} L{run[-1][0]:g},100 Z"
        paths.append(f'<path d="{area}" fill="{colour}" fill-opacity="0.12"/>')
        paths.append(
            f'<path d="M{line}" fill="none" stroke="{colour}" stroke-width="1.6" '
            'stroke-linejoin="round" vector-effect="non-scaling-stroke"/>'
        )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} 100" '
        f'preserveAspectRatio="none">{"".join(paths)}</svg>'
    )
    return "data:image/svg+xml," + quote(svg)
