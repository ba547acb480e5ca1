"""The `cca` command line: one entry point over analytics, simulation and dashboards."""
