"""The queue model: scenarios and their distributions, the SimPy model, replications."""
