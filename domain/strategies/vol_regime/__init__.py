"""vol_regime: QQQ volatility-regime strategy (ensemble forecast -> risk-filtered exposure).

See ``strategy`` for the public API; ``params.VolRegimeParams`` holds the design document's defaults
(also in config/vol_regime.yaml)."""

from domain.strategies.vol_regime.params import VolRegimeParams
from domain.strategies.vol_regime.strategy import (
    Decision,
    FittedModel,
    VolRegimeData,
    WalkForwardResult,
    decide,
    fit_final,
    prepare_data,
    run_fold,
    run_walk_forward,
)

__all__ = [
    "Decision", "FittedModel", "VolRegimeData", "VolRegimeParams", "WalkForwardResult", "decide", "fit_final",
    "prepare_data", "run_fold", "run_walk_forward",
]
