"""Profile one outer fold of the allocator's nested walk-forward (its inner search included) on real data.

Run: uv run python benchmarks/allocator_fold.py [--fold 24] [--save predictions.pkl] [--top 25]

Fold 24 of the 52 quarterly folds 2012..2024 is 2018Q1, an anchor of the yearly inner search (24 model fits at
the default config/allocator.yaml grid). ``--save`` pickles the fold's predictions, to check that a speed
change leaves them identical. Prints the fold's time and the cProfile listing by cumulative time.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import cProfile
import pickle
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from allocator import TEST_END, TEST_START, load  # noqa: E402  (benchmarks/allocator.py: the real data)

from domain.strategies.allocator import nested  # noqa: E402
from domain.strategies.allocator.dataset import leg_returns_from_prices, prepare  # noqa: E402
from domain.strategies.allocator.params import AllocatorParams  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fold", type=int, default=24)
    ap.add_argument("--save", type=Path)
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args()
    params = AllocatorParams()
    q, s = load("QQQ")["Close"], load("SPY")["Close"]
    data = prepare(leg_returns_from_prices(q), leg_returns_from_prices(s), q, s, params)
    fold = nested.outer_folds(data, params, TEST_START, TEST_END)[args.fold]
    profile = cProfile.Profile()
    t0 = time.perf_counter()
    profile.enable()
    res = nested.run_fold(fold, data, params, 0)
    profile.disable()
    chosen = {k: res.info[k] for k in ("horizon", "lambda_dd", "num_leaves", "alpha")}
    print(f"{fold.name}: one outer fold with its inner search {time.perf_counter() - t0:.1f} s, chose {chosen}")
    if args.save:
        args.save.write_bytes(pickle.dumps(res.predictions))
    pstats.Stats(profile).sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
