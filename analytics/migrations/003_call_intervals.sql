-- Schema version 3: the quarter-hour call rollup (see analytics/kpi/rollup.py).
-- Per centre, UTC quarter-hour, outcome and routing dimensions: how many calls, how
-- many were short and how many waited no longer than each of the centre's service-level
-- thresholds, with their wait and handling sums. Additive, so any local interval of 15
-- minutes or more and any subset of these dimensions is a sum of its rows.
-- Kept as appended deltas (DuckLake: two writers appending never conflict, two rewriting
-- rows of one file do): a write adds the rows of the calls it inserted and the negated
-- rows of those it deleted, inside its transaction; `call_intervals` is their sum, and
-- `cca store compact` folds the deltas into one row per key.
CREATE TABLE call_interval_deltas (
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
    acw_sum    DOUBLE,
    -- how many of the calls have a talk_s, hold_s, acw_s: a sum whose calls (added and
    -- taken away) have none is NULL, as in a rollup built from the calls
    n_talk     BIGINT,
    n_hold     BIGINT,
    n_acw      BIGINT
);

CREATE VIEW call_intervals AS
SELECT centre_id, quarter, outcome, category, queue, site, channel,
       CAST(sum(n) AS BIGINT) AS n, CAST(sum(n_short) AS BIGINT) AS n_short,
       CAST(sum(n_within_1) AS BIGINT) AS n_within_1,
       CAST(sum(n_within_2) AS BIGINT) AS n_within_2,
       CAST(sum(n_within_3) AS BIGINT) AS n_within_3,
       CAST(sum(n_within_4) AS BIGINT) AS n_within_4,
       sum(wait_sum) AS wait_sum,
       CASE WHEN sum(n_talk) <> 0 THEN sum(talk_sum) END AS talk_sum,
       CASE WHEN sum(n_hold) <> 0 THEN sum(hold_sum) END AS hold_sum,
       CASE WHEN sum(n_acw) <> 0 THEN sum(acw_sum) END AS acw_sum
FROM call_interval_deltas
GROUP BY ALL
HAVING sum(n) <> 0;

-- The thresholds a centre's rollup was cut at; no row = no rollup (queries scan calls).
CREATE TABLE call_interval_state (
    centre_id       VARCHAR NOT NULL,   -- key
    sl_thresholds_s DOUBLE[] NOT NULL,   -- ascending, distinct, at most four
    short_abandon_s DOUBLE NOT NULL
);
