"""The one interface every strategy exposes, in the spirit of scikit-learn's estimators.

A strategy is a small object whose parameters come in through the constructor (a frozen dataclass loaded
from ``config/<name>.yaml``); it has no side effects. The flows reach it only through
``domain.strategies.registry`` and never import a strategy by name.

Life cycle::

    strategy = registry.create(name, params)           # params: the strategy's frozen dataclass
    dataset = strategy.prepare(inputs)                  # causal features + labels, label horizon declared
    folds = strategy.folds(dataset, start, end)         # walk-forward folds (domain.walk_forward.make_folds)
    results = [strategy.run_fold(f, dataset, seed) for f in folds]   # each fold independent, picklable
    report = strategy.assemble(results, dataset)        # stitched out-of-sample WalkForwardResult
    fitted = strategy.fit(dataset, as_of, seed)         # the production model, picklable
    failed = strategy.vet(fitted, report)               # its own acceptance gates (names of those failed)
    targets = strategy.decide(fitted, inputs, as_of, book)   # what it wants held after as_of's close

``Targets`` has four shapes (a strategy uses one): one asset's exposure and a long/short book of stocks are
both ``weights`` (signed fractions of the strategy's capital per instrument); option spreads are
``spreads`` (proposals the book sizes and turns into orders); an allocator's weights over other strategies'
legs are ``leg_weights``. Everything a strategy decided but that is not an order (forecast, filters,
probabilities) goes in ``details``, which is stored with the decision.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pandas as pd

from domain.book.rules import Rules
from domain.errors import InputError
from domain.walk_forward import Fold, FoldResult

TARGET_KINDS = ("exposure", "book", "spreads", "legs")


@dataclass(frozen=True)
class Needs:
    """What a strategy reads. ``symbols``: adjusted daily bars by symbol (e.g. QQQ, SPY, ^VIX);
    ``universe``: the stock universe panel; ``yields``: FRED series ids; ``option_chains``: underlyings
    whose stored chains it reads; ``legs``: names of other strategies (or ``buy_and_hold:SYM``) whose daily
    return streams it allocates over; ``history_days``: sessions of history ``decide`` needs before as_of;
    ``raw_closes``: symbols whose as-traded closes it reads beside the adjusted bars (adjusted / raw gives
    the distributions: a dividend yield); ``open_spreads``: underlyings whose open option spread positions
    (``quantops positions add``) it reads, e.g. to count them against a loss budget."""

    symbols: tuple[str, ...] = ()
    universe: bool = False
    yields: tuple[str, ...] = ()
    option_chains: tuple[str, ...] = ()
    legs: tuple[str, ...] = ()
    history_days: int = 400
    raw_closes: tuple[str, ...] = ()
    open_spreads: tuple[str, ...] = ()


@dataclass(frozen=True)
class Inputs:
    """Market data dated <= ``as_of`` as loaded by infra for a strategy's ``Needs``.

    ``bars``: symbol -> adjusted OHLCV frame (DatetimeIndex; columns open, high, low, close, volume);
    ``universe``: long frame (date, symbol, open, high, low, close, volume) or None;
    ``yields``: wide frame (DatetimeIndex x series id, decimals) or None;
    ``options``: underlying -> option quotes frame (the stored chain layout);
    ``legs``: leg name -> daily return Series (and, where a leg has it, ``<name>:confidence``);
    ``raw_closes``: symbol -> as-traded close Series; ``open_spreads``: the open option spread positions
    (``domain.portfolio.positions.SpreadPosition``) on the ``Needs.open_spreads`` underlyings at as_of;
    ``fingerprint``: hash of the market data above (not the positions), stored with any model fitted on it."""

    as_of: pd.Timestamp
    bars: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    universe: pd.DataFrame | None = None
    yields: pd.DataFrame | None = None
    options: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    legs: Mapping[str, pd.Series] = field(default_factory=dict)
    raw_closes: Mapping[str, pd.Series] = field(default_factory=dict)
    open_spreads: tuple[Any, ...] = ()
    fingerprint: str = ""


@dataclass(frozen=True)
class SpreadProposal:
    """One proposed option credit spread (prices per share, ``contracts`` already sized)."""

    underlying: str
    option_type: str  # 'put' | 'call'
    short_strike: float
    long_strike: float
    expiration: pd.Timestamp
    credit: float
    contracts: int
    pop: float | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Targets:
    """What a strategy wants held from the close of ``as_of`` on. ``kind`` is one of TARGET_KINDS.

    ``weights``: instrument -> signed fraction of the strategy's capital ("exposure": one instrument;
    "book": many). Instruments absent from ``weights`` are to be flat. ``spreads``: proposals ("spreads").
    ``leg_weights``: leg name -> weight, summing to 1 ("legs"). ``details``: diagnostics, stored."""

    as_of: pd.Timestamp
    kind: str
    weights: Mapping[str, float] = field(default_factory=dict)
    spreads: tuple[SpreadProposal, ...] = ()
    leg_weights: Mapping[str, float] = field(default_factory=dict)
    details: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in TARGET_KINDS:
            raise ValueError(f"Targets.kind must be one of {TARGET_KINDS}, got {self.kind!r}")


class Strategy(ABC):
    """Base class of every strategy. Subclasses set ``name``, ``params_type`` and ``needs`` and implement
    the abstract methods; ``params`` is the frozen dataclass instance given to the constructor."""

    name: ClassVar[str]
    params_type: ClassVar[type]
    target_kind: ClassVar[str] = "exposure"
    benchmark: ClassVar[str] = "benchmark"  # label of the walk-forward result's benchmark column in reports
    # False: the strategy has no walk-forward of its own (``folds`` says where its validation lives); the
    # retrain stores the fitted model with its provenance and promotes it on ``vet(fitted, None)`` alone
    walk_forward: ClassVar[bool] = True

    def __init__(self, params: Any | None = None) -> None:
        self.params = params if params is not None else self.params_type()

    @property
    @abstractmethod
    def needs(self) -> Needs: ...

    @abstractmethod
    def prepare(self, inputs: Inputs) -> Any:
        """Causal features and labels over everything in ``inputs`` (a value dated D uses data <= D)."""

    @abstractmethod
    def folds(self, dataset: Any, start: pd.Timestamp, end: pd.Timestamp) -> tuple[Fold, ...]:
        """Walk-forward folds whose test windows cover [start, end], purged for the label horizon."""

    @abstractmethod
    def run_fold(self, fold: Fold, dataset: Any, seed: int) -> FoldResult:
        """Tune on the fold's validation window, refit, and predict its test window. Pure and picklable."""

    @abstractmethod
    def assemble(self, results: list[FoldResult], dataset: Any) -> Any:
        """Stitch fold results into one out-of-sample result (per_fold, daily, summary, benchmark, notes)."""

    @abstractmethod
    def fit(self, dataset: Any, as_of: pd.Timestamp, seed: int) -> Any:
        """The production model fitted on data <= as_of (picklable; stored with provenance)."""

    @abstractmethod
    def decide(self, fitted: Any, inputs: Inputs, as_of: pd.Timestamp, book: Any) -> Targets:
        """Targets for the next session, from data dated <= as_of and the strategy's current book."""

    def rules(self) -> Rules:
        """The rules its book is stepped with (``domain.book.step``): costs, limits, stops, throttle, re-arm,
        fill timing. Default: ``params.rules`` when the params carry a ``Rules`` (a ``rules:`` mapping in
        ``config/<name>.yaml``), else costs and position limits only. Targets are the wanted weights
        before these rules; the stepper applies them, in the backtest and in production alike."""
        rules = getattr(self.params, "rules", None)
        return rules if isinstance(rules, Rules) else Rules()

    def describe_fit(self, fitted: Any) -> dict[str, Any]:
        """Provenance of a fitted model for the model store: ``train_start``/``train_end`` (Timestamps),
        ``chosen`` (hyper-parameters picked on validation) and ``info`` (plain numbers/strings: tuning
        scores, sizes). The default reads the attributes of those names (``chosen`` may be a method)."""
        chosen = getattr(fitted, "chosen", {})
        return {"train_start": pd.Timestamp(fitted.train_start), "train_end": pd.Timestamp(fitted.train_end),
                "chosen": dict(chosen() if callable(chosen) else chosen), "info": dict(getattr(fitted, "info", {}))}

    def confidence(self, details: Mapping[str, Any]) -> float | None:
        """The model's confidence in one stored decision (its Targets' ``details``), the statistic the health
        checks of seed 000 section 10 watch (below 0.3 for 3 sessions: warning; below 0.2 for 5: critical).
        Default: None, the strategy has no such statistic and is not judged on it."""
        return None

    def vet(self, fitted: Any, validation: Any) -> list[str]:
        """The strategy's own acceptance gates on the walk-forward ``validation`` (what ``assemble`` returned)
        that vetted ``fitted``: the names of the gates that failed (empty: none, or it has none). The retrain
        checks them beside the generic promotion gates, so a model that fails one is stored, not promoted,
        and the report names the gate. A strategy may also record the gates' status on ``fitted`` here (it is
        stored after this call), e.g. to show it in its decisions' details. Default: no gates of its own."""
        return []

# Targets of kind "legs" as instrument weights the book can step (seed 003 section 6: the allocator's w_qqq
# combined with the legs' own exposures into one portfolio's orders). A leg's exposure is what its own
# strategy holds per unit of its capital: {"QQQ": 0.4} for vol_regime at 40% long, {"QQQ": 1.0} for
# buy-and-hold QQQ (derived from the leg name ``buy_and_hold:SYM``). The combined weight of an instrument is
# the sum over legs of w_leg x exposure_leg[instrument]. Part of the interface (one of the four target
# shapes), so the flows step an allocator's book without importing any strategy.

BUY_AND_HOLD = "buy_and_hold:"


def leg_exposure(leg: str, exposures: Mapping[str, Mapping[str, float]]) -> Mapping[str, float]:
    if leg in exposures:
        return exposures[leg]
    if leg.startswith(BUY_AND_HOLD):
        return {leg.removeprefix(BUY_AND_HOLD): 1.0}
    raise InputError(f"allocator: no exposure for leg {leg!r} (its strategy has not decided for this session)")


def combine_legs(targets: Targets, exposures: Mapping[str, Mapping[str, float]]) -> Targets:
    """A ``Targets`` of kind 'book' (instrument -> weight of the allocator's capital) from one of kind
    'legs'; the leg weights and each leg's exposure are kept in ``details``."""
    if targets.kind != "legs":
        raise InputError(f"combine_legs: targets of kind {targets.kind!r}, expected 'legs'")
    weights: dict[str, float] = {}
    used: dict[str, dict[str, float]] = {}
    for leg, w in targets.leg_weights.items():
        exp = {str(k): float(v) for k, v in leg_exposure(leg, exposures).items()}
        used[leg] = exp
        for instrument, e in exp.items():
            weights[instrument] = weights.get(instrument, 0.0) + float(w) * e
    details = {**targets.details, "leg_weights": dict(targets.leg_weights), "leg_exposures": used}
    return Targets(as_of=targets.as_of, kind="book", weights=weights, details=details)
