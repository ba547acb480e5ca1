-- Schema version 5: saved forecasts (issue 14). `cca forecast --save` writes one run: a row
-- of forecast_runs (method, training period, interval, creation time) and its intervals in
-- forecasts, one row per interval and group (`group_key`: the --by values joined by '|',
-- '' without --by; `group_by`: the dimension names, e.g. 'category'). `cca roster --week`,
-- the planner page and the alerts' projection read the latest run covering their days.
-- kind is 'calls' (offered) or 'tickets' (created).
CREATE TABLE IF NOT EXISTS forecast_runs (
    run_id        BIGINT NOT NULL,   -- key: the writer takes max + 1 (forecasts are saved one at a time)
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
    value_high     DOUBLE NOT NULL   -- key: (run_id, interval_start, group_key)
);
