"""simulation: scenarios, the SimPy queue model, exact Erlang formulas, calibration,
staffing and replications. Depends on ``analytics`` only."""
