import datetime as dt

import pytest

from domain.portfolio.marking import Mark, QuoteRow, mark_spread, mark_stock, quote_key
from domain.portfolio.positions import StockPosition, make_credit_spread
from domain.risk.exit_rules import exit_alerts
from domain.risk.params import RiskParams

P = RiskParams()
AS_OF = dt.date(2025, 1, 10)


def spread(exp=dt.date(2025, 2, 21)):
    return make_credit_spread(strategy="tlt_overlay", option_type="put", short_strike=88, long_strike=85,
                              expiration=exp, credit=0.80, contracts=2, underlying_price=91.5,
                              opened=dt.date(2025, 1, 2), id=3)


def mark_at(pos, short_mid, long_mid, as_of=AS_OF):
    q = {quote_key("TLT", pos.short_leg): QuoteRow(short_mid - 0.01, short_mid + 0.01),
         quote_key("TLT", pos.long_leg): QuoteRow(long_mid - 0.01, long_mid + 0.01)}
    return mark_spread(pos, as_of, q, 90.0, None, 0.15, 0.04)


def kinds(alerts):
    return sorted(a.kind for a in alerts)


@pytest.mark.parametrize(
    "short_mid, long_mid, expected",
    [
        (0.60, 0.19, []),  # value 0.41 -> 48.75% profit: just short of the target
        (0.60, 0.20, ["profit_target"]),  # value 0.40 = exactly 50% of the credit
        (1.00, 0.50, []),  # value 0.50
        (2.00, 0.41, []),  # value 1.59 < 2 x 0.80
        (2.00, 0.40, ["loss_limit"]),  # value 1.60 = 2x credit
    ],
)
def test_spread_profit_target_and_loss_limit_boundaries(short_mid, long_mid, expected):
    pos = spread()
    alerts = exit_alerts(pos, mark_at(pos, short_mid, long_mid), P)
    assert kinds(alerts) == expected


def test_dte_threshold_is_inclusive_and_keys_are_stable():
    pos = spread(exp=dt.date(2025, 1, 17))  # 7 days from AS_OF
    a = exit_alerts(pos, mark_at(pos, 1.0, 0.5), P)
    assert kinds(a) == ["dte"]
    assert a[0].dedup_key == "2025-01-10:dte:3"
    assert a[0].numbers["dte"] == 7 and a[0].severity == "warning"
    b = exit_alerts(pos, mark_at(pos, 1.0, 0.5, as_of=dt.date(2025, 1, 9)), P)
    assert kinds(b) == []  # 8 days: not yet
    again = exit_alerts(pos, mark_at(pos, 1.0, 0.5), P)
    assert [x.dedup_key for x in again] == [x.dedup_key for x in a]


def test_loss_limit_is_critical_and_carries_its_numbers():
    pos = spread()
    (alert,) = exit_alerts(pos, mark_at(pos, 2.5, 0.5), P)
    assert alert.kind == "loss_limit" and alert.severity == "critical"
    assert alert.numbers["value_to_credit"] == pytest.approx(2.5)
    assert alert.numbers["unrealized_pnl"] == pytest.approx((0.8 - 2.0) * 200)


def test_configured_thresholds_change_the_outcome():
    pos = spread()
    m = mark_at(pos, 0.60, 0.19)  # 48.75% of max profit
    assert kinds(exit_alerts(pos, m, RiskParams(profit_target_pct=0.45))) == ["profit_target"]


@pytest.mark.parametrize(
    "qty, close, held, expected",
    [
        (100, 95.01, 5, []),
        (100, 95.00, 5, ["stop_loss"]),
        (-100, 105.00, 5, ["stop_loss"]),
        (-100, 95.00, 5, []),
        (100, 100.0, 6, ["time_stop"]),
        (100, 90.0, 6, ["stop_loss", "time_stop"]),
    ],
)
def test_stock_stop_loss_and_time_stop(qty, close, held, expected):
    pos = StockPosition(9, "mean_reversion", "XYZ", qty, 100.0, dt.date(2025, 1, 2))
    assert kinds(exit_alerts(pos, mark_stock(pos, AS_OF, close, held), P)) == expected


def test_hand_made_mark_without_quotes():
    pos = spread()
    m = Mark(position_id=3, as_of=AS_OF, kind="spread", source="model", price=1.7, price_conservative=1.7,
             underlying_price=86.0, unrealized_pnl=pos.pnl_at(1.7), unrealized_pnl_conservative=pos.pnl_at(1.7),
             dte=42, credit=0.8, value_to_credit=1.7 / 0.8, profit_fraction=pos.pnl_at(1.7) / pos.max_profit)
    assert kinds(exit_alerts(pos, m, P)) == ["loss_limit"]
