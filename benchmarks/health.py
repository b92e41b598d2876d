"""Speed of the daily health checks of one book (``domain.risk.health.conditions``): ten years of a book
(2,520 sessions), its confidence per session and a fill a session with one in ten carrying an actual fill.

Run: uv run python benchmarks/health.py
Prints the baseline (rolling Calmar and correlation only: the checks before issue 18's confidence and
costs), all five checks, and their ratio, each the median of repeated runs in this process. The daily flow
runs this once per stepped strategy (and the fund report once more).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from domain.risk.costs import FILL_COLUMNS
from domain.risk.health import HealthParams, conditions

N_DAYS, REPEATS = 10 * 252, 30


def _median_ms(fn) -> float:
    times = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3


def main() -> int:
    rng = np.random.default_rng(3)
    idx = pd.bdate_range("2015-01-01", periods=N_DAYS)
    market = pd.Series(rng.normal(0, 0.01, N_DAYS), index=idx)
    book = 0.5 * market + pd.Series(rng.normal(0.0003, 0.006, N_DAYS), index=idx)
    confidence = pd.Series(rng.uniform(0, 1.5, N_DAYS), index=idx)
    actual = rng.random(N_DAYS) < 0.1
    fills = pd.DataFrame({"date": idx, "side": np.sign(rng.normal(size=N_DAYS)), "price": 100.0,
                          "notional": 10_000.0, "cost": 3.0,
                          "actual_price": np.where(actual, 100.0 * (1 + rng.normal(0, 5e-4, N_DAYS)), np.nan),
                          "actual_quantity": np.where(actual, 100.0, np.nan),
                          "known": pd.to_datetime(np.where(actual, idx, pd.NaT))})[list(FILL_COLUMNS)]
    p = HealthParams()
    base = _median_ms(lambda: conditions(book, market, p))
    full = _median_ms(lambda: conditions(book, market, p, confidence, fills, 2.0))
    row = conditions(book, market, p, confidence, fills, 2.0).iloc[-1]
    print(f"book: {N_DAYS} sessions, {int(actual.sum())} actual fills; median of {REPEATS} runs (machine shared)")
    print(f"baseline (Calmar, correlation):          {base:.2f} ms")
    print(f"all checks (+ confidence, costs):        {full:.2f} ms")
    print(f"ratio all / baseline:                    {full / base:.2f}x")
    print(f"last session: calmar {row['calmar']:.2f}, correlation {row['correlation']:.2f}, "
          f"confidence {row['confidence']:.2f}, costs {row.get('costs', float('nan')):.1f} bps")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
