"""A scenario fitted to a centre's history (``fit``) and the backtest that checks it (``backtest``)."""
