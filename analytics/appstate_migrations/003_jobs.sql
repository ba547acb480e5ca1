-- Background jobs of the planner ("Simulate", "Find staffing"): one row per job. The
-- result itself is a file under the job runner's work directory (result_path); the row
-- says whose job it is, how far it got and how it ended, so a page reload finds it.
CREATE TABLE jobs (
    job_id      TEXT PRIMARY KEY,            -- random hex
    username    TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('simulate', 'find_staffing')),
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
CREATE INDEX jobs_user_state ON jobs (username, state);
CREATE INDEX jobs_state ON jobs (state);
