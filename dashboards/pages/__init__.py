"""Dash pages, one module a user task; each declares its path, order, menu label and roles
with ``register_page`` and ``dashboards.app`` imports every module here."""
