"""Synthetic history for the seed centres (``cca generate``, ``cca demo``)."""
