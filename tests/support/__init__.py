"""Helpers the tests share, imported as ``from support.cli import run_cca`` (tests/ is on
the import path). Fixtures stay in conftest.py; what a test imports lives here:

* ``support.cli``: ``ROOT``, ``run_cca``, ``run_cca_json`` (the real ``cca`` in a subprocess);
* ``support.app``: the dashboards app, served, and the browser log-in;
* ``support.kpi``: calls, tickets and staffing written into a real store, row comparisons,
  random calls across a DST change;
* ``support.planner``: the planner's scenario and a store of simulated weeks;
* ``support.staffing``: a one-category peak scenario for the staffing tests;
* ``support.trust``: colours as plotly draws them and as a person reads them.
"""
