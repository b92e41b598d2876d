"""TLT's dividend yield from adjusted vs raw closes, and its use in spread pricing, selection and marks."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from domain.errors import InputError
from domain.portfolio.marking import mark_spread
from domain.portfolio.positions import make_credit_spread
from domain.pricing.black_scholes import price as bs_price
from domain.tlt.calibration import CalibrationResult, calibrate
from domain.tlt.dividends import trailing_dividend_yield
from domain.tlt.evaluation import model_candidates
from domain.tlt.spreads import BEAR_CALL, BULL_PUT, select_spread
from tests.conftest import REAL_DATA

REAL = REAL_DATA


def _close(rel: str, column: str) -> pd.Series:
    path = REAL / rel
    if not path.exists():
        pytest.fail(f"real data file missing: {path}")
    return pd.read_csv(path, parse_dates=["Date"], index_col="Date")[column]


def test_two_known_distributions_give_their_continuous_yield():
    dates = pd.bdate_range("2023-01-02", "2024-12-31")
    raw = pd.Series(100.0, index=dates)
    # back-adjustment: every close before an ex-date scaled by (1 - D / previous raw close), D = 1.0
    factor = pd.Series(1.0, index=dates)
    for ex in ("2024-03-01", "2024-09-03"):
        factor[factor.index < ex] *= 0.99
    q = trailing_dividend_yield(raw, raw * factor, as_of="2024-12-31")
    assert q == pytest.approx(-2 * np.log(0.99), abs=1e-12)
    assert trailing_dividend_yield(raw, raw * factor, as_of="2024-02-15") == pytest.approx(0.0, abs=1e-12)


def test_real_tlt_files_give_a_yield_near_the_fund_distributions():
    # chainins: Yahoo raw and adjusted closes side by side; 2019's twelve monthly distributions plus the
    # December extra sum to about $3.1 on a ~$136 price (2.3%)
    both = pd.read_csv(REAL / "etf_raw/TLT_2002-2020_chainins.csv", parse_dates=["Date"], index_col="Date")
    q2019 = trailing_dividend_yield(both["Close"], both["Adj Close"], as_of="2019-12-31")
    assert 0.020 < q2019 < 0.026
    # raw closes (kaix11) against the adjusted series in etf/: the same 2019 figure from other vendors,
    # and 2024's ~$3.7 on ~$87 (4%); the one-session glitch on 2024-08-21 must not count as a payout
    raw, adj = _close("etf_raw/TLT_close_2002-2024_kaix11.csv", "Close"), _close("etf/TLT.csv", "Close")
    assert trailing_dividend_yield(raw, adj, as_of="2019-12-31") == pytest.approx(q2019, abs=0.002)
    assert 0.036 < trailing_dividend_yield(raw, adj, as_of="2024-12-31") < 0.044
    with pytest.raises(InputError, match="do not cover"):
        trailing_dividend_yield(raw, adj, as_of="2002-12-31")


def test_calibration_stores_the_dividend_yield_and_reads_old_files_as_zero():
    def fred(name):
        return pd.read_csv(REAL / f"rates/{name}.csv").rename(columns={"observation_date": "date"})

    tlt = pd.read_csv(REAL / "etf_raw/TLT_close_2002-2024_kaix11.csv").rename(
        columns={"Date": "date", "Close": "tlt_close"})
    adj = pd.read_csv(REAL / "etf/TLT.csv")[["Date", "Close"]].rename(columns={"Date": "date", "Close": "tlt_adj"})
    frame = fred("DGS20").merge(fred("DGS30"), on="date").merge(tlt, on="date").merge(adj, on="date")
    cal = calibrate(frame, dt.date(2019, 1, 1), dt.date(2024, 12, 31), date_col="date", yield_20y_col="DGS20",
                    yield_30y_col="DGS30", tlt_col="tlt_close", tlt_adj_col="tlt_adj")
    assert 0.036 < cal.div_yield < 0.044
    doc = cal.to_dict()
    assert doc["dividend_params"]["dividend_yield"] == cal.div_yield
    assert CalibrationResult.from_dict(doc).div_yield == cal.div_yield
    del doc["dividend_params"]
    assert CalibrationResult.from_dict(doc).div_yield == 0.0


def test_dividend_yield_raises_put_credits_lowers_call_credits_and_moves_the_delta_strike():
    spot, rate, vol, days, q = 87.33, 0.05, 0.176, 45, 0.04
    t = days / 252
    plain = {c.spread.kind: c for c in model_candidates(spot, vol, rate, days, (BULL_PUT, BEAR_CALL), (0.2,), (3.0,))}
    paying = {c.spread.kind: c for c in model_candidates(spot, vol, rate, days, (BULL_PUT, BEAR_CALL), (0.2,), (3.0,),
                                                          div_yield=q)}
    for kind, c in paying.items():
        s = c.spread
        expected = (bs_price(spot, s.short_strike, t, rate, vol, not s.is_put, q)
                    - bs_price(spot, s.long_strike, t, rate, vol, not s.is_put, q))
        assert c.credit == pytest.approx(float(expected), rel=1e-12)
    # a lower forward: same put strikes pay more, same call strikes less
    put, call = plain[BULL_PUT].spread, plain[BEAR_CALL].spread
    assert put.value(spot, t, rate, vol, div_yield=q) > put.value(spot, t, rate, vol)
    assert call.value(spot, t, rate, vol, div_yield=q) < call.value(spot, t, rate, vol)
    # the 20-delta call sits nearer the money once the forward drifts down
    assert select_spread("call", spot, 45, rate, vol, 0.2, 3.0, div_yield=q).short_strike <= call.short_strike
    assert (select_spread("put", 100.0, 120, 0.0, 0.3, 0.2, 3.0, div_yield=0.08).short_strike
            < select_spread("put", 100.0, 120, 0.0, 0.3, 0.2, 3.0).short_strike)


def test_model_marks_pass_the_dividend_yield_to_the_model():
    pos = make_credit_spread(strategy="tlt_overlay", option_type="put", short_strike=88, long_strike=85,
                             expiration=dt.date(2025, 2, 21), credit=0.72, contracts=5, underlying_price=91.5,
                             opened=dt.date(2025, 1, 2), id=7)

    def model(opt, spot, strike, t, r, vol, q):
        return float(bs_price(spot, strike, t, r, vol, opt == "call", q))

    as_of = dt.date(2025, 1, 10)
    with_q = mark_spread(pos, as_of, {}, 91.0, model, 0.15, 0.04, div_yield=0.04)
    without = mark_spread(pos, as_of, {}, 91.0, model, 0.15, 0.04)
    years = 42 / 365
    expected = bs_price(91.0, 88, years, 0.04, 0.15, False, 0.04) - bs_price(91.0, 85, years, 0.04, 0.15, False, 0.04)
    assert with_q.price == pytest.approx(float(expected), rel=1e-12)
    assert with_q.price > without.price
