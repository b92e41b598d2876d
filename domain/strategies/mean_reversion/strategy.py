"""``MeanReversion``: the ``Strategy`` interface over the mean_reversion research path (``walk``) and the
daily decision.

``decide`` applies, for one session, the same rules as the backtest's book (``portfolio.simulate``): exits
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
    """Sessions held at the last close of ``dates``: an open fill counts its own session, a close fill
    starts counting at the next one (the backtest's convention)."""
    n = int(len(dates) - dates.searchsorted(entry))
    return n if rules.fill == "next_open" else n - 1


def decide_day(data: walk.MeanReversionData, prob: dict[str, np.ndarray], threshold: dict[str, float],
               book: pd.DataFrame, rules: RuleParams, adjusted: bool = False) -> tuple[dict[str, float], dict[str, Any]]:
    """Weights and diagnostics for the last session of ``data`` (``prob[side]``: (N,) probabilities).
    ``adjusted``: the book's entry prices are total-return prices (the stepper's), else as quoted."""
    p = data.panel
    t = len(p.dates) - 1
    close = pd.DataFrame(p.adj_close if adjusted else p.close).ffill().to_numpy()[t]
    col = {s: k for k, s in enumerate(p.symbols)}
    weights: dict[str, float] = {}
    exits: list[dict] = []
    staying = {1: 0, -1: 0}
    held = set()
    for row in book.itertuples(index=False):
        sgn = 1 if row.quantity > 0 else -1
        j = col.get(row.symbol)
        px = close[j] if j is not None else np.nan
        if not np.isfinite(px):
            raise InputError(f"mean_reversion: no close for held {row.symbol} on or before {p.dates[t].date()}")
        held.add(row.symbol)
        if pd.isna(row.entry_date):  # weights only: the stepper checks this position's stops
            staying[1 if row.weight > 0 else -1] += 1
            weights[row.symbol] = float(row.weight)
            continue
        n = held_sessions(p.dates, row.entry_date, rules)
        stop = px <= row.entry_price * (1 - rules.stop_loss) if sgn > 0 else px >= row.entry_price * (1 + rules.stop_loss)
        if stop or n >= rules.time_stop_sessions:
            exits.append({"symbol": row.symbol, "reason": "stop" if stop else "time_stop", "close": float(px),
                          "entry_price": float(row.entry_price), "sessions_held": n})
            continue
        staying[sgn] += 1
        # a stepper book holds constant weights: keep it (no order); shares drift with the price
        weight = getattr(row, "weight", np.nan)
        weights[row.symbol] = float(weight if np.isfinite(weight) else row.quantity * px / rules.capital)
    full = {s: np.full(data.fs.universe.shape, np.nan) for s in SIDES}
    for s in SIDES:
        full[s][t] = prob[s]
    sig = walk.make_signals(data, full, threshold, rules, slice(t, t + 1))
    entries = []
    for sgn, score, alloc, slots in ((1, sig.long_score[-1], sig.long_alloc[-1], rules.max_long),
                                     (-1, sig.short_score[-1], sig.short_alloc[-1], rules.max_short)):
        free = slots - staying[sgn]
        cand = [j for j in np.argsort(np.where(np.isfinite(score), -score, np.inf), kind="stable")
                if np.isfinite(score[j]) and p.symbols[j] not in held]
        for j in (int(k) for k in cand[:max(free, 0)]) if alloc > 0 else ():
            w = float(min(alloc / slots, sig.cap[-1, j]))
            if w > 0:
                weights[p.symbols[j]] = sgn * w
                entries.append({"symbol": p.symbols[j], "side": "long" if sgn > 0 else "short",
                                "weight": sgn * w, "probability": float(score[j]),
                                "qpi": float(data.fs.features[t, j, 0])})
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
        """The stepper's rules for this strategy's book: costs 5 + 10 bps, fills at the next open, 5% stop,
        6-session time stop, 40 names, 5% of ADV; no drawdown throttle (the document expects a 46%
        drawdown), so the re-arm policy never triggers."""
        r = self.params.rules
        return Rules(commission_bps=r.commission_bps, slippage_bps=r.slippage_bps, fill=r.fill,
                     min_weight=-max(r.bull_short, r.bear_short) / max(r.max_short, 1),
                     max_weight=max(r.bull_long, r.bear_long) / max(r.max_long, 1),
                     max_positions=r.max_long + r.max_short, stop_loss=r.stop_loss,
                     time_stop=r.time_stop_sessions, max_adv_fraction=r.adv_fraction, rearm="operator")

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
