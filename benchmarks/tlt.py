"""TLT overlay speed: exit-grid search, Black-Scholes + Greeks, implied vol, Vasicek simulation.

Each figure is compared with a baseline run in the same process:
- optimisation: re-simulating paths and re-pricing the spread for every grid point (what a
  per-point evaluation does; the design document's run took 8.2 s), extrapolated from 10 points;
- Black-Scholes / implied vol: a scalar Python loop (math.erf; scipy.optimize.brentq per quote);
- Vasicek: a per-step Euler loop drawing normals day by day.
Run: uv run python benchmarks/tlt.py
"""

from __future__ import annotations

import math
import time

import numpy as np
from scipy.optimize import brentq

from domain.pricing.black_scholes import greeks, price
from domain.pricing.implied_vol import implied_vol
from domain.rates.vasicek import simulate
from domain.tlt.calibration import CalibrationResult
from domain.tlt.exits import ExitRule, apply_exits
from domain.tlt.monte_carlo import simulate_market, spread_value_matrix
from domain.tlt.optimize import optimize_exits
from domain.tlt.spreads import select_spread

CAL = CalibrationResult.from_dict({
    "vasicek_params": {"kappa_20": 0.284, "theta_20": 0.0479, "sigma_20": 0.0093, "kappa_30": 0.231,
                       "theta_30": 0.0502, "sigma_30": 0.0091, "rho": 0.98},
    "regression_params": {"alpha": 5.3455, "beta": -19.33, "gamma": 27.77, "r_squared": 0.9992},
    "volatility_params": {"base_iv": 0.1755, "price_sensitivity": -0.00067},
    "current_values": {"yield_20y": 0.0486, "yield_30y": 0.0478, "tlt_price": 87.33, "date": "2024-12-31"}})
GRID = ((0.3, 0.4, 0.5, 0.6, 0.7), (1.5, 2.0, 2.5, 3.0), (3, 5, 7, 10, 14))


def best_of(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def bench_optimisation():
    iv = CAL.volatility.base_iv
    spread = select_spread("put", CAL.current.tlt_price, 45, 0.05, iv, 0.20, 3)
    paths = simulate_market(CAL, 10_000, 45, seed=42)

    def search():
        values = spread_value_matrix(spread, paths, 0.05, iv)
        return optimize_exits(values, float(values[0, 0]), *GRID, min_pop=0.7)

    fast, result = best_of(search)
    sim, _ = best_of(lambda: simulate_market(CAL, 10_000, 45, seed=42))

    def per_point(k=10):
        for pt, lm, dte in list(zip(GRID[0] * 2, GRID[1] * 3, GRID[2] * 2))[:k]:
            p = simulate_market(CAL, 10_000, 45, seed=42)
            v = spread_value_matrix(spread, p, 0.05, iv)
            apply_exits(v, float(v[0, 0]), ExitRule(pt, lm, dte))

    naive10, _ = best_of(per_point, 1)
    naive = naive10 * 10
    print(f"optimisation, 100-point grid, 10,000 paths x 45 days: search {fast:.3f} s "
          f"(value matrix + grid; path simulation once {sim:.3f} s), {result.n_passing}/100 pass")
    print(f"  baseline re-simulating per grid point: {naive:.2f} s (10 points x 10) -> ratio {naive / fast:.0f}x; "
          f"design document: 8.2 s -> ratio {8.2 / fast:.0f}x")


def bench_black_scholes():
    n = 2_000_000
    rng = np.random.default_rng(0)
    s, k = 100.0, rng.uniform(60, 160, n)
    t, v, call = rng.uniform(0.02, 2, n), rng.uniform(0.05, 0.8, n), rng.random(n) < 0.5
    fast, _ = best_of(lambda: greeks(s, k, t, 0.03, v, call))
    m = 20_000

    def scalar():
        for i in range(m):
            sq = math.sqrt(t[i])
            d1 = (math.log(s / k[i]) + (0.03 + 0.5 * v[i] ** 2) * t[i]) / (v[i] * sq)
            d2 = d1 - v[i] * sq
            nd1 = 0.5 * (1 + math.erf(d1 / math.sqrt(2)))
            nd2 = 0.5 * (1 + math.erf(d2 / math.sqrt(2)))
            pdf = math.exp(-0.5 * d1 * d1) / math.sqrt(2 * math.pi)
            _ = (s * nd1 - k[i] * math.exp(-0.03 * t[i]) * nd2, nd1, pdf / (s * v[i] * sq), s * pdf * sq,
                 -s * pdf * v[i] / (2 * sq) - 0.03 * k[i] * math.exp(-0.03 * t[i]) * nd2,
                 k[i] * t[i] * math.exp(-0.03 * t[i]) * nd2)

    slow, _ = best_of(scalar, 1)
    rate, base = n / fast, m / slow
    print(f"Black-Scholes price + all Greeks: {rate / 1e6:.1f} M options/s ({n:,} in {fast:.3f} s); "
          f"scalar loop {base / 1e6:.2f} M/s -> ratio {rate / base:.0f}x")
    return s, k, t, v, call


def bench_implied_vol():
    n = 1_000_000
    rng = np.random.default_rng(1)
    s, k = 100.0, rng.uniform(70, 140, n)
    t, v, call = rng.uniform(0.02, 2, n), rng.uniform(0.05, 1.0, n), rng.random(n) < 0.5
    quotes = price(s, k, t, 0.03, v, call, 0.01)
    t0 = time.perf_counter()
    first = implied_vol(quotes, s, k, t, 0.03, call, 0.01)
    cold = time.perf_counter() - t0
    fast, res = best_of(lambda: implied_vol(quotes, s, k, t, 0.03, call, 0.01))
    m = 2000

    def scalar():
        for i in range(m):
            brentq(lambda x: float(price(s, k[i], t[i], 0.03, x, call[i], 0.01)) - quotes[i], 1e-4, 5.0,
                   xtol=1e-12)

    slow, _ = best_of(scalar, 1)
    per_quote = slow / m
    print(f"implied vol: 1,000,000 quotes in {fast:.3f} s (first call {cold:.3f} s), {res.ok.mean():.2%} solved, "
          f"max {res.iterations} iterations; brentq per quote {per_quote * 1e6:.0f} us -> ratio "
          f"{per_quote * n / fast:.0f}x")
    assert first.ok.sum() == res.ok.sum()


def bench_vasicek():
    p = CAL.vasicek
    fast, _ = best_of(lambda: simulate(p, 0.0486, 0.0478, 10_000, 252, seed=1))

    def euler():
        rng = np.random.default_rng(1)
        a = np.empty((10_000, 253))
        b = np.empty((10_000, 253))
        a[:, 0], b[:, 0] = 0.0486, 0.0478
        dt = 1 / 252
        for j in range(252):
            z1, z2 = rng.standard_normal(10_000), rng.standard_normal(10_000)
            z2 = p.rho * z1 + math.sqrt(1 - p.rho ** 2) * z2
            a[:, j + 1] = a[:, j] + p.kappa_20 * (p.theta_20 - a[:, j]) * dt + p.sigma_20 * math.sqrt(dt) * z1
            b[:, j + 1] = b[:, j] + p.kappa_30 * (p.theta_30 - b[:, j]) * dt + p.sigma_30 * math.sqrt(dt) * z2

    slow, _ = best_of(euler)
    print(f"Vasicek exact simulation, 10,000 paths x 252 days: {fast:.3f} s; per-step Euler loop {slow:.3f} s "
          f"-> ratio {slow / fast:.1f}x")


if __name__ == "__main__":
    bench_optimisation()
    bench_black_scholes()
    bench_implied_vol()
    bench_vasicek()
