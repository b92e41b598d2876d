"""Book events become alerts the desk can act on, with keys that make a rerun of the day send nothing twice."""

from __future__ import annotations

import datetime as dt

from domain.risk.book_alerts import book_alerts

DAY = dt.date(2020, 3, 12)
EVENTS = [{"kind": "stop_loss", "instrument": "AAPL", "detail": {}},
          {"kind": "time_stop", "instrument": "MSFT", "detail": {}},
          {"kind": "throttle", "instrument": None, "detail": {"from": 2, "to": 4, "scale": 0.0, "drawdown": -0.131}},
          {"kind": "drawdown_stop", "instrument": None, "detail": {"drawdown": -0.131, "rearm": "sessions 21"}}]


def test_each_book_event_is_one_alert_with_severity_subject_and_the_order_to_place():
    alerts = book_alerts("mean_reversion", DAY, EVENTS)
    assert [(a.kind, a.severity) for a in alerts] == [("book_stop_loss", "critical"), ("book_time_stop", "warning"),
                                                      ("book_throttle", "warning"), ("book_drawdown_stop", "critical")]
    assert alerts[0].title == "mean_reversion: stop loss hit on AAPL, close it"
    assert alerts[0].numbers == {"strategy": "mean_reversion", "instrument": "AAPL"}
    assert "13.10%" in alerts[3].message and "sessions 21" in alerts[3].message
    assert len({a.dedup_key for a in alerts}) == 4
    assert [a.dedup_key for a in book_alerts("mean_reversion", DAY, EVENTS)] == [a.dedup_key for a in alerts]
    assert book_alerts("other", DAY, EVENTS[:1])[0].dedup_key != alerts[0].dedup_key


def test_history_rules_alert_once_when_they_start_and_once_when_they_clear():
    """Issue 18: the trailing stop, correlation rules and drawdown autocorrelation name themselves, per episode."""
    events = [{"kind": "trailing_stop", "instrument": None, "detail": {"fall_from_high": 0.0545, "drawdown": -0.05}},
              {"kind": "correlation_scale", "instrument": None, "detail": {"correlation": 0.83}},
              {"kind": "drawdown_autocorr", "instrument": None, "detail": {"autocorr": [0.41, 0.1]}},
              {"kind": "trailing_stop_cleared", "instrument": None, "detail": {"fall_from_high": 0.0}}]
    alerts = book_alerts("vol_regime", DAY, events)
    assert [(a.kind, a.severity) for a in alerts] == [
        ("book_trailing_stop", "critical"), ("book_correlation_scale", "warning"),
        ("book_drawdown_autocorr", "warning"), ("book_trailing_stop_cleared", "info")]
    assert alerts[0].title == "vol_regime: trailing stop, book flat" and "5.45% below its high" in alerts[0].message
    assert "0.83" in alerts[1].message and "0.41" in alerts[2].message
    assert alerts[3].title == "vol_regime: cleared: trailing stop, book flat"
    assert "no price" not in " ".join(a.title for a in alerts)
