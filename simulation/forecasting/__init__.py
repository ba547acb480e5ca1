"""Forecasts of offered calls and tickets per interval, and their rolling-origin backtests."""
