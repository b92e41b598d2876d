"""allocator: the daily SPY-vs-QQQ weight above two legs (design document ../shared/seeds/003_*.txt).

Modules: ``params`` (config dataclasses), ``features`` (section 2), ``labels`` (section 3, vectorised),
``model`` (LightGBM + logistic blend, calibration, expected utility), ``policy`` (smoothing, cap,
allocation backtest), ``nested`` (nested walk-forward folds, inner search), ``controls`` (selection score,
deflated Sharpe, importance stability, monotonic checks, gates), ``research`` (out-of-sample result),
``strategy`` (``Allocator``, the ``Strategy`` implementation).
"""

from domain.strategies.allocator.params import AllocatorParams
from domain.strategies.allocator.strategy import Allocator, AllocatorModel

__all__ = ["Allocator", "AllocatorModel", "AllocatorParams"]
