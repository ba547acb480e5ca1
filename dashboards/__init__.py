"""The Dash dashboards: ``create_app(store, settings)``, pages under ``dashboards/pages``.

See ``dashboards.app`` (the factory), ``dashboards.auth`` (log-in, roles, CSRF),
``dashboards.frame`` (header, filters, URL state) and ``dashboards.queries`` (what each
page reads from the KPI layer, as plain functions).
"""

from dashboards.app import create_app
from dashboards.context import Settings

__all__ = ["Settings", "create_app"]
