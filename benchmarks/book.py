"""Speed of the book stepper on a many-name book (mean reversion's shape: 40 names held out of a 100-name
universe, 5% stops, 6-session time stops, fills at the next open), in one pass vs day by day.

Run: uv run python benchmarks/book.py
Prints the one-pass backtest (``run_book``) over 10 years, the same through ``step`` one session at a time
(what the daily flow does, without the database), their ratio, and checks both give the same equity.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from domain.book import Book, Rules, run_book, step  # noqa: E402
from domain.strategies.base import Targets  # noqa: E402

N_DAYS, N_NAMES, HELD = 10 * 252, 100, 40
STEP_DAYS = 252  # day by day is timed on one year and scaled (it builds frames per day)


def main() -> int:
    rng = np.random.default_rng(7)
    idx = pd.bdate_range("2010-01-04", periods=N_DAYS)
    cols = [f"N{i:03d}" for i in range(N_NAMES)]
    close = pd.DataFrame(50 * np.exp(np.cumsum(rng.normal(0.0002, 0.02, (N_DAYS, N_NAMES)), axis=0)), idx, cols)
    open_ = close.shift(1).fillna(close.iloc[0]) * np.exp(rng.normal(0, 0.005, (N_DAYS, N_NAMES)))
    score = rng.normal(size=(N_DAYS, N_NAMES))
    rank = np.argsort(np.argsort(-np.abs(score), axis=1), axis=1)
    targets = pd.DataFrame(np.where(rank < HELD, np.sign(score) / HELD, 0.0), idx, cols)
    rules = Rules(fill="next_open", stop_loss=0.05, time_stop=6, max_positions=HELD, max_gross=1.0)

    t0 = time.perf_counter()
    bt = run_book(targets, close, rules, open_=open_)
    one_pass = time.perf_counter() - t0

    book = Book()
    t0 = time.perf_counter()
    for day in idx[:STEP_DAYS]:
        row = targets.loc[day]
        book, _, _ = step(book, Targets(as_of=day, kind="book", weights=row[row != 0].to_dict()),
                          pd.DataFrame({"close": close.loc[day], "open": open_.loc[day]}), rules)
    stepped = (time.perf_counter() - t0) * N_DAYS / STEP_DAYS
    same = abs(book.equity / bt.equity.iloc[STEP_DAYS - 1] - 1) < 1e-10
    print(f"book: {N_NAMES} names, {HELD} held, {N_DAYS} sessions (10 years), {len(bt.events)} stop events")
    print(f"one-pass backtest (run_book):   {one_pass * 1e3:.0f} ms ({one_pass / N_DAYS * 1e6:.0f} us per session)")
    print(f"day by day (step), scaled:      {stepped * 1e3:.0f} ms ({stepped / N_DAYS * 1e6:.0f} us per session)")
    print(f"ratio day-by-day / one-pass:    {stepped / one_pass:.1f}x")
    print(f"same equity after {STEP_DAYS} sessions: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
