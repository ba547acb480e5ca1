-- Schema version 8: the lake writes Parquet format version 2 (a DuckLake option, kept in
-- the catalogue, so every process and host writing the store uses it). Version 2's
-- encodings suit the calls: arrival instants, written in order, are stored as deltas
-- (DELTA_BINARY_PACKED: 5.2 MB -> 0.1 MB for a month of 800,000 calls) and read back in
-- a third of the time, which is most of what a month's percentile scan spends beyond a
-- single DuckDB file's (docs/measurements.md, "Parquet version 2"). Files written before
-- keep version 1 until compaction merges them; DuckDB reads both.
CALL set_option('parquet_version', 2);
