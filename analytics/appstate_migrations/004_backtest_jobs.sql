-- The planner's "How good is the model here?" runs `cca backtest` as a background job:
-- the jobs table takes the kind 'backtest' too. SQLite cannot change a CHECK constraint,
-- so the table is rebuilt with its rows.
CREATE TABLE jobs_new (
    job_id      TEXT PRIMARY KEY,            -- random hex
    username    TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('simulate', 'find_staffing', 'backtest')),
    state       TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    params      TEXT NOT NULL DEFAULT '{}',  -- JSON of what was asked
    done        INTEGER NOT NULL DEFAULT 0,  -- replications (or rounds) done
    total       INTEGER NOT NULL DEFAULT 0,  -- of how many
    message     TEXT NOT NULL DEFAULT '',
    result_path TEXT,
    created_at  TEXT NOT NULL,
    started_at  TEXT,
    finished_at TEXT
);
INSERT INTO jobs_new SELECT * FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;
CREATE INDEX jobs_user_state ON jobs (username, state);
CREATE INDEX jobs_state ON jobs (state);
