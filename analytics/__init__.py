"""analytics: the DuckDB store, ingest, KPI definitions, calendars and exports.

Nothing here imports ``simulation`` or ``dashboards``: dependencies point one way,
dashboards -> simulation -> analytics.
"""
