"""Plotly figures of the dashboards, drawn the same way in both languages.

Plotly draws left to right; an Arabic reader's time runs right to left, so ``mirrored``
reverses the time axis, puts the value axis on the right and anchors the legend there.
Dates are shown as numbers (``%d/%m``) so they read the same in both languages; text
around them comes from the words modules. Figures carry no data of their own: they plot
rows the KPI layer returned.
"""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

FONT = "IBM Plex Sans Arabic, Inter, system-ui, sans-serif"
# A calm palette that stays readable for the common colour-vision deficiencies.
PALETTE = ["#1c7ed6", "#f08c00", "#2f9e44", "#ae3ec9", "#e8590c", "#0c8599", "#5c940d", "#c2255c"]
GOOD, WARN, BAD, MUTED = "#2f9e44", "#f08c00", "#e03131", "#868e96"
STATUS_COLOURS = {1: GOOD, 0: WARN, -1: BAD, None: MUTED}


def mirrored(fig: go.Figure, lang: str, *, time_axis: str = "x") -> go.Figure:
    """``fig`` laid out for ``lang``: right to left for Arabic (time axis reversed,
    value axis on the right, legend on the right)."""
    if lang == "ar":
        if time_axis == "x":
            fig.update_xaxes(autorange="reversed")
            fig.update_yaxes(side="right")
        else:
            fig.update_yaxes(side="right")
        fig.update_layout(legend={"x": 1, "xanchor": "right"})
    return fig


def base(fig: go.Figure, *, height: int = 320, title: str | None = None) -> go.Figure:
    fig.update_layout(
        template="plotly_white",
        font={"family": FONT, "size": 13, "color": "#343a40"},
        height=height,
        margin={"l": 48, "r": 48, "t": 40 if title else 12, "b": 40},
        title={"text": title, "x": 0.5, "font": {"size": 15}} if title else None,
        legend={"orientation": "h", "y": -0.18},
        hoverlabel={"font": {"family": FONT}},
        colorway=PALETTE,
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
    )
    return fig


def sparkline(days: Sequence, values: Sequence, lang: str, colour: str = PALETTE[0]) -> go.Figure:
    """A 30-day trend without axes, for a tile."""
    fig = go.Figure(
        go.Scatter(
            x=list(days),
            y=list(values),
            mode="lines",
            line={"color": colour, "width": 2},
            fill="tozeroy",
            fillcolor="rgba(28,126,214,0.08)",
            hovertemplate="%{x|%d/%m}: %{y}<extra></extra>",
            connectgaps=False,
        )
    )
    fig.update_layout(
        height=56,
        margin={"l": 0, "r": 0, "t": 2, "b": 2},
        xaxis={"visible": False, "autorange": "reversed" if lang == "ar" else True},
        yaxis={"visible": False},
        showlegend=False,
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
    )
    return fig


def stacked_bars(
    x: Sequence, series: dict[str, Sequence], lang: str, *, title: str | None = None, height=320
) -> go.Figure:
    """Stacked bars over time (volumes by category); ``series`` {label: values}."""
    fig = go.Figure(
        [
            go.Bar(x=list(x), y=list(values), name=label, marker_color=PALETTE[i % len(PALETTE)])
            for i, (label, values) in enumerate(series.items())
        ]
    )
    fig.update_layout(barmode="stack", bargap=0.15)
    fig.update_xaxes(tickformat="%d/%m")
    return mirrored(base(fig, title=title, height=height), lang)


def lines(
    x: Sequence,
    series: dict[str, Sequence],
    lang: str,
    *,
    title: str | None = None,
    percent: bool = False,
    target: float | None = None,
    height: int = 320,
    date_ticks: str | None = "%d/%m",
) -> go.Figure:
    fig = go.Figure(
        [
            go.Scatter(x=list(x), y=list(v), name=label, mode="lines+markers", marker={"size": 4})
            for label, v in series.items()
        ]
    )
    if target is not None:
        fig.add_hline(y=target, line={"dash": "dash", "color": BAD, "width": 1})
    if percent:
        fig.update_yaxes(tickformat=".0%")
    if date_ticks:
        fig.update_xaxes(tickformat=date_ticks)
    return mirrored(base(fig, title=title, height=height), lang)


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
) -> go.Figure:
    """Weekday × interval heat map (rows are weekdays, columns intervals)."""
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=list(x),
            y=list(y),
            colorscale="RdYlGn" if percent else "Blues",
            reversescale=reverse_scale,
            zmin=0 if percent else None,
            zmax=1 if percent else None,
            hoverongaps=False,
            colorbar={"tickformat": ".0%" if percent else ",", "thickness": 12},
            hovertemplate="%{y} %{x}: %{z" + (":.1%" if percent else ":,.1f") + "}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")  # first weekday on top
    if lang == "ar":
        fig.update_xaxes(autorange="reversed")
        fig.update_yaxes(side="right")
        fig.update_traces(colorbar={"x": -0.08, "xanchor": "right"})
    return base(fig, title=title, height=height)


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
) -> go.Figure:
    fig = go.Figure(go.Bar(x=list(x), y=list(values), marker_color=list(colours)))
    if target is not None:
        fig.add_hline(y=target, line={"dash": "dash", "color": "#495057", "width": 1})
    if percent:
        fig.update_yaxes(tickformat=".0%", range=[0, 1.02])
    return mirrored(base(fig, title=title, height=height), lang)


def grouped_bars(
    x: Sequence[str],
    series: dict[str, Sequence],
    lang: str,
    *,
    title: str | None = None,
    percent: bool = False,
    height: int = 300,
) -> go.Figure:
    fig = go.Figure(
        [
            go.Bar(x=list(x), y=list(v), name=label, marker_color=PALETTE[i % len(PALETTE)])
            for i, (label, v) in enumerate(series.items())
        ]
    )
    fig.update_layout(barmode="group")
    if percent:
        fig.update_yaxes(tickformat=".0%")
    return mirrored(base(fig, title=title, height=height), lang)
