"""The SPY/QQQ allocator: label-builder speed and the nested walk-forward 2012Q1..2024Q4 on real data.

Run: uv run python benchmarks/allocator.py [--legs buy_and_hold|strategy|both] [--workers 2] [--seed 0]
     [--labels-only]

1. Labels: 3,000 days x 21 candidate weights (11 buckets) x H = 10, vectorised, against (a) a per-day loop
   vectorised over weights and horizon only and (b) the brute-force loop per day and weight; checks all
   three agree. Target: vectorised <= 0.2 s.
2. Nested walk-forward (config/allocator.yaml defaults: 52 quarterly outer folds, one inner search per
   year over the configured grid, purge + embargo 2H - 1) on
   - buy_and_hold legs: adjusted close-to-close returns of QQQ and SPY
     (/work/shared/data/real/etf/, cut at 2024-12-31, history from 2001);
   - strategy legs: stitched out-of-sample daily net returns of vol_regime's own walk-forward on QQQ and,
     with the same code and default config, on SPY (the other symbol as its market-structure input),
     2004Q1..2024Q4, so the allocator has training history before 2012.
   Prints the fold log, the out-of-sample figures of the allocator, the fixed 50/50 baseline and each leg,
   the gates, importance stability, deflated Sharpe and calibration. Target: <= 300 s per leg kind on
   2 cores. Folds and searches run on a thread pool (LightGBM and numpy release the GIL).
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # BLAS threads fight the fold threads on 2 cores

import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from domain.strategies.allocator.dataset import leg_returns_from_prices, prepare
from domain.strategies.allocator.labels import build_labels, build_labels_loop, utility_matrix, weight_grid
from domain.strategies.allocator.params import AllocatorParams
from domain.strategies.allocator.research import AllocatorResult, run_walk_forward

DATA = Path("/work/shared/data/real/etf")
TEST_START, TEST_END = "2012-01-01", "2024-12-31"
LABEL_TARGET_S, WF_TARGET_S = 0.2, 300.0


def load(symbol: str, start: str = "1990-01-01") -> pd.DataFrame:
    df = pd.read_csv(DATA / f"{symbol}.csv", index_col="Date", parse_dates=True).sort_index()
    return df.loc[start:TEST_END]


def labels_per_day_loop(rq: pd.Series, rs: pd.Series, horizon: int, lambda_dd: float, lambda_tc: float,
                        cost: float) -> np.ndarray:
    """One numpy call per day (weights and horizon vectorised): the natural first implementation."""
    w = weight_grid(0.05)
    a, b = rq.to_numpy(), rs.to_numpy()
    n = a.size
    best0 = np.full(n, np.nan)
    out = np.full(n, np.nan)
    for t in range(n - horizon):
        u0 = utility_matrix(a[t:t + horizon + 1], b[t:t + horizon + 1], w, horizon, lambda_dd)[0]
        ref = best0[t - 1] if t > 0 and np.isfinite(best0[t - 1]) else 0.5
        best0[t] = w[np.argmax(u0)]
        out[t] = np.rint(w[np.argmax(u0 - lambda_tc * cost * np.abs(w - ref))] * 10)
    return out


def bench_labels() -> bool:
    q, s = load("QQQ")["Close"], load("SPY")["Close"]
    rq, rs = q.pct_change().iloc[-3001:-1], s.pct_change().iloc[-3001:-1]
    args = (10, 1.0, 1.0, 3e-4)
    build_labels(rq, rs, *args)  # warm-up
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        fast = build_labels(rq, rs, *args).bucket
        times.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    per_day = labels_per_day_loop(rq, rs, *args)
    per_day_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    brute = build_labels_loop(rq, rs, *args)
    brute_s = time.perf_counter() - t0
    same = np.array_equal(fast.to_numpy(), per_day, equal_nan=True) and fast.equals(brute)
    best = min(times)
    print(f"labels: {len(rq)} days x 21 weights -> 11 buckets, H = 10")
    print(f"  vectorised        {best * 1e3:8.1f} ms (best of 5, median {np.median(times) * 1e3:.1f} ms)")
    print(f"  per-day loop      {per_day_s * 1e3:8.1f} ms  (x{per_day_s / best:.0f})")
    print(f"  per-day-and-weight brute force {brute_s * 1e3:8.1f} ms  (x{brute_s / best:.0f})")
    print(f"  identical labels: {same}; target <= {LABEL_TARGET_S:.1f} s: {'PASS' if best <= LABEL_TARGET_S else 'FAIL'}")
    return same and best <= LABEL_TARGET_S


def strategy_legs(workers: int, seed: int) -> tuple[pd.Series, pd.Series]:
    from domain.strategies.vol_regime.params import VolRegimeParams
    from domain.strategies.vol_regime.strategy import run_walk_forward as vr_walk_forward

    qqq, spy, vix = load("QQQ", "1999-01-01"), load("SPY", "1999-01-01"), load("VIX", "1999-01-01")["Close"]
    params = VolRegimeParams()
    out = []
    for traded, other in ((qqq, spy), (spy, qqq)):
        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            res = vr_walk_forward(traded, other, vix, None, params, "2004-01-01", TEST_END, seed=seed,
                                  map_fn=pool.map)
        print(f"  vol_regime leg walk-forward 2004..2024: {time.perf_counter() - t0:.0f} s, "
              f"CAGR {res.summary['cagr']:.2%}, maxDD {res.summary['max_drawdown']:.2%}")
        out.append(res.returns)
    return out[0], out[1]


def _fmt(m: dict) -> str:
    return (f"CAGR {m['cagr']:7.2%}  maxDD {m['max_drawdown']:7.2%}  Calmar {m['calmar']:5.2f}  "
            f"Sharpe {m['sharpe']:5.2f}  avg month {m['avg_monthly_pnl']:6.2%}  turnover {m['turnover']:.4f}")


def report(res: AllocatorResult, label: str) -> None:
    pd.set_option("display.width", 220)
    pf = res.per_fold
    table = pd.DataFrame({
        "fold": pf["name"], "H": pf["horizon"], "l_dd": pf["lambda_dd"], "l_tc": pf["lambda_tc"],
        "leaves": pf["num_leaves"], "alpha": pf["alpha"], "blend": pf["blend"], "T": pf["temperature"].round(2),
        "pnl": pf["test_pnl"].map("{:.1%}".format), "maxdd": pf["test_max_drawdown"].map("{:.1%}".format),
        "calmar": pf["test_calmar"].round(2), "turnover": pf["test_turnover"].round(3),
        "m_hit": pf["test_monthly_hit_rate"].round(2), "tail": pf["test_tail_loss"].map("{:.2%}".format),
        "base_pnl": pf["bh_pnl"].map("{:.1%}".format), "base_calmar": pf["bh_calmar"].round(2),
    })
    print(table.to_string(index=False))
    d = res.daily
    print(f"\n[{label}] out-of-sample {d.index[0].date()} .. {d.index[-1].date()}, {len(d)} days, "
          f"{len(res.folds)} folds")
    for name, m in res.series.items():
        print(f"  {name:10s} {_fmt(m)}")
    print(f"  mean w_qqq {d['w'].mean():.3f} (std {d['w'].std():.3f}); share of days at 0 / 1: "
          f"{(d['w'] < 0.05).mean():.0%} / {(d['w'] > 0.95).mean():.0%}")
    for name, g in res.gates.items():
        print(f"  gate {name:32s} {'pass' if g['passed'] else 'FAIL'}  value {g['value']:.4f}  "
              f"threshold {g['threshold']:.4f}")
    print(f"  accepted (all gates pass): {res.passed}" + ("" if res.passed else f"; failed: {', '.join(res.failed)}"))
    print(f"  importance rank stability: {res.stability}")
    print(f"  deflated Sharpe: {res.deflated_sharpe}")
    mono = res.monotonic.drop(columns="fold").mean().to_dict()
    print(f"  monotonic sanity checks, share of folds passing: {mono}")
    ll = pf[["val_logloss_raw", "val_logloss_calibrated", "test_logloss_raw", "test_logloss_calibrated"]].mean()
    print(f"  mean log-loss raw -> calibrated: validation {ll.iloc[0]:.4f} -> {ll.iloc[1]:.4f}, "
          f"test {ll.iloc[2]:.4f} -> {ll.iloc[3]:.4f}")


def bench_walk_forward(kind: str, workers: int, seed: int) -> bool:
    params = AllocatorParams()
    params = replace(params, legs=replace(params.legs, kind=kind))
    q, s = load("QQQ")["Close"], load("SPY")["Close"]
    t_legs = time.perf_counter()
    if kind == "buy_and_hold":
        rq, rs = leg_returns_from_prices(q), leg_returns_from_prices(s)
    else:
        rq, rs = strategy_legs(workers, seed)
    t_legs = time.perf_counter() - t_legs
    t0, c0 = time.perf_counter(), time.process_time()
    data = prepare(rq, rs, q, s, params, leg_names=params.legs.names)
    t_prep = time.perf_counter() - t0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        res = run_walk_forward(data, params, TEST_START, TEST_END, seed=seed, map_fn=pool.map)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    report(res, kind)
    ok = wall <= WF_TARGET_S
    print(f"  wall time ({kind}): dataset {t_prep:.1f} s + nested walk-forward = {wall:.1f} s with {workers} "
          f"worker thread(s) (CPU time of all threads {cpu:.0f} s), {params.search.size()} configurations per search (target <= {WF_TARGET_S:.0f} s): "
          f"{'PASS' if ok else 'FAIL'}" + (f"; legs' own walk-forwards took {t_legs:.0f} s more" if kind == "strategy"
                                          else ""))
    return ok


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--legs", choices=["buy_and_hold", "strategy", "both"], default="both")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--labels-only", action="store_true")
    args = ap.parse_args()
    ok = bench_labels()
    if not args.labels_only:
        kinds = ["buy_and_hold", "strategy"] if args.legs == "both" else [args.legs]
        for kind in kinds:
            print()
            ok = bench_walk_forward(kind, args.workers, args.seed) and ok
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
