"""Operations: background jobs for simulations, and proactive alerts."""
