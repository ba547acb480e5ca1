"""Intraday management: the rest of today simulated from the queue as it stands.

``state``: the queue at an instant (callers waiting with their elapsed waits, calls in
service with their elapsed handling, agents by state) and one replication of the rest of
the day from it; ``conditional``: durations given what has already elapsed.
"""
