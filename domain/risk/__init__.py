"""Risk rules: per-position exits and portfolio-level checks, each producing an Alert."""
