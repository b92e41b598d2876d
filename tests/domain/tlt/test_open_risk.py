"""The loss budget's open part (domain/strategies/tlt_overlay/open_risk.py): an open spread the day's chain
quotes is measured by its CVaR95 on the day's paths; one it does not quote counts at its whole max loss."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from domain.portfolio.positions import make_credit_spread
from domain.strategies.tlt_overlay.open_risk import open_cvar
from domain.tlt.evaluation import Candidate, evaluate_candidates
from domain.tlt.exits import ExitRule
from domain.tlt.params import TltOverlayParams
from domain.tlt.proposals import evaluate_chain
from domain.tlt.spreads import BEAR_CALL, BULL_PUT, CreditSpread
from infra.settings import SAMPLE_DIR
from infra.tlt_inputs import read_option_chain
from tests.tlt_sample import sample_calibration

P = TltOverlayParams()
RULE = ExitRule(P.profit_target_pct, P.loss_limit_multiple, P.dte_close_threshold)


@pytest.fixture(scope="module")
def day():
    cal = sample_calibration()
    chain = read_option_chain(SAMPLE_DIR / "options" / "TLT_2024-12-31.csv")
    return cal, chain, evaluate_chain(chain, cal, P, RULE, (BULL_PUT, BEAR_CALL), 1000, 7, P.min_dte, P.max_dte)


def _put(short, long, contracts, credit=1.0):
    return make_credit_spread(strategy="tlt_overlay", option_type="put", short_strike=short, long_strike=long,
                              expiration=dt.date(2025, 2, 21), credit=credit, contracts=contracts,
                              underlying_price=90.0, opened=dt.date(2024, 12, 20))


def test_a_quoted_open_spread_counts_its_cvar_on_the_days_paths(day):
    cal, chain, result = day
    held = open_cvar([_put(85, 82, 10)], chain, result, P.risk_free_rate, RULE, P.iv_floor, cal.div_yield, 100)
    # the same spread as a candidate entered at today's closing debit (short ask - long bid), legs at their IVs
    quote = chain[(chain["option_type"] == "put") & (chain["expiration"] == pd.Timestamp("2025-02-21"))]
    s, lg = (quote[quote["strike"] == k].iloc[0] for k in (85.0, 82.0))
    c = Candidate(CreditSpread(BULL_PUT, 85.0, 82.0, 52), float(s["ask"] - lg["bid"]), float(s["implied_vol"]),
                  float(lg["implied_vol"]), "2025-02-21")
    e = evaluate_candidates([c], result.setup.paths, P.risk_free_rate, RULE, P.iv_floor, div_yield=cal.div_yield,
                            entry=dt.date(2024, 12, 31))[0]
    assert held.dollars == pytest.approx(abs(e.metrics.cvar_95) * 10 * 100, rel=1e-12) and held.dollars > 0
    assert held.per_position[0]["measured_by"] == "CVaR95 on the day's paths"


def test_an_open_spread_the_chain_does_not_quote_counts_at_its_max_loss(day):
    cal, chain, result = day
    held = open_cvar([_put(85, 82, 10), _put(60, 55, 4, credit=0.3)], chain, result, P.risk_free_rate, RULE,
                     P.iv_floor, cal.div_yield, 100)
    far = held.per_position[1]
    assert far["measured_by"] == "max loss (not priced by the chain)"
    assert far["cvar_dollars"] == pytest.approx((5 - 0.3) * 4 * 100)
    assert held.dollars == pytest.approx(held.per_position[0]["cvar_dollars"] + far["cvar_dollars"])
