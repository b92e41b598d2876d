"""Positions, marks and NAV: the pure arithmetic of the portfolio (no I/O, no clock)."""
