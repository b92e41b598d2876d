"""Black-Scholes prices and Greeks: textbook golden values, parity, finite differences."""

import numpy as np
import pytest

from domain.pricing import black_scholes as bs


def test_hull_example_15_6_call_and_put():
    # Hull, Options, Futures, and Other Derivatives, 8th ed., Example 15.6:
    # S=42, K=40, r=10%, sigma=20%, T=0.5 -> c = 4.76, p = 0.81
    assert bs.call_price(42, 40, 0.5, 0.1, 0.2) == pytest.approx(4.76, abs=0.005)
    assert bs.put_price(42, 40, 0.5, 0.1, 0.2) == pytest.approx(0.81, abs=0.005)


def test_hull_example_17_1_index_call_with_dividend_yield():
    # Hull, Options, Futures, and Other Derivatives, 8th ed., Example 17.1 (European call on an index):
    # S0=930, K=900, r=8%, q=3%, sigma=20%, T=2/12 -> c = 51.83 (Merton's formula)
    assert bs.call_price(930, 900, 2 / 12, 0.08, 0.2, 0.03) == pytest.approx(51.83, abs=0.005)
    c = bs.call_price(930, 900, 2 / 12, 0.08, 0.2, div_yield=0.03)
    p = bs.put_price(930, 900, 2 / 12, 0.08, 0.2, div_yield=0.03)
    # parity with a dividend yield: c - p = S e^{-qT} - K e^{-rT}
    assert c - p == pytest.approx(930 * np.exp(-0.03 * 2 / 12) - 900 * np.exp(-0.08 * 2 / 12), abs=1e-10)
    g = bs.greeks(930, 900, 2 / 12, 0.08, 0.2, True, 0.03)
    assert float(g.price) == pytest.approx(float(c), abs=1e-10)
    assert float(g.delta) < float(bs.greeks(930, 900, 2 / 12, 0.08, 0.2, True).delta)  # e^{-qT} N(d1) < N(d1)


def test_hull_chapter_19_greeks():
    # Hull, 8th ed., chapter 19 running example (Sections 19.1-19.9, Examples 19.1, 19.4, 19.6, 19.7):
    # S=49, K=50, r=5%, sigma=20%, T=20 weeks -> call 2.40, delta 0.522, theta -4.31/yr,
    # gamma 0.066, vega 12.1 (per 1.00 of vol), rho 8.91 (per 1.00 of rate)
    g = bs.greeks(49, 50, 20 / 52, 0.05, 0.2, True)
    assert float(g.price) == pytest.approx(2.40, abs=0.005)
    assert float(g.delta) == pytest.approx(0.522, abs=0.0005)
    assert float(g.theta_year) == pytest.approx(-4.31, abs=0.005)
    assert float(g.theta_day) == pytest.approx(-4.31 / 365, abs=0.0001)
    assert float(g.gamma) == pytest.approx(0.066, abs=0.0005)
    assert float(g.vega) == pytest.approx(12.1, abs=0.05)
    assert float(g.rho) == pytest.approx(8.91, abs=0.005)


def _grid():
    rng = np.random.default_rng(7)
    n = 2000
    return (rng.uniform(50, 150, n), rng.uniform(50, 150, n), rng.uniform(0.05, 2.0, n),
            rng.uniform(-0.01, 0.08, n), rng.uniform(0.05, 0.8, n), rng.uniform(0, 0.04, n))


def test_put_call_parity():
    s, k, t, r, v, q = _grid()
    c = bs.call_price(s, k, t, r, v, q)
    p = bs.put_price(s, k, t, r, v, q)
    np.testing.assert_allclose(c - p, s * np.exp(-q * t) - k * np.exp(-r * t), atol=1e-11)


@pytest.mark.parametrize("is_call", [True, False])
def test_greeks_match_finite_differences(is_call):
    s, k, t, r, v, q = _grid()
    g = bs.greeks(s, k, t, r, v, is_call, q)
    np.testing.assert_allclose(g.price, bs.price(s, k, t, r, v, is_call, q), rtol=0, atol=1e-12)
    h = 1e-6  # central differences: truncation ~h^2 f'''/6, round-off ~1e-16 * price / h

    def fd(f, x):
        return (f(x + h) - f(x - h)) / (2 * h)

    np.testing.assert_allclose(g.delta, fd(lambda x: bs.price(x, k, t, r, v, is_call, q), s), atol=1e-7)
    np.testing.assert_allclose(g.gamma, (bs.price(s + 1e-2, k, t, r, v, is_call, q) - 2 * g.price
                                         + bs.price(s - 1e-2, k, t, r, v, is_call, q)) / 1e-4, atol=1e-6)
    np.testing.assert_allclose(g.vega, fd(lambda x: bs.price(s, k, t, r, x, is_call, q), v), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(g.rho, fd(lambda x: bs.price(s, k, t, x, v, is_call, q), r), rtol=1e-6, atol=1e-6)
    # theta is the change as time passes, i.e. minus the derivative in time to expiry
    np.testing.assert_allclose(g.theta_year, -fd(lambda x: bs.price(s, k, x, r, v, is_call, q), t), rtol=1e-6, atol=1e-6)


def test_expired_option_is_intrinsic():
    assert float(bs.call_price(105, 100, 0.0, 0.05, 0.2)) == 5.0
    assert float(bs.put_price(105, 100, 0.0, 0.05, 0.2)) == 0.0
    assert float(bs.put_price(95, 100, -1.0, 0.05, 0.2)) == 5.0
