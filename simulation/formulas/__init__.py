"""Exact queueing formulas: Erlang C and Erlang A, targets, required agents."""
