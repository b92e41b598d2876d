"""Parameters of mean_reversion, defaults equal to the design document (seed 002) and issue 11.

Units: prices in dollars, returns and weights in decimals (a weight is a signed fraction of the strategy's
capital), costs in basis points per side, windows in trading sessions. ``config/mean_reversion.yaml``
holds every number below and is validated into these dataclasses on load.
"""

from __future__ import annotations

from dataclasses import dataclass, field

FEATURE_NAMES = (
    "qpi_3d",
    "rsi_14",
    "bb_position_20",
    "ret_3d",
    "ret_5d",
    "ret_20d",
    "volume_ratio_20",
    "volatility_20",
)


@dataclass(frozen=True)
class FeatureParams:
    """Windows of the eight features (names in ``FEATURE_NAMES``). QPI: ``qpi_return_days``-day return over
    the ``qpi_vol_days``-day standard deviation of daily returns, times ``qpi_return_scale``, minus
    (volume / SMA(volume, ``qpi_volume_days``) - 1) times ``qpi_volume_scale``, plus 50, clipped to 0..100."""

    qpi_return_days: int = 3
    qpi_vol_days: int = 20
    qpi_volume_days: int = 20
    qpi_return_scale: float = 10.0
    qpi_volume_scale: float = 5.0
    rsi_days: int = 14
    bollinger_days: int = 20
    bollinger_width: float = 2.0
    momentum_days: tuple[int, ...] = (3, 5, 20)
    volume_days: int = 20
    volatility_days: int = 20

    def __post_init__(self) -> None:
        if len(self.momentum_days) != 3:
            raise ValueError("features.momentum_days must list three windows (ret_3d, ret_5d, ret_20d)")
        for name in ("qpi_return_days", "qpi_vol_days", "qpi_volume_days", "rsi_days", "bollinger_days",
                     "volume_days", "volatility_days"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"features.{name} must be >= 1")


@dataclass(frozen=True)
class UniverseParams:
    """Point-in-time universe at each close: close >= ``min_price`` and among the ``top_n`` names by the
    ``adv_days``-day average dollar volume (close x volume)."""

    min_price: float = 1.0
    top_n: int = 500
    adv_days: int = 20


@dataclass(frozen=True)
class LabelParams:
    """Forward return over ``horizon`` sessions from the next open (the entry) to the open ``horizon``
    sessions later (the time-stop exit). Long label: return > ``long_threshold``; short: < ``short_threshold``."""

    horizon: int = 6
    long_threshold: float = 0.0
    short_threshold: float = 0.0


@dataclass(frozen=True)
class ModelParams:
    """LightGBM classifier (one for long entries, one for short). ``train_on``: 'candidates' fits each model
    on the rows whose QPI is in its side's entry zone (where its probability is used), 'all' on every
    universe row. ``max_train_rows``: newest rows kept if a training set is larger (memory/time bound)."""

    n_estimators: int = 200
    learning_rate: float = 0.05
    num_leaves: int = 15
    min_child_samples: int = 100
    subsample: float = 0.8
    colsample_bytree: float = 0.8
    n_jobs: int = 1
    train_on: str = "candidates"
    max_train_rows: int = 400_000

    def __post_init__(self) -> None:
        if self.train_on not in ("candidates", "all"):
            raise ValueError("model.train_on must be 'candidates' or 'all'")


@dataclass(frozen=True)
class GridParams:
    """Tuned on each fold's validation year: the LightGBM grid (``num_leaves`` x ``n_estimators``) and the
    entry probability thresholds. The score is the mean net 6-session return of the trades the entry rules
    would take (at most ``max_long``/``max_short`` a day), requiring ``min_trades``; ties keep the earlier
    point (the document's values come first)."""

    num_leaves: tuple[int, ...] = (15, 31)
    n_estimators: tuple[int, ...] = (200,)
    prob_threshold: tuple[float, ...] = (0.60, 0.55, 0.65)
    min_trades: int = 50


@dataclass(frozen=True)
class RuleParams:
    """Entry, allocation, exits, limits and costs (the document's numbers)."""

    long_qpi_below: float = 15.0
    short_qpi_above: float = 85.0
    long_prob: float = 0.60
    short_prob: float = 0.60
    max_long: int = 20
    max_short: int = 20
    vix_sma_days: int = 15
    vix_multiplier: float = 1.15
    bull_long: float = 1.1
    bull_short: float = 0.2
    bear_long: float = 0.1
    bear_short: float = 0.2
    stop_loss: float = 0.05
    time_stop_sessions: int = 6
    adv_fraction: float = 0.05
    capital: float = 10_000_000.0
    commission_bps: float = 5.0
    slippage_bps: float = 10.0
    fill: str = "next_open"

    def __post_init__(self) -> None:
        if self.fill not in ("next_open", "close"):
            raise ValueError("rules.fill must be 'next_open' or 'close'")
        if self.max_long < 0 or self.max_short < 0 or self.time_stop_sessions < 1:
            raise ValueError("rules: max_long/max_short >= 0 and time_stop_sessions >= 1")
        if not 0 < self.stop_loss < 1 or self.capital <= 0:
            raise ValueError("rules: stop_loss in (0, 1) and capital > 0")

    @property
    def cost_rate(self) -> float:
        """Cost per side as a fraction of the traded notional."""
        return (self.commission_bps + self.slippage_bps) / 1e4


@dataclass(frozen=True)
class WalkForwardParams:
    """Quarterly, expanding, ``min_train_days`` of training, a ``validation_days`` tuning year, purge for
    the label (``label_horizon`` = 7: the label's exit open is 7 sessions after the decision close) and
    ``embargo_days``."""

    start: str = "2005-01-01"
    end: str = "2024-08-26"
    min_train_days: int = 756
    validation_days: int = 252
    label_horizon: int = 7
    embargo_days: int = 5
    frequency: str = "Q"


@dataclass(frozen=True)
class MeanReversionParams:
    features: FeatureParams = field(default_factory=FeatureParams)
    universe: UniverseParams = field(default_factory=UniverseParams)
    labels: LabelParams = field(default_factory=LabelParams)
    model: ModelParams = field(default_factory=ModelParams)
    grid: GridParams = field(default_factory=GridParams)
    rules: RuleParams = field(default_factory=RuleParams)
    walk_forward: WalkForwardParams = field(default_factory=WalkForwardParams)
    tune: bool = True
