"""KPI tables (dash-ag-grid): sortable, right to left in Arabic, numbers formatted by kind.

Cells keep the KPI layer's raw numbers (so sorting is numeric); a value formatter shows
ratios as percentages, seconds with one decimal and counts with thousands separators,
and a missing ratio (no denominator) as an em dash.
"""

from __future__ import annotations

from collections.abc import Sequence

import dash_ag_grid as dag

from analytics.exports.i18n import Labels
from analytics.kpi.catalogue import fmt_of

_FORMATS = {
    "ratio": "params.value == null ? '—' : (params.value * 100).toFixed(1) + '%'",
    "seconds": "params.value == null ? '—' : params.value.toFixed(1)",
    "hours": "params.value == null ? '—' : params.value.toFixed(1)",
    "days": "params.value == null ? '—' : params.value.toFixed(2)",
    "count": "params.value == null ? '—' : Math.round(params.value).toLocaleString('en')",
}


def kpi_column(name: str, labels: Labels, **extra) -> dict:
    kind = fmt_of(name)
    return {
        "field": name,
        "headerName": labels.column(name),
        "headerTooltip": f"{labels.kpi(name)} — {name}",
        "valueFormatter": {"function": _FORMATS[kind]},
        "type": "numericColumn",
        "minWidth": 120,  # room for the longest word of a wrapped header ("abandoned")
        **extra,
    }


def kpi_grid(
    grid_id: str | dict,
    rows: Sequence[dict],
    key_columns: Sequence[dict],
    kpis: Sequence[str],
    labels: Labels,
    *,
    height: int | None = None,
    row_selection: bool = False,
) -> dag.AgGrid:
    """A grid of ``rows`` with ``key_columns`` (plain column defs) then one column a KPI."""
    columns = [*key_columns, *(kpi_column(k, labels) for k in kpis)]
    options = {
        "enableRtl": labels.rtl,
        "domLayout": "autoHeight" if height is None else "normal",
        "tooltipShowDelay": 300,
        "suppressCellFocus": not row_selection,
    }
    if row_selection:
        options["rowSelection"] = {"mode": "singleRow", "enableClickSelection": True}
        options["rowStyle"] = {"cursor": "pointer"}
    style = {"height": f"{height}px"} if height else {}
    return dag.AgGrid(
        id=grid_id,
        rowData=list(rows),
        columnDefs=columns,
        defaultColDef={
            "sortable": True,
            "resizable": True,
            "filter": False,
            "flex": 1,
            "wrapHeaderText": True,
            "autoHeaderHeight": True,
        },
        dashGridOptions=options,
        style=style,
    )
