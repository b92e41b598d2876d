"""A strategy that exists only under tests/: hold a fixed weight of one symbol.

It proves the platform claim: registered by a test's own config dir (strategies.yaml + buy_and_hold.yaml),
it runs through the daily, walk-forward, retrain and report paths with no line in flows/ or tasks/ naming it.
Its figures are easy to check by hand: the out-of-sample return of a day is weight x the symbol's return.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from domain.book.rules import Rules
from domain.strategies.base import Inputs, Needs, Strategy, Targets
from domain.walk_forward import Fold, FoldResult, WalkForwardResult, make_folds, stitch, walk_forward_result


@dataclass(frozen=True)
class BuyAndHoldParams:
    symbol: str = "SPY"
    weight: float = 1.0
    min_train_days: int = 252
    validation_days: int = 63
    rules: Rules = field(default_factory=Rules)  # a `rules:` mapping in buy_and_hold.yaml; Strategy.rules() reads it
    failing_gates: tuple[str, ...] = ()  # its own acceptance gates that fail (Strategy.vet), for the retrain's tests
    confidence: dict[str, float] = field(default_factory=dict)  # ISO date -> its "model confidence" (health tests)


@dataclass(frozen=True)
class Held:
    """The 'fitted model': what to hold, and the window it was 'trained' on (for provenance)."""

    symbol: str
    weight: float
    train_start: pd.Timestamp
    train_end: pd.Timestamp


class BuyAndHold(Strategy):
    name = "buy_and_hold"
    params_type = BuyAndHoldParams
    target_kind = "exposure"
    benchmark = "buy-and-hold at weight 1"

    @property
    def needs(self) -> Needs:
        return Needs(symbols=(self.params.symbol,), history_days=5)

    def prepare(self, inputs: Inputs) -> pd.Series:
        return inputs.bars[self.params.symbol]["close"].pct_change().dropna()

    def folds(self, dataset: pd.Series, start, end) -> tuple[Fold, ...]:
        return make_folds(dataset.index, start, end, min_train_days=self.params.min_train_days,
                          validation_days=self.params.validation_days)

    def run_fold(self, fold: Fold, dataset: pd.Series, seed: int) -> FoldResult:
        test = dataset.index[fold.test_mask(dataset.index)]
        return FoldResult(fold, pd.DataFrame({"target": self.params.weight}, index=test), {"weight": self.params.weight})

    def assemble(self, results: list[FoldResult], dataset: pd.Series) -> WalkForwardResult:
        daily = stitch(results)
        returns = dataset.reindex(daily.index)
        daily["exposure"] = daily["target"]
        daily["net_return"] = (daily["exposure"].shift(1) * returns).fillna(0.0)  # bought at the first close
        daily["benchmark_return"] = returns.where(daily.index > daily.index[0], 0.0)
        return walk_forward_result(results, daily)

    def fit(self, dataset: pd.Series, as_of, seed: int) -> Held:
        seen = dataset.loc[:pd.Timestamp(as_of)]
        return Held(self.params.symbol, self.params.weight, seen.index[0], seen.index[-1])

    def vet(self, fitted: Held, validation: WalkForwardResult) -> list[str]:
        return list(self.params.failing_gates)

    def decide(self, fitted: Held, inputs: Inputs, as_of, book: Any) -> Targets:
        held = dict(getattr(book, "weights", {}) or {})
        day = pd.Timestamp(as_of).date().isoformat()
        confidence = {"confidence": self.params.confidence[day]} if day in self.params.confidence else {}
        return Targets(as_of=pd.Timestamp(as_of), kind="exposure", weights={fitted.symbol: fitted.weight},
                       details={"previous": held, "filters": [], **confidence})

    def confidence(self, details) -> float | None:
        return details.get("confidence")
