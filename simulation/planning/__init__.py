"""Planning: staffing verified by simulation, shift rostering, the what-if week."""
