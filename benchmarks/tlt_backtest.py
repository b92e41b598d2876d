"""Speed of the rolling TLT overlay backtest (domain/tlt/rolling_backtest.py) on the real history.

Figure: wall time of the backtest over a window (default 2015-2019; --start/--end, --every, --n-paths).
Baseline, in the same process and on the same window: the same backtest whose screen evaluates each
candidate spread on its own (a value matrix per candidate, as a per-candidate loop does) instead of
pricing every leg matrix once for all the candidates that share it; the two runs must give identical
trades (asserted, and there must be some), so the ratio is the cost of the shared legs and nothing else.
The default variance premium is 1 vol point: at 0 the 2015-2019 screen trades nothing since the paths realise
the entry IV over the holding period, and an empty trades table would compare nothing.
Run: uv run python benchmarks/tlt_backtest.py [--start 2005-01-01 --end 2024-12-31] [--variance-premium 0.01]
[--data-dir DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

import pandas as pd

import domain.tlt.rolling_backtest as rb
from domain.tlt.backtest_data import BacktestConfig
from domain.tlt.evaluation import StrategyEvaluation, candidate_schedule
from domain.tlt.exits import apply_exits
from domain.tlt.metrics import trade_metrics
from domain.tlt.monte_carlo import spread_value_matrix
from domain.tlt.params import TltOverlayParams
from infra.tlt_history import read_tlt_history


def per_candidate(candidates, paths, rate, rule, iv_floor=0.03, days_per_year=252.0, div_yield=0.0, entry=None):
    """evaluate_candidates without shared legs: every candidate prices its own two leg matrices."""
    out = []
    for c in candidates:
        sch = candidate_schedule(c, entry)
        sub = type(paths)(paths.yield_20y[:, : sch.n + 1], paths.yield_30y[:, : sch.n + 1],
                          paths.price[:, : sch.n + 1], paths.vol_shift[:, : sch.n + 1])
        values = spread_value_matrix(c.spread, sub, rate, c.vol_short, c.vol_long, iv_floor, div_yield=div_yield,
                                     years=sch.years)
        o = apply_exits(values, c.credit, rule, sch.dte)
        out.append(StrategyEvaluation(c, trade_metrics(o.pnl), o.reason_distribution(),
                                      float((sch.dte[0] - sch.dte[o.exit_day]).mean())))
    out.sort(key=lambda e: -e.metrics.expected_return)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--start", default="2015-01-01")
    ap.add_argument("--end", default="2019-12-31")
    ap.add_argument("--every", type=int, default=10)
    ap.add_argument("--n-paths", type=int, default=2000)
    ap.add_argument("--variance-premium", type=float, default=0.01)
    ap.add_argument("--data-dir", default="../shared/data/real")
    a = ap.parse_args()
    adjusted, raw, rates = read_tlt_history(Path(a.data_dir))
    p, cfg = TltOverlayParams(), BacktestConfig(every=a.every, n_paths=a.n_paths, variance_premium=a.variance_premium)
    start, end = dt.date.fromisoformat(a.start), dt.date.fromisoformat(a.end)

    def run():
        t0 = time.perf_counter()
        result = rb.rolling_backtest(adjusted, raw, rates, p, start, end, 42, cfg)
        return time.perf_counter() - t0, result

    fast, result = run()
    shared = rb.evaluate_candidates
    rb.evaluate_candidates = per_candidate
    try:
        slow, baseline = run()
    finally:
        rb.evaluate_candidates = shared
    if result.trades.empty:
        raise SystemExit("no trades in the window: the identical-trades check would compare nothing; "
                         "raise --variance-premium or widen the window")
    pd.testing.assert_frame_equal(result.trades, baseline.trades)
    n = result.summary["entries"]
    print(f"rolling backtest {a.start}..{a.end}, an entry every {a.every} sessions, {a.n_paths} paths a screen, "
          f"variance premium {a.variance_premium:.1%}: "
          f"{fast:.1f} s for {n} entries ({1000 * fast / n:.0f} ms an entry), {result.summary['trades']} trades")
    print(f"  baseline, each candidate priced on its own: {slow:.1f} s -> ratio {slow / fast:.2f}x (identical trades)")


if __name__ == "__main__":
    main()
