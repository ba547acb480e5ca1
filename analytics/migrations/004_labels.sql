-- Schema version 4: display labels of dimension codes, per centre and language.
-- Calls and tickets keep the codes a source wrote (`work_permit_follow_up`, the bank's
-- `PS`); exports and dashboards show a reader these names instead (analytics/labels.py).
-- dimension is category, topic, queue, site or channel; lang is `en` or `ar`.
CREATE TABLE IF NOT EXISTS labels (
    centre_id VARCHAR NOT NULL,
    dimension VARCHAR NOT NULL,
    code      VARCHAR NOT NULL,
    lang      VARCHAR NOT NULL,
    label     VARCHAR NOT NULL   -- key: (centre_id, dimension, code, lang)
);
