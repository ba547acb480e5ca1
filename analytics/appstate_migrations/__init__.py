"""SQLite migrations of the app-state store (see ``analytics.appstate``)."""
