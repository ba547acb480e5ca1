-- Schema version 6: a centre's branch counters (issue 21): site -> counters open while the
-- branch is open, as JSON ('{}' for a centre without branches). The Sites page divides a
-- branch's walk-in visits by them.
ALTER TABLE centres ADD COLUMN IF NOT EXISTS counters JSON DEFAULT '{}';
