"""The KPI layer: every call and ticket KPI of docs/kpis.md from one set of SQL builders.

Dashboards, exports, simulation reports and ``cca kpi`` call these functions; nothing
else computes a KPI. See ``calls`` (call KPIs), ``tickets`` (working-time ticket KPIs
on the centre's business calendar) and ``occupancy`` (handling time over staffed time).
"""

from analytics.kpi.calls import (
    CALL_DIMENSIONS,
    call_kpi_names,
    call_kpis,
    sharing_rollup,
    threshold_label,
)
from analytics.kpi.occupancy import OCCUPANCY_DIMENSIONS, OCCUPANCY_NAMES, occupancy
from analytics.kpi.tickets import TICKET_DIMENSIONS, TICKET_KPI_NAMES, ticket_kpi_names, ticket_kpis

__all__ = [
    "CALL_DIMENSIONS",
    "OCCUPANCY_DIMENSIONS",
    "OCCUPANCY_NAMES",
    "TICKET_DIMENSIONS",
    "TICKET_KPI_NAMES",
    "call_kpi_names",
    "call_kpis",
    "occupancy",
    "sharing_rollup",
    "threshold_label",
    "ticket_kpi_names",
    "ticket_kpis",
]
