import datetime as dt
import itertools
import math

import pytest

from domain.portfolio.nav import carry_forward, drawdown, nav_point, realized_vol, running_peak

D0, D1 = dt.date(2025, 1, 2), dt.date(2025, 1, 10)


def test_carry_forward_adds_only_the_change_in_book_pnl_since_the_external_nav():
    # admin says 1,000,000 on D0, when the book showed +300 unrealized; now +200 realized, +500 unrealized
    assert carry_forward(1_000_000, 300.0, 700.0) == pytest.approx(1_000_400)
    p = nav_point(as_of=D1, base_date=D0, base_nav=1_000_000, realized_cum_at_base=100.0, unrealized_at_base=300.0,
                  realized_cum_now=300.0, unrealized_now=500.0, previous_peak=1_002_000)
    assert p.nav == pytest.approx(1_000_400)
    assert p.realized_pnl == pytest.approx(200.0)
    assert p.peak == 1_002_000
    assert p.drawdown == pytest.approx(1 - 1_000_400 / 1_002_000)


def test_running_peak_and_drawdown():
    peak = None
    navs = [100.0, 110.0, 99.0, 105.0, 120.0]
    dds = []
    for n in navs:
        peak = running_peak(peak, n)
        dds.append(drawdown(n, peak))
    assert peak == 120.0
    assert dds == pytest.approx([0.0, 0.0, 0.1, 1 - 105 / 110, 0.0])


def test_realized_vol_is_annualised_sample_std_of_log_returns():
    navs = [100, 101, 99, 102, 100]
    rets = [math.log(b / a) for a, b in itertools.pairwise(navs)]
    m = sum(rets) / 4
    expected = math.sqrt(sum((r - m) ** 2 for r in rets) / 3) * math.sqrt(252)
    assert realized_vol(navs) == pytest.approx(expected)
    assert realized_vol([100, 101]) is None
    assert realized_vol([100.0] * 10) == 0.0


@pytest.mark.parametrize("unrealized", [math.inf, -math.inf, math.nan])
def test_a_nav_that_is_not_a_finite_number_is_refused(unrealized):
    from domain.errors import InputError

    with pytest.raises(InputError, match="NAV on 2025-01-07 is not a finite number"):
        nav_point(as_of=dt.date(2025, 1, 7), base_date=dt.date(2025, 1, 6), base_nav=1e6, realized_cum_at_base=0.0,
                  unrealized_at_base=0.0, realized_cum_now=0.0, unrealized_now=unrealized, previous_peak=1e6)
