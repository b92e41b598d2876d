"""mean_reversion research path: dataset, one walk-forward fold, and the stitched out-of-sample book.

Per fold (quarterly, expanding): each side's LightGBM grid and entry threshold are chosen on the
validation year (``model.tune_side``), the chosen model is refitted on train + validation, and it scores
the test quarter's candidates. The stitched out-of-sample signals then go through one continuous book
(``book.run_walk_book``: the platform's ``run_book``, the session function production steps), so positions carry across quarter ends as they would in production. Purge and
embargo come from ``domain.walk_forward.make_folds`` with label_horizon 7 (the label's exit is the open 7
sessions after the decision close).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from domain import metrics
from domain.errors import InputError
from domain.strategies.mean_reversion import features as F
from domain.strategies.mean_reversion.book import Signals, WalkBook, run_walk_book
from domain.strategies.mean_reversion.model import SIDES, SideModel, fit_classifier, label, tune_side, zone
from domain.strategies.mean_reversion.panel import Panel, align_series, panel_from_long
from domain.strategies.mean_reversion.params import MeanReversionParams, RuleParams
from domain.strategies.mean_reversion.stress import stress_notes
from domain.walk_forward import Fold, FoldResult, make_folds, stitch
from domain.walk_forward import run_fold as _run_fold_generic


@dataclass(frozen=True)
class MeanReversionData:
    """Panel, features/labels/universe, the VIX regime, and per side the candidate stock-days (t, j)."""

    panel: Panel
    fs: F.FeatureSet
    bear: np.ndarray
    rows: dict[str, tuple[np.ndarray, np.ndarray]]
    usable: pd.DatetimeIndex
    notes: tuple[str, ...] = ()


def prepare_data(universe: pd.DataFrame, vix: pd.Series, params: MeanReversionParams) -> MeanReversionData:
    panel = panel_from_long(universe)
    fs = F.build(panel, params.features, params.universe, params.labels)
    r = params.rules
    bear = F.vix_bear(align_series(vix, panel.dates), r.vix_sma_days, r.vix_multiplier)
    rows = {}
    for side in SIDES:
        base = fs.universe if params.model.train_on == "all" else fs.universe & zone(fs.features, side, r)
        rows[side] = np.nonzero(base)
    usable = panel.dates[fs.universe.any(axis=1)]
    if len(usable) == 0:
        raise InputError("mean_reversion: no session has a complete feature row (too little history?)")
    notes = ("Universe: today's S&P 500 names (survivorship-biased: names that left the index are absent).",)
    return MeanReversionData(panel, fs, bear, rows, pd.DatetimeIndex(usable), notes)


def make_signals(data: MeanReversionData, prob: dict[str, np.ndarray], threshold: dict[str, Any],
                 rules: RuleParams, sl: slice = slice(None)) -> Signals:
    """Entry scores where the entry rule holds (universe, QPI zone, probability above the threshold),
    side allocations of each day's regime and the ADV cap, over sessions ``sl``.
    ``prob[side]``: (T, N) probabilities (NaN where not scored); ``threshold[side]``: scalar or (T,)."""
    scores = {}
    for side in SIDES:
        thr = np.asarray(threshold[side], dtype=float)
        thr = thr[sl, None] if thr.ndim else thr
        ok = data.fs.universe[sl] & zone(data.fs.features[sl], side, rules)
        with np.errstate(invalid="ignore"):
            ok &= prob[side][sl] > thr
        scores[side] = np.where(ok, prob[side][sl], np.nan)
    bear = data.bear[sl]
    cap = np.nan_to_num(rules.adv_fraction * data.fs.adv[sl] / rules.capital, nan=0.0)
    return Signals(scores["long"], scores["short"], np.where(bear, rules.bear_long, rules.bull_long),
                   np.where(bear, rules.bear_short, rules.bull_short), cap)


def folds_for(data: MeanReversionData, params: MeanReversionParams, start=None, end=None) -> tuple[Fold, ...]:
    wf = params.walk_forward
    return make_folds(data.usable, start or wf.start, end or wf.end, min_train_days=wf.min_train_days,
                      validation_days=wf.validation_days, label_horizon=wf.label_horizon,
                      embargo_days=wf.embargo_days, frequency=wf.frequency)


def _side_sets(data: MeanReversionData, side: str, fold: Fold):
    t, j = data.rows[side]
    d = data.panel.dates[t]
    fwd = data.fs.labels[t, j]
    known = np.isfinite(fwd)
    out = {}
    for name, mask in (("train", fold.train_mask(d) & known), ("valid", fold.validation_mask(d) & known),
                       ("refit", fold.refit_mask(d) & known), ("test", fold.test_mask(d))):
        k = np.flatnonzero(mask)
        out[name] = (data.fs.features[t[k], j[k]], fwd[k], t[k], j[k])
    return out


def fit_side(data: MeanReversionData, side: str, fold: Fold, params: MeanReversionParams,
             seed: int) -> tuple[SideModel, dict, tuple]:
    sets = _side_sets(data, side, fold)
    if len(sets["train"][0]) == 0 or len(sets["refit"][0]) == 0:
        raise InputError(f"mean_reversion fold {fold.name}: no {side} training rows")
    if params.tune:
        mp, thr, info = tune_side(side, sets["train"][:3], sets["valid"][:3], params.model, params.grid,
                                  params.rules, params.labels, seed)
    else:
        mp = params.model
        thr = params.rules.long_prob if side == "long" else params.rules.short_prob
        info = {f"{side}_threshold": thr}
    x, fwd = sets["refit"][:2]
    clf = fit_classifier(x, label(fwd, side, params.labels), mp, seed)
    return SideModel(side, clf, float(thr), mp, len(x)), info, sets["test"]


def _fit_predict(fold: Fold, data: MeanReversionData, params: MeanReversionParams, seed: int):
    frames, info = [], {}
    for side in SIDES:
        model, side_info, (x, _, t, j) = fit_side(data, side, fold, params, seed)
        info.update(side_info)
        prob = model.predict(x)
        frames.append(pd.DataFrame({"t": t, "j": j, "side": side, "prob": prob, "threshold": model.threshold,
                                    "qpi": x[:, 0] if len(x) else np.zeros(0)},
                                   index=data.panel.dates[t]))
    pred = pd.concat(frames).sort_index(kind="stable")
    pred.index.name = "date"
    return pred, info


def run_fold(fold: Fold, data: MeanReversionData, params: MeanReversionParams, seed: int) -> FoldResult:
    """One walk-forward fold: tune on validation, refit, score the test quarter's candidates."""
    return _run_fold_generic(fold, data, params, seed, _fit_predict)


@dataclass(frozen=True)
class WalkForwardResult:
    """``daily``: the stitched out-of-sample book (net_return, equity, drawdown, exposures, turnover,
    benchmark_return, fold). ``per_fold``: windows, chosen parameters and test-window metrics.
    ``trades``: every closed trade. ``summary`` / ``benchmark``: ``metrics.summarize`` of the whole period
    (plus the trade win rate); the benchmark is the equal-weight universe, rebalanced daily."""

    folds: tuple[Fold, ...]
    per_fold: pd.DataFrame
    daily: pd.DataFrame
    trades: pd.DataFrame
    summary: dict[str, float]
    benchmark: dict[str, float]
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def returns(self) -> pd.Series:
        return self.daily["net_return"]

    @property
    def exposure(self) -> pd.Series:
        return self.daily["net_exposure"]

    @property
    def equity(self) -> pd.Series:
        return self.daily["equity"]


def equal_weight_returns(data: MeanReversionData) -> np.ndarray:
    """Daily return of an equal-weight portfolio of the universe names (members at the previous close)."""
    c = data.panel.adj_close
    r = np.full(c.shape, np.nan)
    r[1:] = c[1:] / c[:-1] - 1.0
    member = np.zeros_like(data.fs.universe)
    member[1:] = data.fs.universe[:-1]
    r = np.where(member & np.isfinite(r), r, np.nan)
    with np.errstate(invalid="ignore"):
        n = member.sum(axis=1)
        out = np.where(n > 0, np.nansum(r, axis=1) / np.maximum(n, 1), 0.0)
    return out


def book_over(data: MeanReversionData, stitched: pd.DataFrame, params: MeanReversionParams) -> WalkBook:
    """The continuous book over the stitched test sessions: the strategy's daily decision and the platform's
    session function with the strategy's rules, compiled in one pass (``book.run_walk_book``)."""
    dates = data.panel.dates
    a = int(dates.searchsorted(stitched.index.min()))
    b = int(dates.searchsorted(stitched.index.max(), side="right"))
    T, N = data.fs.universe.shape
    prob = {s: np.full((T, N), np.nan) for s in SIDES}
    thr = {s: np.full(T, np.inf) for s in SIDES}
    for side in SIDES:
        part = stitched[stitched["side"] == side]
        t, j = part["t"].to_numpy(int), part["j"].to_numpy(int)
        prob[side][t, j] = part["prob"].to_numpy()
        thr[side][t] = part["threshold"].to_numpy()
    sl = slice(a, b)
    sig = make_signals(data, prob, thr, params.rules, sl)
    p = data.panel
    return run_walk_book(p.adj_open[sl], p.adj_close[sl], data.fs.adv[sl], sig, params.rules, dates[sl], p.symbols,
                         data.fs.features[sl, :, 0])


def _window_metrics(daily: pd.DataFrame, trades: pd.DataFrame, bench: pd.Series) -> dict[str, float]:
    """A fold's test-window metrics (``test_*``) and its benchmark's (``bh_*``), the flows' column names."""
    r = daily["net_return"]
    wins = (trades["pnl"] > 0).mean() if len(trades) else float("nan")
    return {"test_cagr": metrics.cagr(r), "test_sharpe": metrics.sharpe(r),
            "test_max_drawdown": metrics.max_drawdown(r), "test_win_rate": float(wins),
            "test_trades": float(len(trades)),
            "test_turnover": float(daily["turnover"].mean() * metrics.PERIODS_PER_YEAR),
            "test_gross_exposure": float(daily["gross_exposure"].mean()),
            "test_net_exposure": float(daily["net_exposure"].mean()),
            "bh_cagr": metrics.cagr(bench), "bh_sharpe": metrics.sharpe(bench),
            "bh_max_drawdown": metrics.max_drawdown(bench)}


def assemble(results: list[FoldResult], data: MeanReversionData, params: MeanReversionParams) -> WalkForwardResult:
    stitched = stitch(results)
    book = book_over(data, stitched, params)
    daily = book.daily.copy()
    bench = pd.Series(equal_weight_returns(data), index=data.panel.dates).reindex(daily.index)
    bench.iloc[0] = 0.0  # bought at the first out-of-sample close, like the strategy's first position
    daily["benchmark_return"] = bench
    daily["drawdown"] = metrics.drawdown_series(daily["net_return"])
    daily["exposure"] = daily["net_exposure"]
    rows = []
    ordered = sorted(results, key=lambda r: r.fold.test_start)
    for res in ordered:
        f = res.fold
        in_f = (daily.index >= f.test_start) & (daily.index <= f.test_end)
        daily.loc[in_f, "fold"] = f.name
        tr = book.trades[(book.trades["entry_date"] >= f.test_start) & (book.trades["entry_date"] <= f.test_end)]
        rows.append({**f.as_dict(), **res.info, **_window_metrics(daily[in_f], tr, bench[in_f])})
    summary = metrics.summarize(daily["net_return"], daily["net_exposure"])
    summary["win_rate"] = float((book.trades["pnl"] > 0).mean()) if len(book.trades) else float("nan")
    summary["trades"] = float(len(book.trades))
    summary["gross_exposure"] = float(daily["gross_exposure"].mean())
    summary["net_exposure"] = float(daily["net_exposure"].mean())
    benchmark = metrics.summarize(bench)
    notes = data.notes + (
        (f"Book: fills at {params.rules.fill.replace('_', ' ')}, stops checked on closes, costs "
         f"{params.rules.commission_bps:g} + {params.rules.slippage_bps:g} bps per side; constant weights "
         "between decisions (the platform's book); no drawdown throttle."),
        "Benchmark: equal-weight universe (members at the previous close), rebalanced daily, no costs.",
        *stress_notes(daily, book.trades, pd.Series(data.bear, index=data.panel.dates)))
    return WalkForwardResult(tuple(r.fold for r in ordered), pd.DataFrame(rows), daily, book.trades, summary,
                             benchmark, notes)
