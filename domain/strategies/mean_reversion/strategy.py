"""``MeanReversion``: the ``Strategy`` interface over the mean_reversion research path (``walk``) and the
daily decision.

``decide`` applies, for one session, the decision the walk-forward's book takes (``decision.decide_session``): exits
of held positions (stop on the close against the entry price, time stop after ``time_stop_sessions``),
then the day's best signals into the free slots, sized by the regime's allocation and the ADV cap.
``Targets.weights`` are fractions of the strategy's capital: held positions that stay keep their current
weight, exits are absent (to be flat), new entries get their entry weight.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from domain.book import Book, Rules
from domain.errors import InputError
from domain.strategies.base import Inputs, Needs, Strategy, Targets
from domain.strategies.mean_reversion import walk
from domain.strategies.mean_reversion.book import book_rules
from domain.strategies.mean_reversion.decision import Held, decide_session, held_count
from domain.strategies.mean_reversion.model import SIDES, SideModel, zone
from domain.strategies.mean_reversion.params import MeanReversionParams, RuleParams
from domain.walk_forward import Fold

VIX = "^VIX"


@dataclass(frozen=True)
class FittedMeanReversion:
    """The production models (long and short) fitted on data <= ``as_of``, with their thresholds."""

    models: dict[str, SideModel]
    params: MeanReversionParams
    as_of: pd.Timestamp
    fold: Fold
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def train_start(self) -> pd.Timestamp:
        return self.fold.refit_start

    @property
    def train_end(self) -> pd.Timestamp:
        """Last decision date whose label was used (the refit window's end, purged before as_of)."""
        return self.fold.refit_end

    def chosen(self) -> dict[str, Any]:
        """What the validation year chose, per side: threshold, num_leaves, n_estimators."""
        return {f"{side}_{k}": v for side, m in self.models.items() for k, v in
                (("threshold", m.threshold), ("num_leaves", m.params.num_leaves),
                 ("n_estimators", m.params.n_estimators))}


def production_fold(usable: pd.DatetimeIndex, as_of: pd.Timestamp, params: MeanReversionParams) -> Fold:
    """The fold a retrain at ``as_of`` uses: the validation year ends a purge + embargo before as_of's next
    session, training is everything before it (less the same gap); the refit covers both."""
    wf = params.walk_forward
    idx = usable[usable <= as_of]
    gap = wf.label_horizon - 1 + wf.embargo_days
    n = len(idx)
    val_end = n - 1 - gap
    val_start = val_end - wf.validation_days + 1
    train_end = val_start - 1 - gap
    if train_end + 1 < wf.min_train_days:
        raise InputError(f"mean_reversion: {max(train_end + 1, 0)} training sessions before the validation year "
                         f"up to {as_of.date()} (< {wf.min_train_days})")
    nxt = as_of + pd.Timedelta(days=1)
    return Fold(index=0, name=f"fit {as_of.date()}", train_start=idx[0], train_end=idx[train_end],
                validation_start=idx[val_start], validation_end=idx[val_end], test_start=nxt, test_end=nxt,
                label_horizon=wf.label_horizon, embargo_days=wf.embargo_days)


def _book_frame(book: Any, capital: float) -> pd.DataFrame:
    """Open positions as symbol, quantity (signed shares at ``capital``), entry_price, entry_date; from a
    stepper ``Book`` (weights of its equity, total-return prices) or a frame with those columns; None is
    flat."""
    if book is None:
        return pd.DataFrame(columns=["symbol", "quantity", "entry_price", "entry_date"])
    if not isinstance(book, (Book, pd.DataFrame)) and hasattr(book, "weights"):
        # a view of the held weights only (no entry prices): keep them; the stepper applies the stops
        w = {str(k): float(v) for k, v in dict(book.weights).items() if v}
        return pd.DataFrame({"symbol": list(w), "quantity": np.nan, "entry_price": np.nan, "entry_date": pd.NaT,
                             "weight": list(w.values())})
    if isinstance(book, Book):
        p = book.positions[book.positions["pending"] != 0]
        return pd.DataFrame({"symbol": p.index.astype(str),
                             "quantity": p["pending"].to_numpy() * capital / p["last_close"].to_numpy(),
                             "entry_price": p["entry_price"].to_numpy(), "entry_date": p["entry_date"].to_numpy(),
                             "weight": p["pending"].to_numpy()})
    frame = book if isinstance(book, pd.DataFrame) else pd.DataFrame(book)
    missing = {"symbol", "quantity", "entry_price", "entry_date"} - set(frame.columns)
    if missing:
        raise InputError(f"mean_reversion: book lacks column(s) {', '.join(sorted(missing))}")
    frame = frame[frame["quantity"] != 0].copy()
    frame["entry_date"] = pd.to_datetime(frame["entry_date"])
    return frame


def held_sessions(dates: pd.DatetimeIndex, entry: pd.Timestamp, rules: RuleParams) -> int:
    """Sessions held at the last close of ``dates`` by a position entered on ``entry``."""
    return held_count(len(dates), int(dates.searchsorted(entry)), rules)


def decide_day(data: walk.MeanReversionData, prob: dict[str, np.ndarray], threshold: dict[str, float],
               book: pd.DataFrame, rules: RuleParams, adjusted: bool = False) -> tuple[dict[str, float], dict[str, Any]]:
    """Weights and diagnostics for the last session of ``data`` (``prob[side]``: (N,) probabilities).
    ``adjusted``: the book's entry prices are total-return prices (the stepper's), else as quoted."""
    p = data.panel
    t = len(p.dates) - 1
    close = pd.DataFrame(p.adj_close if adjusted else p.close).ffill().to_numpy()[t]
    col = {s: k for k, s in enumerate(p.symbols)}
    held, px = [], {}
    for row in book.itertuples(index=False):
        j = col.get(row.symbol)
        px[row.symbol] = close[j] if j is not None else np.nan
        if not np.isfinite(px[row.symbol]):
            raise InputError(f"mean_reversion: no close for held {row.symbol} on or before {p.dates[t].date()}")
        weight = float(getattr(row, "weight", np.nan))
        if pd.isna(row.entry_date):  # weights only: the stepper checks this position's stops
            held.append(Held(row.symbol, 1 if weight > 0 else -1, weight, np.nan, np.nan, None))
            continue
        held.append(Held(row.symbol, 1 if row.quantity > 0 else -1, weight, float(row.quantity),
                         float(row.entry_price), held_sessions(p.dates, row.entry_date, rules)))
    full = {s: np.full(data.fs.universe.shape, np.nan) for s in SIDES}
    for s in SIDES:
        full[s][t] = prob[s]
    sig = walk.make_signals(data, full, threshold, rules, slice(t, t + 1))
    weights, exits, entries = decide_session(
        held, px, p.symbols, {1: sig.long_score[-1], -1: sig.short_score[-1]},
        {1: float(sig.long_alloc[-1]), -1: float(sig.short_alloc[-1])}, sig.cap[-1], rules, data.fs.features[t, :, 0])
    details = {"regime": "bear" if data.bear[t] else "bull", "exits": exits, "entries": entries,
               "candidates": {s: int(np.isfinite(sc).sum()) for s, sc in
                              (("long", sig.long_score[-1]), ("short", sig.short_score[-1]))}}
    return weights, details


class MeanReversion(Strategy):
    """Long/short book of stocks: QPI + LightGBM entries, VIX regime allocation, stops and time stops."""

    name = "mean_reversion"
    params_type = MeanReversionParams
    target_kind = "book"
    benchmark = "equal-weight universe"

    @property
    def needs(self) -> Needs:
        p = self.params
        days = max(p.features.qpi_vol_days, p.features.bollinger_days, max(p.features.momentum_days),
                   p.universe.adv_days, p.rules.vix_sma_days) + p.rules.time_stop_sessions + 40
        return Needs(symbols=(VIX,), universe=True, history_days=days)

    def rules(self) -> Rules:
        """The stepper's rules for this strategy's book (``book.book_rules``): the walk-forward's book runs
        on the same ones."""
        return book_rules(self.params.rules)

    def prepare(self, inputs: Inputs) -> walk.MeanReversionData:
        if inputs.universe is None or VIX not in inputs.bars:
            raise InputError("mean_reversion: needs the stock universe and ^VIX bars")
        uni = inputs.universe
        uni = uni[pd.to_datetime(uni["date"]) <= inputs.as_of]
        vix = inputs.bars[VIX]
        return walk.prepare_data(uni, vix["close"].loc[vix.index <= inputs.as_of], self.params)

    def folds(self, dataset, start, end):
        return walk.folds_for(dataset, self.params, start, end)

    def run_fold(self, fold, dataset, seed):
        return walk.run_fold(fold, dataset, self.params, seed)

    def assemble(self, results, dataset):
        return walk.assemble(results, dataset, self.params)

    def fit(self, dataset: walk.MeanReversionData, as_of, seed: int) -> FittedMeanReversion:
        as_of = pd.Timestamp(as_of)
        fold = production_fold(dataset.usable, as_of, self.params)
        models, info = {}, {}
        for side in SIDES:
            model, side_info, _ = walk.fit_side(dataset, side, fold, self.params, seed)
            models[side] = model
            info.update(side_info)
        return FittedMeanReversion(models, self.params, as_of, fold, info)

    def decide(self, fitted: FittedMeanReversion, inputs: Inputs, as_of, book) -> Targets:
        as_of = pd.Timestamp(as_of)
        data = self.prepare(Inputs(as_of=as_of, bars=inputs.bars, universe=inputs.universe))
        if data.panel.dates[-1] != as_of:
            raise InputError(f"mean_reversion: no universe bars on {as_of.date()} (last {data.panel.dates[-1].date()})")
        t = len(data.panel.dates) - 1
        x = data.fs.features[t]
        prob = {}
        for side in SIDES:
            p = np.full(x.shape[0], np.nan)
            rows = np.flatnonzero(data.fs.universe[t] & zone(x, side, self.params.rules))
            p[rows] = fitted.models[side].predict(x[rows])
            prob[side] = p
        threshold = {s: fitted.models[s].threshold for s in SIDES}
        frame = _book_frame(book, self.params.rules.capital)
        weights, details = decide_day(data, prob, threshold, frame, self.params.rules, isinstance(book, Book))
        details.update(model_as_of=str(fitted.as_of.date()), thresholds=threshold)
        return Targets(as_of=as_of, kind="book", weights=weights, details=details)
