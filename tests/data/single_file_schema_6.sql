-- The schema (version 6) of the single-file store of the previous design: migrations
-- 001 to 006 as they were before the lake (tests build such files to migrate them).
-- Schema version 1: centres, calls, tickets, staffing, ingest batches, quarantine, users.
-- Every timestamp is an instant (TIMESTAMPTZ); grouping happens in the centre's time zone.

CREATE TABLE meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

CREATE TABLE centres (
    centre_id        VARCHAR PRIMARY KEY,
    name             VARCHAR NOT NULL,
    timezone         VARCHAR NOT NULL DEFAULT 'UTC',
    sl_thresholds_s  DOUBLE[] NOT NULL DEFAULT [12, 30],
    short_abandon_s  DOUBLE NOT NULL DEFAULT 5,
    ticket_sla_wd    DOUBLE NOT NULL DEFAULT 3,
    -- business calendar: {"1": [["08:00", "17:00"]], ...} keyed by ISO weekday (1 = Monday)
    opening_hours    JSON NOT NULL,
    weekend          INTEGER[] NOT NULL,
    holiday_country  VARCHAR,
    extra_closures   DATE[] NOT NULL DEFAULT [],
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE ingest_batches (
    batch_id       BIGINT PRIMARY KEY,
    centre_id      VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,          -- calls | tickets | staffing
    file           VARCHAR NOT NULL,
    sha256         VARCHAR NOT NULL,
    format         VARCHAR NOT NULL,
    mapping        VARCHAR,
    rows_read      BIGINT NOT NULL DEFAULT 0,
    rows_loaded    BIGINT NOT NULL DEFAULT 0, -- new rows
    rows_updated   BIGINT NOT NULL DEFAULT 0, -- same id, corrected values
    rows_duplicate BIGINT NOT NULL DEFAULT 0, -- same id, same values: nothing to do
    rows_rejected  BIGINT NOT NULL DEFAULT 0, -- sent to quarantine
    started_at     TIMESTAMPTZ NOT NULL,
    finished_at    TIMESTAMPTZ,
    rows_filtered  BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE quarantine (
    batch_id    BIGINT NOT NULL,
    line        BIGINT,                        -- 1-based line of the source file (header is line 1)
    column_name VARCHAR,
    value       VARCHAR,
    reason      VARCHAR NOT NULL
);

CREATE TABLE calls (
    centre_id   VARCHAR NOT NULL,
    call_id     VARCHAR NOT NULL,
    arrived_at  TIMESTAMPTZ NOT NULL,
    outcome     VARCHAR NOT NULL,              -- answered | abandoned | timeout
    wait_s      DOUBLE NOT NULL,
    answered_at TIMESTAMPTZ,
    ended_at    TIMESTAMPTZ,
    talk_s      DOUBLE,
    hold_s      DOUBLE,
    acw_s       DOUBLE,
    category    VARCHAR,
    topic       VARCHAR,
    queue       VARCHAR,
    site        VARCHAR,
    channel     VARCHAR,
    agent_id    VARCHAR,
    caller_hash VARCHAR,                       -- salted sha256 of caller_id; the raw id is never stored
    batch_id    BIGINT
);

CREATE TABLE tickets (
    centre_id         VARCHAR NOT NULL,
    ticket_id         VARCHAR NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    first_response_at TIMESTAMPTZ,
    resolved_at       TIMESTAMPTZ,
    status            VARCHAR,
    category          VARCHAR,
    topic             VARCHAR,
    channel           VARCHAR,
    priority          VARCHAR,
    site              VARCHAR,
    agent_id          VARCHAR,
    batch_id          BIGINT
);

CREATE TABLE staffing (
    centre_id        VARCHAR NOT NULL,
    interval_start   TIMESTAMPTZ NOT NULL,
    interval_s       INTEGER NOT NULL,
    queue            VARCHAR NOT NULL DEFAULT '',
    site             VARCHAR NOT NULL DEFAULT '',
    agents_scheduled DOUBLE,
    agents_available DOUBLE,
    batch_id         BIGINT
);

CREATE TABLE users (
    username      VARCHAR PRIMARY KEY,
    password_hash VARCHAR NOT NULL,            -- scrypt, salted; see dashboards.auth
    role          VARCHAR NOT NULL,            -- viewer | manager | planner | admin
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Schema version 2: an ingest batch also records the rows its mapping's filter left out
-- (e.g. calls that never reached a queue), so read = loaded + updated + duplicate +
-- rejected + filtered holds in the table as it does in the command's report.
-- (folded into CREATE TABLE ingest_batches above: DuckDB 1.5 adds no NOT NULL column)

-- Schema version 3: the quarter-hour call rollup (see analytics/kpi/rollup.py).
-- Per centre, UTC quarter-hour, outcome and routing dimensions: how many calls, how
-- many were short and how many waited no longer than each of the centre's service-level
-- thresholds, with their wait and handling sums. Additive, so any local interval of 15
-- minutes or more and any subset of these dimensions is a sum of its rows. It is rebuilt
-- for the quarter-hours a write touches, inside that write.
CREATE TABLE call_intervals (
    centre_id  VARCHAR NOT NULL,
    quarter    BIGINT NOT NULL,    -- epoch seconds of the call's arrival // 900 (UTC)
    outcome    VARCHAR NOT NULL,
    category   VARCHAR,
    queue      VARCHAR,
    site       VARCHAR,
    channel    VARCHAR,
    n          BIGINT NOT NULL,
    n_short    BIGINT NOT NULL,    -- wait_s < the centre's short-abandon threshold
    n_within_1 BIGINT,             -- wait_s <= the centre's 1st threshold (ascending) ...
    n_within_2 BIGINT,
    n_within_3 BIGINT,
    n_within_4 BIGINT,             -- ... 4th; NULL where the centre has fewer
    wait_sum   DOUBLE NOT NULL,
    talk_sum   DOUBLE,
    hold_sum   DOUBLE,
    acw_sum    DOUBLE
);

-- The thresholds a centre's rollup was cut at; no row = no rollup (queries scan calls).
CREATE TABLE call_interval_state (
    centre_id       VARCHAR PRIMARY KEY,
    sl_thresholds_s DOUBLE[] NOT NULL,   -- ascending, distinct, at most four
    short_abandon_s DOUBLE NOT NULL
);

-- Schema version 4: display labels of dimension codes, per centre and language.
-- Calls and tickets keep the codes a source wrote (`work_permit_follow_up`, the bank's
-- `PS`); exports and dashboards show a reader these names instead (analytics/labels.py).
-- dimension is category, topic, queue, site or channel; lang is `en` or `ar`.
CREATE TABLE IF NOT EXISTS labels (
    centre_id VARCHAR NOT NULL,
    dimension VARCHAR NOT NULL,
    code      VARCHAR NOT NULL,
    lang      VARCHAR NOT NULL,
    label     VARCHAR NOT NULL,
    PRIMARY KEY (centre_id, dimension, code, lang)
);

-- Schema version 5: saved forecasts (issue 14). `cca forecast --save` writes one run: a row
-- of forecast_runs (method, training period, interval, creation time) and its intervals in
-- forecasts, one row per interval and group (`group_key`: the --by values joined by '|',
-- '' without --by; `group_by`: the dimension names, e.g. 'category'). `cca roster --week`,
-- the planner page and the alerts' projection read the latest run covering their days.
-- kind is 'calls' (offered) or 'tickets' (created).
CREATE SEQUENCE IF NOT EXISTS forecast_run_seq START 1;
CREATE TABLE IF NOT EXISTS forecast_runs (
    run_id        BIGINT PRIMARY KEY DEFAULT nextval('forecast_run_seq'),
    centre_id     VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL,
    method        VARCHAR NOT NULL,
    train_start   DATE NOT NULL,
    train_end     DATE NOT NULL,
    horizon_start DATE NOT NULL,
    horizon_end   DATE NOT NULL,
    interval      VARCHAR NOT NULL,
    group_by      VARCHAR NOT NULL DEFAULT '',
    dispersion    DOUBLE NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);
CREATE TABLE IF NOT EXISTS forecasts (
    run_id         BIGINT NOT NULL,
    centre_id      VARCHAR NOT NULL,
    interval_start TIMESTAMPTZ NOT NULL,
    group_key      VARCHAR NOT NULL DEFAULT '',
    value          DOUBLE NOT NULL,
    value_low      DOUBLE NOT NULL,
    value_high     DOUBLE NOT NULL,
    PRIMARY KEY (run_id, interval_start, group_key)
);

-- Schema version 6: a centre's branch counters (issue 21): site -> counters open while the
-- branch is open, as JSON ('{}' for a centre without branches). The Sites page divides a
-- branch's walk-in visits by them.
ALTER TABLE centres ADD COLUMN IF NOT EXISTS counters JSON DEFAULT '{}';
