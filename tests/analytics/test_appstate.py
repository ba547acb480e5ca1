"""The app-state store: migrations applied whatever order the work landed in."""

from __future__ import annotations

import sqlite3

from analytics.appstate import AppState, migrations


def tables(path) -> set[str]:
    with sqlite3.connect(path) as con:
        return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_a_new_file_gets_every_migration(tmp_path):
    state = AppState(tmp_path / "a.sqlite")
    assert state.migrate() == migrations()[-1][0]
    assert {"users", "sessions", "audit", "alerts", "alert_rules", "jobs", "model_errors"} <= (
        tables(state.path)
    )
    assert state.migrate() == migrations()[-1][0]  # twice changes nothing
    with sqlite3.connect(state.path) as con:  # the planner's three kinds of job
        for kind in ("simulate", "find_staffing", "backtest"):
            con.execute(
                "INSERT INTO jobs (job_id, username, kind, state, created_at) "
                "VALUES (?, 'p', ?, 'done', '2026-01-01')",
                [kind, kind],
            )


def test_a_migration_numbered_below_one_applied_is_still_applied(tmp_path):
    """A file that had 001 and 003 (jobs) applied before 002 (alerts) existed."""
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as con:
        for version, _name, sql in migrations():
            if version in (1, 3):
                con.executescript(sql)
        con.execute("PRAGMA user_version = 3")
    assert "alerts" not in tables(path)
    AppState(path).migrate()
    assert {"alerts", "alert_rules", "jobs", "users"} <= tables(path)
    state = AppState(path)
    state.audit("someone", "login")
    assert state.audit_log(1)[0]["action"] == "login"
