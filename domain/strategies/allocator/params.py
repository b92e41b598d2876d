"""Parameters of the SPY/QQQ allocator. Defaults are the design document's values
(../shared/seeds/003_4100374ef1f1f0e2.txt, "ML Capital Allocation Model") where it gives them;
config/allocator.yaml repeats them. Where the document is silent the choice is stated next to the field.

Units: returns, drawdowns and weights in decimals, costs in basis points, windows in trading sessions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.backtest import CostModel
from domain.errors import InputError
from domain.strategies.allocator.envelope import EnvelopeParams

LEG_KINDS = ("buy_and_hold", "strategy")


def _tuple(obj, name: str) -> None:
    object.__setattr__(obj, name, tuple(getattr(obj, name)))


@dataclass(frozen=True)
class LegParams:
    """Which return streams the allocator weighs. ``kind`` 'buy_and_hold': the adjusted close-to-close
    returns of ``qqq_symbol`` / ``spy_symbol``; 'strategy': the daily returns of the strategies named
    ``qqq_strategy`` / ``spy_strategy`` (vol_regime on QQQ and on SPY: stitched out-of-sample walk-forward
    returns for research, live returns in production). ``baseline_w_qqq``: the fixed baseline ("current
    Step 3": 50/50)."""

    kind: str = "buy_and_hold"
    qqq_symbol: str = "QQQ"
    spy_symbol: str = "SPY"
    qqq_strategy: str = "vol_regime"
    spy_strategy: str = "vol_regime_spy"
    baseline_w_qqq: float = 0.5

    def __post_init__(self) -> None:
        if self.kind not in LEG_KINDS:
            raise InputError(f"legs.kind must be one of {LEG_KINDS}, got {self.kind!r}")
        if not 0.0 <= self.baseline_w_qqq <= 1.0:
            raise InputError("legs.baseline_w_qqq must be in [0, 1]")

    @property
    def names(self) -> tuple[str, str]:
        """(QQQ leg, SPY leg) as named in ``Needs.legs`` / ``Inputs.legs``."""
        if self.kind == "strategy":
            return self.qqq_strategy, self.spy_strategy
        return f"buy_and_hold:{self.qqq_symbol}", f"buy_and_hold:{self.spy_symbol}"


@dataclass(frozen=True)
class FeatureParams:
    """Section 2's feature blocks. Windows not given by the document: drawdown/hit-rate/payoff over 63
    sessions (a quarter); drift = population stability index of the last 63 sessions against the 504
    before them (flag above 0.25, the usual PSI rule of thumb); trend = close over its 200-day mean."""

    return_days: tuple[int, ...] = (1, 5, 21, 63)
    vol_days: tuple[int, ...] = (5, 21, 63)
    drawdown_days: int = 63
    hit_days: tuple[int, ...] = (21, 63)
    payoff_days: int = 63
    confidence_days: int = 21
    drift_recent_days: int = 63
    drift_reference_days: int = 504
    drift_bins: int = 10
    drift_flag: float = 0.25
    trend_days: int = 200
    slope_days: int = 50
    slope_lag: int = 21
    corr_days: tuple[int, int] = (63, 252)

    def __post_init__(self) -> None:
        for name in ("return_days", "vol_days", "hit_days", "corr_days"):
            _tuple(self, name)


@dataclass(frozen=True)
class LabelParams:
    """U(w) = R_H(w) - lambda_dd * DD_H(w) - lambda_tc * cost_rate * |w - w_ref| (section 3), w on a 0.05
    grid, best weight rounded to the nearest of ``n_buckets`` buckets (0, 0.1, ..., 1). R_H: compounded
    return of the daily-rebalanced mix over the next H sessions; DD_H: its max drawdown over them (>= 0).
    w_ref: the previous session's cost-free best weight, so the cost term penalises label turnover (the
    document names no reference; this keeps the labels vectorised)."""

    horizon: int = 10
    weight_step: float = 0.05
    n_buckets: int = 11
    lambda_dd: float = 1.0
    lambda_tc: float = 1.0

    def __post_init__(self) -> None:
        if self.horizon < 1 or self.n_buckets < 2:
            raise InputError("labels: horizon must be >= 1 and n_buckets >= 2")
        n = round(1.0 / self.weight_step)
        if abs(n * self.weight_step - 1.0) > 1e-9:
            raise InputError("labels.weight_step must divide 1")


@dataclass(frozen=True)
class ModelParams:
    """LightGBM multiclass blended with a multinomial logistic model (L2 = ridge, on standardised
    features). Complexity is capped (section 7): leaves, depth, minimum leaf size, L2 regularisation."""

    num_leaves: int = 7
    max_depth: int = 3
    n_estimators: int = 50
    learning_rate: float = 0.1
    min_child_samples: int = 50
    reg_lambda: float = 5.0
    feature_fraction: float = 0.8
    logistic_c: float = 0.1
    blend_grid: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)  # weight of LightGBM; rest linear
    calibration: str = "temperature"  # 'temperature' | 'isotonic' | 'none'
    max_num_leaves: int = 31  # the cap: no configuration may exceed it

    def __post_init__(self) -> None:
        _tuple(self, "blend_grid")
        if self.calibration not in ("temperature", "isotonic", "none"):
            raise InputError("model.calibration must be temperature, isotonic or none")
        if self.num_leaves > self.max_num_leaves:
            raise InputError(f"model.num_leaves {self.num_leaves} above the cap {self.max_num_leaves}")


@dataclass(frozen=True)
class PolicyParams:
    """Section 4 output policy: w_t = alpha * w_{t-1} + (1 - alpha) * w_raw, then |w_t - w_{t-1}| <= cap."""

    alpha: float = 0.5
    max_daily_change: float = 0.10

    def __post_init__(self) -> None:
        if not 0.0 <= self.alpha < 1.0 or not 0.0 < self.max_daily_change <= 1.0:
            raise InputError("policy: alpha must be in [0, 1) and max_daily_change in (0, 1]")


@dataclass(frozen=True)
class SearchParams:
    """Inner walk-forward search (section 5). Complexity = LightGBM num_leaves. Each label setting
    (H, lambda_dd, lambda_tc) x complexity is fitted once per inner fold; alpha only changes the policy,
    so it is scored without refitting."""

    num_leaves: tuple[int, ...] = (3, 7)
    lambda_dd: tuple[float, ...] = (0.5, 2.0)
    lambda_tc: tuple[float, ...] = (1.0,)
    horizon: tuple[int, ...] = (5, 10, 20)
    alpha: tuple[float, ...] = (0.0, 0.5, 0.8)
    inner_folds: int = 2
    inner_validation_days: int = 252
    # The search runs on the training window as of the first test day of every ``retune_every`` outer
    # folds (4 = yearly for quarterly folds) and its choice is kept until the next; each quarter still
    # refits, re-blends and re-calibrates. 1 = search in every quarter (4x the run time).
    retune_every: int = 4
    min_inner_train_days: int = 252  # an inner fold with less training than this is left out

    def __post_init__(self) -> None:
        for name in ("num_leaves", "lambda_dd", "lambda_tc", "horizon", "alpha"):
            _tuple(self, name)
        if self.inner_folds < 1 or self.retune_every < 1:
            raise InputError("search.inner_folds and search.retune_every must be >= 1")

    def size(self) -> int:
        return (len(self.num_leaves) * len(self.lambda_dd) * len(self.lambda_tc) * len(self.horizon)
                * len(self.alpha))

    @property
    def max_horizon(self) -> int:
        return max(self.horizon)


@dataclass(frozen=True)
class SelectionParams:
    """Score = median fold Calmar + pnl_weight * avg monthly P&L (in %) - drawdown_weight * worst fold
    drawdown (in units of 10%) - turnover_weight * avg daily turnover (in units of 0.10) - tail_weight *
    (median - 25th percentile fold Calmar). The document gives the terms, not the weights."""

    pnl_weight: float = 1.0
    drawdown_weight: float = 0.5
    turnover_weight: float = 0.5
    tail_weight: float = 0.5


@dataclass(frozen=True)
class GateParams:
    """Acceptance gates (section 9), checked on the stitched out-of-sample result against the baseline."""

    max_drawdown_tolerance: float = 0.05  # model max DD may be this much deeper than the baseline's
    max_turnover: float = 0.05  # average daily |change of w_qqq|
    max_negative_fold_rate: float = 0.40
    min_p25_fold_calmar: float = 0.0
    # the margin by which it must beat the baseline's average monthly P&L / Calmar (0: strictly above it;
    # negative relaxes the two gates, e.g. for a flow test that needs a promotable model on sample data)
    min_pnl_edge: float = 0.0
    min_calmar_edge: float = 0.0


@dataclass(frozen=True)
class WalkForwardParams:
    """Outer folds: quarterly test blocks, expanding training, a validation year (blend weight and
    calibration); purge + embargo of the largest searched H at every boundary."""

    min_train_days: int = 756
    validation_days: int = 252
    frequency: str = "Q"


@dataclass(frozen=True)
class AllocatorParams:
    legs: LegParams = field(default_factory=LegParams)
    features: FeatureParams = field(default_factory=FeatureParams)
    labels: LabelParams = field(default_factory=LabelParams)
    model: ModelParams = field(default_factory=ModelParams)
    policy: PolicyParams = field(default_factory=PolicyParams)
    search: SearchParams = field(default_factory=SearchParams)
    selection: SelectionParams = field(default_factory=SelectionParams)
    gates: GateParams = field(default_factory=GateParams)
    costs: CostModel = field(default_factory=CostModel)
    walk_forward: WalkForwardParams = field(default_factory=WalkForwardParams)
    tune: bool = True
    envelope: EnvelopeParams = field(default_factory=EnvelopeParams)

    def __post_init__(self) -> None:
        if any(n > self.model.max_num_leaves for n in self.search.num_leaves):
            raise InputError(f"search.num_leaves above the complexity cap {self.model.max_num_leaves}")

    @property
    def gap(self) -> int:
        """Sessions dropped between a fitting set and the next set: purge (H - 1) + embargo (H), H the
        largest horizon the labels may use."""
        h = max(self.search.max_horizon, self.labels.horizon)
        return 2 * h - 1
