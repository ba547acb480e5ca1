-- Schema version 7: live operations (issue 23). A followed feed (an Asterisk queue_log,
-- Amazon Connect's agent or contact events) keeps the queue as it is now beside the
-- finished calls it loads into `calls` (through the ingest, as a batch load would).
-- No keys, unique constraints, indexes or sequences: the store is moving to DuckLake,
-- which has none; each feed has one follower, which keeps its rows unique itself.
-- feed_id names a feed: '<centre>:<format>:<absolute path or stdin>'.

-- Where a feed has read up to, committed with the events it covers (one row per feed).
CREATE TABLE IF NOT EXISTS live_feed_positions (
    feed_id     VARCHAR NOT NULL,
    centre_id   VARCHAR NOT NULL,
    format      VARCHAR NOT NULL,
    source      VARCHAR NOT NULL,            -- the followed path, or 'stdin'
    file_dev    BIGINT,                      -- identity of the file read (st_dev, st_ino)
    file_ino    BIGINT,
    byte_offset BIGINT NOT NULL DEFAULT 0,   -- just after the last complete line committed
    line_no     BIGINT NOT NULL DEFAULT 0,   -- lines of that file read so far
    updated_at  TIMESTAMPTZ NOT NULL
);

-- How a feed is doing (one row per feed): its last event and its lag.
CREATE TABLE IF NOT EXISTS live_feed_health (
    feed_id             VARCHAR NOT NULL,
    centre_id           VARCHAR NOT NULL,
    format              VARCHAR NOT NULL,
    source              VARCHAR NOT NULL,
    started_at          TIMESTAMPTZ,         -- when the follower (re)started
    checked_at          TIMESTAMPTZ,         -- the follower's last commit (a heartbeat when idle)
    last_event_at       TIMESTAMPTZ,         -- the time the last event carries
    last_read_at        TIMESTAMPTZ,         -- when its line was read
    lag_s               DOUBLE,              -- commit time minus read time of the last batch
    events              BIGINT NOT NULL DEFAULT 0,
    calls_loaded        BIGINT NOT NULL DEFAULT 0,
    malformed           BIGINT NOT NULL DEFAULT 0,
    unknown_call_events BIGINT NOT NULL DEFAULT 0,  -- events of a call never seen entering
    duplicates          BIGINT NOT NULL DEFAULT 0   -- re-delivered events dropped
);

-- Lines a follower could not read: kept with where they were and why.
CREATE TABLE IF NOT EXISTS live_quarantine (
    feed_id     VARCHAR NOT NULL,
    centre_id   VARCHAR NOT NULL,
    file        VARCHAR NOT NULL,
    byte_offset BIGINT,
    line_no     BIGINT,
    line        VARCHAR,
    reason      VARCHAR NOT NULL,
    read_at     TIMESTAMPTZ NOT NULL
);

-- Callers waiting now (a row per waiting queue visit).
CREATE TABLE IF NOT EXISTS live_calls_waiting (
    feed_id    VARCHAR NOT NULL,
    centre_id  VARCHAR NOT NULL,
    call_key   VARCHAR NOT NULL,             -- the source's call id and queue
    queue      VARCHAR,
    category   VARCHAR,
    entered_at TIMESTAMPTZ NOT NULL
);

-- Each agent's state now: logged_out, available, ringing, on_call, wrap_up or paused.
CREATE TABLE IF NOT EXISTS live_agent_state (
    feed_id   VARCHAR NOT NULL,
    centre_id VARCHAR NOT NULL,
    agent_id  VARCHAR NOT NULL,
    state     VARCHAR NOT NULL,
    reason    VARCHAR,                        -- a pause's reason
    since     TIMESTAMPTZ NOT NULL,
    queues    VARCHAR[],
    team      VARCHAR,
    call_key  VARCHAR                         -- the call being handled
);

-- Every change of an agent's state (a state lasts until the agent's next row).
CREATE TABLE IF NOT EXISTS live_agent_state_history (
    feed_id    VARCHAR NOT NULL,
    centre_id  VARCHAR NOT NULL,
    agent_id   VARCHAR NOT NULL,
    state      VARCHAR NOT NULL,
    reason     VARCHAR,
    started_at TIMESTAMPTZ NOT NULL
);

-- The events of calls still in progress (and of recently finished ones, for a late line
-- or a caller back in the same queue): what the follower needs after a restart.
CREATE TABLE IF NOT EXISTS live_call_events (
    feed_id  VARCHAR NOT NULL,
    call_key VARCHAR NOT NULL,
    epoch    DOUBLE NOT NULL,
    line     VARCHAR NOT NULL,
    file     VARCHAR,
    line_no  BIGINT
);

-- Ids of events already taken from an at-least-once stream (Amazon Connect).
CREATE TABLE IF NOT EXISTS live_seen_events (
    feed_id  VARCHAR NOT NULL,
    event_id VARCHAR NOT NULL,
    seen_at  TIMESTAMPTZ NOT NULL
);
