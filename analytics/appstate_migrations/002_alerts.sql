-- Proactive alerts (issue 13, simulation/alerts): rules and channels per centre, the alerts
-- raised, and a log of every alert fired, sent, failed, acknowledged or resolved.
-- IF NOT EXISTS: harmless if applied to a file that already has them.
CREATE TABLE IF NOT EXISTS alert_channels (
    centre_id TEXT NOT NULL,
    name      TEXT NOT NULL,
    type      TEXT NOT NULL CHECK (type IN ('webhook', 'email')),
    config    TEXT NOT NULL DEFAULT '{}',    -- JSON: url, timeout_s, retries | to, lang
    PRIMARY KEY (centre_id, name)
);

CREATE TABLE IF NOT EXISTS alert_rules (
    centre_id  TEXT NOT NULL,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,                -- sl_projection, abandon_rate, ticket_deadline, ...
    params     TEXT NOT NULL DEFAULT '{}',   -- JSON: the kind's thresholds and settings
    cooldown_s INTEGER NOT NULL,
    channels   TEXT NOT NULL DEFAULT '[]',   -- JSON list of alert_channels names
    enabled    INTEGER NOT NULL DEFAULT 1,
    source     TEXT,                         -- the TOML file it was loaded from, or 'admin'
    updated_at TEXT NOT NULL,
    updated_by TEXT,
    PRIMARY KEY (centre_id, name)
);

CREATE TABLE IF NOT EXISTS alerts (
    alert_id        INTEGER PRIMARY KEY AUTOINCREMENT,
    centre_id       TEXT NOT NULL,
    rule            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    subject         TEXT NOT NULL DEFAULT '', -- the category, site or check an alert is about
    severity        TEXT NOT NULL CHECK (severity IN ('warning', 'critical')),
    as_of           TEXT NOT NULL,            -- the instant the store was judged at (UTC)
    fired_at        TEXT NOT NULL,            -- wall-clock time of the watcher (UTC)
    value           REAL,
    threshold       REAL,
    payload         TEXT NOT NULL,            -- the alert's JSON (messages in en and ar)
    status          TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged', 'resolved')),
    last_seen_as_of TEXT NOT NULL,            -- still raised at this instant (cool-down repeats)
    acknowledged_by TEXT,
    acknowledged_at TEXT,
    resolved_as_of  TEXT
);
CREATE INDEX IF NOT EXISTS alerts_identity ON alerts (centre_id, rule, subject, as_of);
CREATE INDEX IF NOT EXISTS alerts_status ON alerts (status, centre_id);

CREATE TABLE IF NOT EXISTS alerts_log (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL,                  -- wall-clock time (UTC)
    alert_id  INTEGER REFERENCES alerts (alert_id) ON DELETE CASCADE,
    centre_id TEXT NOT NULL,
    rule      TEXT NOT NULL,
    event     TEXT NOT NULL CHECK (event IN ('fired', 'sent', 'failed', 'acknowledged', 'resolved')),
    channel   TEXT,                           -- for sent / failed
    username  TEXT,                           -- for acknowledged
    detail    TEXT NOT NULL DEFAULT '{}'      -- JSON: attempts, HTTP status, error
);
CREATE INDEX IF NOT EXISTS alerts_log_alert ON alerts_log (alert_id);
