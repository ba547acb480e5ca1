-- Users of the dashboards, their server-side sessions, lock-outs and the audit log.
CREATE TABLE users (
    username      TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,            -- argon2id
    role          TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'planner', 'executive', 'wallboard')),
    centres       TEXT NOT NULL DEFAULT '*', -- comma-separated centre ids, or * for every centre
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE sessions (
    session_id TEXT PRIMARY KEY,             -- a random token; the cookie holds it signed
    username   TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    last_seen  TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE TABLE login_failures (
    username     TEXT PRIMARY KEY,           -- as typed: unknown names are locked out too
    failures     INTEGER NOT NULL,
    first_at     TEXT NOT NULL,
    locked_until TEXT
);

CREATE TABLE audit (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       TEXT NOT NULL,
    username TEXT,
    action   TEXT NOT NULL,                  -- login, login_failed, locked_out, logout, download, user_*, alert_ack, ...
    detail   TEXT NOT NULL DEFAULT '{}'      -- JSON
);
CREATE INDEX audit_at ON audit (at);
