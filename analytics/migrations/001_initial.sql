-- Schema version 1: centres, calls, tickets, staffing, ingest batches, quarantine.
-- Every timestamp is an instant (TIMESTAMPTZ); grouping happens in the centre's time zone.
-- DuckLake SQL: no PRIMARY KEY, UNIQUE, sequences or list defaults. The key each table
-- would have is in a comment; the writers keep it (delete then insert, or a merge on it).

CREATE TABLE meta (
    key   VARCHAR NOT NULL,           -- key
    value VARCHAR NOT NULL
);

CREATE TABLE centres (
    centre_id        VARCHAR NOT NULL,  -- key
    name             VARCHAR NOT NULL,
    timezone         VARCHAR NOT NULL DEFAULT 'UTC',
    sl_thresholds_s  DOUBLE[] NOT NULL,
    short_abandon_s  DOUBLE NOT NULL DEFAULT 5,
    ticket_sla_wd    DOUBLE NOT NULL DEFAULT 3,
    -- business calendar: {"1": [["08:00", "17:00"]], ...} keyed by ISO weekday (1 = Monday)
    opening_hours    JSON NOT NULL,
    weekend          INTEGER[] NOT NULL,
    holiday_country  VARCHAR,
    extra_closures   DATE[] NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE ingest_batches (
    batch_id       BIGINT NOT NULL,  -- key (claimed through batch_claims)
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
    finished_at    TIMESTAMPTZ
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
-- Parquet files per centre and month of arrival: a load or a query of a month reads and
-- writes that month's files only.
ALTER TABLE calls SET PARTITIONED BY (centre_id, year(arrived_at), month(arrived_at));

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

-- A load's claim on a batch id before it runs (DuckLake has no sequences): the earliest
-- committed claim of an id wins it (analytics.store.Store.claim_batch_id).
CREATE TABLE batch_claims (
    batch_id   BIGINT NOT NULL,
    token      VARCHAR NOT NULL,
    claimed_at TIMESTAMPTZ NOT NULL
);
