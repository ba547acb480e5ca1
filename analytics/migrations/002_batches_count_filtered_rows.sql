-- Schema version 2: an ingest batch also records the rows its mapping's filter left out
-- (e.g. calls that never reached a queue), so read = loaded + updated + duplicate +
-- rejected + filtered holds in the table as it does in the command's report.
ALTER TABLE ingest_batches ADD COLUMN rows_filtered BIGINT DEFAULT 0;
