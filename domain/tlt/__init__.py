"""TLT credit-spread overlay: calibration, simulation, spreads, exits, metrics and exit optimisation."""

from domain.tlt.calibration import CalibrationResult, CurrentValues, calibrate
from domain.tlt.exits import REASONS, ExitOutcome, ExitRule, apply_exits
from domain.tlt.metrics import Sizing, TradeMetrics, size_position, trade_metrics
from domain.tlt.monte_carlo import MarketPaths, simulate_market, spread_value_matrix
from domain.tlt.optimize import OptimizationResult, optimize_exits
from domain.tlt.params import TltOverlayParams
from domain.tlt.spreads import BEAR_CALL, BULL_PUT, CreditSpread, select_spread

__all__ = ["BEAR_CALL", "BULL_PUT", "REASONS", "CalibrationResult", "CreditSpread", "CurrentValues", "ExitOutcome",
           "ExitRule", "MarketPaths", "OptimizationResult", "Sizing", "TltOverlayParams", "TradeMetrics", "apply_exits",
           "calibrate", "optimize_exits", "select_spread", "simulate_market", "size_position",
           "spread_value_matrix", "trade_metrics"]
