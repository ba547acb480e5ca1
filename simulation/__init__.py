"""simulation: what the queue will do, and the plans built on it. Depends on ``analytics`` only.

Sub-packages, lowest first: ``queue`` (scenarios, the SimPy model, replications),
``formulas`` (exact Erlang C / A), ``calibration`` (a scenario fitted to history; the
backtest that checks it), ``forecasting``, ``planning`` (staffing, rostering, the what-if
week), ``synthetic`` (generated history), ``operations`` (background jobs, alerts).
"""
