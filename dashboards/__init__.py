"""dashboards: the Dash app (``create_app()``), its pages, log-in and roles, and
English/Arabic (right-to-left) text. Nothing imports this package but the CLI."""
