"""Dash pages, one module a user task (see dashboards.app.PAGE_MODULES)."""
