"""Live operations: the queue as it is now, from feeds followed as they are written.

* :mod:`analytics.live.tail` -- following a growing file like ``tail -F`` (rotation,
  truncation, partial lines) from a committed position;
* :mod:`analytics.live.events` -- a line of an Asterisk queue_log or of Amazon Connect's
  agent / contact event streams as an event, and the agent states they mean;
* :mod:`analytics.live.follower` -- a feed's rounds committed to the store: finished calls
  through the ingest (the one write path of calls), callers waiting, agents' states now and
  their history, quarantine, position and health, all in one transaction.

The tables are in ``analytics/migrations/007_live.sql``; the live KPIs read them in
:mod:`analytics.kpi.live`.
"""
