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
