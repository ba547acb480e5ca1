-- The queue model's own day-to-day error learnt for a centre's day and cut
-- (simulation/intraday/model_error.py: 7 earlier days replayed, seconds of work), kept so
-- that the next `cca intraday` of the same day and interval reads it instead of learning
-- it again. A cache: any row may be dropped; rows older than 30 days are.
CREATE TABLE IF NOT EXISTS model_errors (
    key        TEXT PRIMARY KEY,   -- sha256 of centre, cut, options and the data it read
    centre_id  TEXT NOT NULL,
    cut        TEXT NOT NULL,      -- the local instant the earlier days were cut at
    days       INTEGER NOT NULL,   -- earlier days it was learnt from
    sd         TEXT NOT NULL,      -- JSON {service-level KPI name: sd (a share)}
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS model_errors_created ON model_errors (created_at);
