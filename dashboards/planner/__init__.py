"""The planner's features, one module each; ``dashboards/pages/planner.py`` composes them.

    words      the planner's own words (English message ids, Arabic in the one catalogue)
    week       which week: history or a scenario pack, resolved on the server
    levers     volume, handling, patience, shrinkage and targets, read into ``Levers``
    whatif     exact Erlang A for the week at once: tiles, chart, grid, plan edits
    compare    plans side by side, saved what-ifs, downloads
    jobs       "Simulate" and "Find staffing" in the background: start, progress, cancel
    backtest   how well the calibrated model predicts a week of history
    forecast   the week's calls against a forecast
    roster     shifts and breaks covering the plan
    shrinkage  the shrinkage lever from the measured shrinkage of a period (live states)

Each module keeps its layout pieces, its plain functions and the callbacks wrapping them
(``dashboards.callbacks.Callbacks``); every callback checks the page's roles and reads
the centre through ``week.planner_source``.
"""

PATH = "/planner"
