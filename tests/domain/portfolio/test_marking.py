import datetime as dt

import pytest

from domain.errors import InputError
from domain.portfolio.marking import QuoteRow, mark_spread, mark_stock, quote_key
from domain.portfolio.positions import StockPosition, make_credit_spread

D = dt.date(2025, 1, 10)
EXP = dt.date(2025, 2, 21)


def spread(**kw):
    args = {"strategy": "tlt_overlay", "option_type": "put", "short_strike": 88, "long_strike": 85, "expiration": EXP,
                "credit": 0.72, "contracts": 5, "underlying_price": 91.5, "opened": dt.date(2025, 1, 2), "id": 7}
    args.update(kw)
    return make_credit_spread(**args)


def no_model(*_a):
    raise AssertionError("model must not be called when both legs are quoted")


def test_quotes_give_mid_and_conservative_marks():
    p = spread()
    quotes = {
        quote_key("TLT", p.short_leg): QuoteRow(bid=0.45, ask=0.52, implied_vol=0.168),
        quote_key("TLT", p.long_leg): QuoteRow(bid=0.22, ask=0.28, implied_vol=0.175),
    }
    m = mark_spread(p, D, quotes, 91.25, no_model, vol=0.15, rate=0.04)
    assert m.source == "quote"
    assert m.price == pytest.approx(0.485 - 0.25)
    assert m.price_conservative == pytest.approx(0.52 - 0.22)
    assert m.unrealized_pnl == pytest.approx((0.72 - 0.235) * 5 * 100)
    assert m.unrealized_pnl_conservative < m.unrealized_pnl
    assert m.dte == 42
    assert m.value_to_credit == pytest.approx(0.235 / 0.72)


def test_missing_quote_falls_back_to_model_with_quoted_iv_when_available():
    p = spread()
    calls = []

    def model(opt, spot, strike, t, r, vol, q):
        calls.append((opt, spot, strike, round(t, 6), r, vol))
        return {88.0: 0.60, 85.0: 0.20}[strike]

    quotes = {quote_key("TLT", p.short_leg): QuoteRow(bid=0.45, ask=0.52, implied_vol=0.17)}
    m = mark_spread(p, D, quotes, 91.0, model, vol=0.15, rate=0.04)
    assert m.source == "model"
    assert m.price == pytest.approx(0.40)
    assert m.price_conservative == pytest.approx(0.40)
    assert calls == [("put", 91.0, 88.0, round(42 / 365, 6), 0.04, 0.17), ("put", 91.0, 85.0, round(42 / 365, 6), 0.04, 0.15)]


def test_no_quote_and_no_underlying_is_unmarked():
    assert mark_spread(spread(), D, {}, None, no_model, 0.15, 0.04) is None


def test_expired_spread_is_worth_intrinsic_capped_at_width():
    p = spread()
    m = mark_spread(p, EXP, {}, 80.0, no_model, 0.15, 0.04)
    assert m.source == "intrinsic" and m.price == pytest.approx(3.0) and m.dte == 0
    assert m.unrealized_pnl == pytest.approx(-p.max_loss)


def test_stock_mark_is_direction_aware():
    long_ = StockPosition(1, "mean_reversion", "AAPL", 100, 200.0, dt.date(2025, 1, 2))
    short = StockPosition(2, "mean_reversion", "AAPL", -100, 200.0, dt.date(2025, 1, 2))
    assert mark_stock(long_, D, 190.0, 3).return_pct == pytest.approx(-0.05)
    assert mark_stock(short, D, 190.0, 3).return_pct == pytest.approx(0.05)
    assert mark_stock(short, D, 190.0, 3).unrealized_pnl == pytest.approx(1000.0)
    assert mark_stock(long_, D, None, 3) is None


@pytest.mark.parametrize(
    "kw, fragment",
    [
        ({"short_strike": 85, "long_strike": 88}, "higher strike"),
        ({"option_type": "call"}, "lower strike"),
        ({"credit": 3.5}, "below the spread width"),
        ({"contracts": 0}, "contracts"),
        ({"option_type": "straddle"}, "put or call"),
    ],
)
def test_bad_spreads_are_refused_with_a_clear_message(kw, fragment):
    with pytest.raises(InputError, match=fragment):
        spread(**kw)
