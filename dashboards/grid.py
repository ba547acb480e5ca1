"""Tables (dash-ag-grid): every grid of the app is made by ``ag_grid``, right to left and
in the reader's words in Arabic; KPI tables (``kpi_grid``) are sortable, numbers formatted
by kind.

AG Grid writes its own words (the pagination footer "Page 1 of 25", "1 to 20 of 500",
"Page Size:", the filter's "Contains"): ``ag_grid`` gives it ``localeText`` from the one
message catalogue (``LOCALE_TEXT``: AG Grid's locale keys, as its
``AG_GRID_LOCALE_EN`` names them, with their English) and ``enableRtl`` from
``analytics.translation.is_rtl``.

Cells keep the KPI layer's raw numbers (so sorting is numeric); a value formatter shows
ratios as percentages, seconds with one decimal and counts with thousands separators,
and a missing ratio (no denominator) as an em dash.
"""

from __future__ import annotations

from collections.abc import Sequence

import dash_ag_grid as dag

from analytics.exports.i18n import Labels
from analytics.kpi.catalogue import fmt_of
from analytics.translation import NP_, is_rtl, pgettext

# AG Grid's locale keys and their English (the defaults of its community bundle): the
# pagination footer, the overlays, and the text filter of the grids that filter.
LOCALE_TEXT = {
    "page": NP_("grid", "Page"),
    "of": NP_("grid", "of"),
    "to": NP_("grid", "to"),
    "more": NP_("grid", "more"),
    "pageSizeSelectorLabel": NP_("grid", "Page Size:"),
    "ariaPageSizeSelectorLabel": NP_("grid", "Page Size"),
    "firstPage": NP_("grid", "First Page"),
    "previousPage": NP_("grid", "Previous Page"),
    "nextPage": NP_("grid", "Next Page"),
    "lastPage": NP_("grid", "Last Page"),
    "noRowsToShow": NP_("grid", "No Rows To Show"),
    "loadingOoo": NP_("grid", "Loading..."),
    "columnFilter": NP_("grid", "Column Filter"),
    "filterOoo": NP_("grid", "Filter..."),
    "empty": NP_("grid", "Choose one"),
    "equals": NP_("grid", "Equals"),
    "notEqual": NP_("grid", "Does not equal"),
    "contains": NP_("grid", "Contains"),
    "notContains": NP_("grid", "Does not contain"),
    "startsWith": NP_("grid", "Begins with"),
    "endsWith": NP_("grid", "Ends with"),
    "blank": NP_("grid", "Blank"),
    "notBlank": NP_("grid", "Not blank"),
    "andCondition": NP_("grid", "AND"),
    "orCondition": NP_("grid", "OR"),
}


def locale_text(lang: str) -> dict[str, str]:
    """AG Grid's ``localeText`` in ``lang``."""
    return {key: pgettext(lang, *message) for key, message in LOCALE_TEXT.items()}


def ag_grid(lang: str, *, dashGridOptions: dict | None = None, **props) -> dag.AgGrid:  # noqa: N803
    """A ``dag.AgGrid`` of ``props`` in the reader's language and direction: every grid of
    the app is made here (``dashGridOptions`` are added to the language's)."""
    options = {"enableRtl": is_rtl(lang), "localeText": locale_text(lang)}
    return dag.AgGrid(dashGridOptions={**options, **(dashGridOptions or {})}, **props)


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
        "domLayout": "autoHeight" if height is None else "normal",
        "tooltipShowDelay": 300,
        "suppressCellFocus": not row_selection,
    }
    if row_selection:
        options["rowSelection"] = {"mode": "singleRow", "enableClickSelection": True}
        options["rowStyle"] = {"cursor": "pointer"}
    style = {"height": f"{height}px"} if height else {}
    return ag_grid(
        labels.lang,
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
