import datetime as dt

import pytest

from domain.portfolio.nav import NavPoint
from domain.risk.alerts import Alert
from domain.risk.params import RiskParams
from domain.risk.portfolio_rules import drawdown_alert, realized_vol_alert

P = RiskParams()
D = dt.date(2025, 3, 3)


def point(dd):
    return NavPoint(as_of=D, nav=1_000_000 * (1 - dd), peak=1_000_000, drawdown=dd, realized_pnl=0,
                    unrealized_pnl=0, base_date=D, base_nav=1_000_000)


@pytest.mark.parametrize(
    "dd, level, severity, stop",
    [(0.029, None, None, None), (0.03, 0.03, "info", False), (0.06, 0.05, "warning", False),
     (0.10, 0.08, "warning", False), (0.12, 0.12, "critical", True), (0.30, 0.12, "critical", True)],
)
def test_drawdown_levels(dd, level, severity, stop):
    alert = drawdown_alert(point(dd), P)
    if level is None:
        assert alert is None
        return
    assert alert.numbers["level"] == level and alert.severity == severity
    assert alert.numbers["stop_trading"] is stop
    assert alert.dedup_key == f"2025-03-03:drawdown:{level:g}"
    assert ("STOP TRADING" in alert.message) is stop


def test_realized_vol_alert_uses_the_window_and_threshold():
    calm = [100 * (1.001 ** i) for i in range(30)]
    assert realized_vol_alert(D, calm, P) is None
    wild = [100.0]
    for i in range(25):
        wild.append(wild[-1] * (1.03 if i % 2 else 0.97))
    alert = realized_vol_alert(D, wild, P)
    assert alert is not None and alert.numbers["realized_vol"] > 0.30
    assert alert.numbers["observations"] == 20
    # a violent past outside the window does not count
    assert realized_vol_alert(D, wild[:5] + calm, P) is None


def test_alert_refuses_unknown_severity_and_params_validate():
    with pytest.raises(ValueError):
        Alert(as_of=D, kind="x", severity="urgent", dedup_key="k", title="t", message="m")
    with pytest.raises(ValueError, match="drawdown_levels"):
        RiskParams(drawdown_levels=(0.05, 0.03, 0.08, 0.12))
    with pytest.raises(ValueError, match="severity"):
        RiskParams(loss_limit_severity="loud")
