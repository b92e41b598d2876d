"""Strategies: each a sub-package of pure functions (features, model, exposure, strategy) over pandas data."""
