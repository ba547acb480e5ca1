"""What more than one benchmark needs; not a benchmark itself (``make bench`` runs only the
scripts directly under ``benchmarks/``)."""
