"""Walk-forward folds over a trading-day index: expanding training window, a validation year for tuning,
then a test window (one quarter by default), with purge and embargo between the sets.

Conventions:

- A sample dated t has features from data dated <= t and a label that spans the ``label_horizon``
  trading days after t: (t, t + label_horizon]. For the next-day return, label_horizon = 1.
- Purge: a sample is kept in a fitting set only if its label ends before the first label of the next
  set starts to be earned, i.e. t + label_horizon <= first day of the next set. That drops the last
  ``label_horizon - 1`` days of the earlier set (none for a one-day label).
- Embargo: ``embargo_days`` further trading days are dropped at the end of each fitting set before the
  next set, against leakage through serially correlated features.
- So with ``gap = label_horizon - 1 + embargo_days``: train ends ``gap`` days before the day preceding
  the validation start, and validation ends ``gap`` days before the day preceding the test start.
- Hyper-parameters are chosen by fitting on train and scoring on validation; the model used on the test
  window is then refitted on train + validation (the ``refit`` window), i.e. on everything known and
  label-complete at the start of the test window. Training never sees a date after ``refit_end``.
- Folds are independent and their objects are small frozen dataclasses, so an orchestrator can run
  ``run_fold`` for each in parallel (threads or processes) and ``stitch`` the results afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from domain import metrics
from domain.errors import InputError


@dataclass(frozen=True)
class Fold:
    """Date ranges (inclusive) of one walk-forward fold."""

    index: int
    name: str
    train_start: pd.Timestamp
    train_end: pd.Timestamp
    validation_start: pd.Timestamp
    validation_end: pd.Timestamp
    test_start: pd.Timestamp
    test_end: pd.Timestamp
    label_horizon: int = 1
    embargo_days: int = 0

    @property
    def refit_start(self) -> pd.Timestamp:
        return self.train_start

    @property
    def refit_end(self) -> pd.Timestamp:
        return self.validation_end

    def _mask(self, index: pd.DatetimeIndex, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
        return np.asarray((index >= start) & (index <= end))

    def train_mask(self, index: pd.DatetimeIndex) -> np.ndarray:
        return self._mask(index, self.train_start, self.train_end)

    def validation_mask(self, index: pd.DatetimeIndex) -> np.ndarray:
        return self._mask(index, self.validation_start, self.validation_end)

    def refit_mask(self, index: pd.DatetimeIndex) -> np.ndarray:
        return self._mask(index, self.refit_start, self.refit_end)

    def test_mask(self, index: pd.DatetimeIndex) -> np.ndarray:
        return self._mask(index, self.test_start, self.test_end)

    def as_dict(self) -> dict[str, Any]:
        return {
            "fold": self.index,
            "name": self.name,
            "train_start": self.train_start.date().isoformat(),
            "train_end": self.train_end.date().isoformat(),
            "validation_start": self.validation_start.date().isoformat(),
            "validation_end": self.validation_end.date().isoformat(),
            "test_start": self.test_start.date().isoformat(),
            "test_end": self.test_end.date().isoformat(),
        }


def make_folds(
    index: pd.DatetimeIndex,
    test_start: str | pd.Timestamp,
    test_end: str | pd.Timestamp,
    *,
    min_train_days: int = 504,
    validation_days: int = 252,
    label_horizon: int = 1,
    embargo_days: int = 0,
    frequency: str = "Q",
) -> tuple[Fold, ...]:
    """Folds whose test windows are the calendar periods (``frequency``: "Q" quarter, "M" month, "Y" year)
    of ``index`` between ``test_start`` and ``test_end``.

    ``index`` is the increasing trading-day index of the usable samples (features complete). Training
    starts at its first day and expands. Raises ``InputError`` if a test period has fewer than
    ``min_train_days`` training days (2 years by default) or if no test day falls in the range.
    """
    index = pd.DatetimeIndex(index)
    if not index.is_monotonic_increasing or index.has_duplicates:
        raise InputError("make_folds: index must be increasing without duplicates")
    if label_horizon < 1 or embargo_days < 0 or validation_days < 1 or min_train_days < 1:
        raise InputError("make_folds: need label_horizon >= 1, embargo_days >= 0, validation/train days >= 1")
    start, end = pd.Timestamp(test_start), pd.Timestamp(test_end)
    in_range = np.flatnonzero((index >= start) & (index <= end))
    if in_range.size == 0:
        raise InputError(f"make_folds: no trading day between {start.date()} and {end.date()}")
    gap = label_horizon - 1 + embargo_days
    periods = index[in_range].to_period(frequency)
    folds: list[Fold] = []
    for k, period in enumerate(periods.unique()):
        pos = in_range[np.asarray(periods == period)]
        a, b = int(pos[0]), int(pos[-1])
        val_end = a - 1 - gap
        val_start = val_end - validation_days + 1
        train_end = val_start - 1 - gap
        if train_end + 1 < min_train_days:
            raise InputError(
                f"make_folds: test period {period} has {max(train_end + 1, 0)} training days before its "
                f"validation year (< {min_train_days}); start the data earlier or the tests later"
            )
        folds.append(
            Fold(
                index=k,
                name=str(period),
                train_start=index[0],
                train_end=index[train_end],
                validation_start=index[val_start],
                validation_end=index[val_end],
                test_start=index[a],
                test_end=index[b],
                label_horizon=label_horizon,
                embargo_days=embargo_days,
            )
        )
    return tuple(folds)


@dataclass(frozen=True)
class FoldResult:
    """What one fold produced: ``predictions`` has one row per test day (e.g. forecast, target exposure);
    ``info`` holds plain values (chosen parameters, validation score, fit sizes)."""

    fold: Fold
    predictions: pd.DataFrame
    info: dict[str, Any] = field(default_factory=dict)


FitPredict = Callable[[Fold, Any, Any, int], tuple[pd.DataFrame, dict[str, Any]]]


def fold_seed(seed: int, fold: Fold) -> int:
    """A per-fold seed derived from the run seed, so folds are reproducible in any execution order."""
    return int(np.random.SeedSequence([int(seed), int(fold.index)]).generate_state(1)[0])


def run_fold(fold: Fold, data: Any, params: Any, seed: int, fit_predict: FitPredict) -> FoldResult:
    """Run ``fit_predict(fold, data, params, fold_seed)`` and check that it only returned test-window rows."""
    predictions, info = fit_predict(fold, data, params, fold_seed(seed, fold))
    if not isinstance(predictions, pd.DataFrame):
        raise InputError("fit_predict must return a DataFrame of test-window predictions")
    idx = predictions.index
    if len(idx) and (idx.min() < fold.test_start or idx.max() > fold.test_end):
        raise InputError(f"fold {fold.name}: predictions outside the test window")
    return FoldResult(fold=fold, predictions=predictions, info=dict(info))


def stitch(results: Sequence[FoldResult]) -> pd.DataFrame:
    """Concatenate the test-window predictions of folds, in date order; test windows must not overlap."""
    if not results:
        raise InputError("stitch: no fold results")
    ordered = sorted(results, key=lambda r: r.fold.test_start)
    for prev, nxt in zip(ordered, ordered[1:]):
        if nxt.fold.test_start <= prev.fold.test_end:
            raise InputError(f"stitch: test windows of {prev.fold.name} and {nxt.fold.name} overlap")
    frame = pd.concat([r.predictions.assign(fold=r.fold.name) for r in ordered])
    return frame


def stitched_equity(returns: pd.Series, start: float = 1.0) -> pd.Series:
    """Equity of the stitched out-of-sample daily returns (compounded, NaN counted as 0)."""
    return start * (1.0 + returns.fillna(0.0)).cumprod()


@dataclass(frozen=True)
class WalkForwardResult:
    """The out-of-sample result every strategy's ``assemble`` returns (the flows store and report it).

    ``daily``: one row per test day with at least ``fold`` (fold name), ``exposure`` (net exposure held
    from that close), ``net_return`` (strategy return earned that day, after costs) and
    ``benchmark_return``; ``per_fold``: one row per fold (windows, chosen parameters, ``test_*`` and
    ``bh_*`` metrics); ``summary`` / ``benchmark``: ``metrics.summarize`` over the whole period."""

    folds: tuple[Fold, ...]
    per_fold: pd.DataFrame
    daily: pd.DataFrame
    summary: dict[str, float]
    benchmark: dict[str, float]
    notes: tuple[str, ...] = ()


def _prefixed(prefix: str, values: dict[str, Any]) -> dict[str, Any]:
    return {prefix + k: v for k, v in values.items()}


def walk_forward_result(results: Sequence[FoldResult], daily: pd.DataFrame,
                        notes: Sequence[str] = ()) -> WalkForwardResult:
    """Tabulate a stitched ``daily`` frame (columns fold, exposure, net_return, benchmark_return) into the
    common result: per-fold and whole-period metrics of the strategy and of its benchmark."""
    missing = {"fold", "exposure", "net_return", "benchmark_return"} - set(daily.columns)
    if missing:
        raise InputError(f"walk-forward daily frame lacks column(s) {', '.join(sorted(missing))}")
    by_name = {r.fold.name: r for r in results}
    rows = []
    for name, days in daily.groupby("fold", sort=False):
        r = by_name[name]
        plain = {k: v for k, v in r.info.items() if not isinstance(v, pd.Timestamp)}
        rows.append(r.fold.as_dict() | plain
                    | _prefixed("test_", metrics.summarize(days["net_return"], days["exposure"]))
                    | _prefixed("bh_", metrics.summarize(days["benchmark_return"])))
    always_in = pd.Series(1.0, index=daily.index)
    return WalkForwardResult(
        folds=tuple(sorted((r.fold for r in results), key=lambda f: f.test_start)), per_fold=pd.DataFrame(rows),
        daily=daily, summary=metrics.summarize(daily["net_return"], daily["exposure"]),
        benchmark=metrics.summarize(daily["benchmark_return"], always_in), notes=tuple(notes),
    )
