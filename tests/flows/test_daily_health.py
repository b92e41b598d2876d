"""Issue 18 item 4 through the daily flow on PostgreSQL: a book's health (rolling Calmar, correlation with its
market, model confidence, realised costs against the cost model) reaches a real local apprise receiver once per
episode, and the daily summary and the fund report show each strategy's stage and each check's state.

Hand-made: the test strategy holds QQQ at weight 1 (so its correlation with QQQ is 1), states a confidence per
session, and the desk records one actual fill 30 bps above its paper price. Windows are shortened in the test's
risk.yaml so that six sessions show each condition start (and costs clear)."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from domain.calendar import sessions_between
from infra.book_store import orders_on, record_actual_fill
from infra.db.engine import get_engine
from infra.ingest import ingest_file
from infra.portfolio_store import find_alerts
from infra.settings import SAMPLE_DIR, reset_settings_cache
from tests.infra.notify_fakes import JsonReceiver
from tests.strategy_config import config_with_buy_and_hold

RULES = {"commission_bps": 2.0, "slippage_bps": 1.0, "fill": "close", "max_weight": 1.0}
DAYS = sessions_between(dt.date(2020, 1, 6), dt.date(2020, 1, 14))[:6]
CONFIDENCE = [0.5, 0.25, 0.25, 0.15, 0.15, 0.15]  # below 0.3 from session 1, below 0.2 from session 3
HEALTH = {"calmar_days": 5, "correlation_days": 5, "confidence_warning_days": 3, "confidence_critical_days": 3,
          "cost_days": 3}


@pytest.fixture
def health_db(app_env, tmp_path, monkeypatch):
    config = config_with_buy_and_hold(tmp_path / "config", weight=1.0, symbol="QQQ", rules=RULES,
                                      validation_quarters=1, min_validation_calmar=-1e9,
                                      confidence={d.isoformat(): c for d, c in zip(DAYS, CONFIDENCE)})
    risk = yaml.safe_load((config / "risk.yaml").read_text())
    risk["health"].update(HEALTH)
    (config / "risk.yaml").write_text(yaml.safe_dump(risk, sort_keys=False))
    monkeypatch.setenv("QUANTOPS_CONFIG_DIR", str(config))
    reset_settings_cache()
    engine = get_engine(app_env)
    ingest_file(engine, "bars", SAMPLE_DIR / "bars" / "QQQ.csv", today=dt.date(2026, 1, 1), source="sample")
    return engine


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_health_episodes_reach_apprise_once_and_the_summary_and_report_show_stage_and_health(health_db, monkeypatch):
    from flows.daily import daily
    from flows.retrain import retrain
    from tasks.daily_report import report_path

    assert retrain(strategy="buy_and_hold", as_of=DAYS[0] - dt.timedelta(days=3))["status"] == "promoted"
    with JsonReceiver() as rx:
        monkeypatch.setenv("QUANTOPS_ALERT_URLS", rx.url())
        reset_settings_cache()
        runs = []
        for i, day in enumerate(DAYS):
            runs.append(daily(day))
            if i == 0:  # the desk bought 30 bps above the paper price, recorded the next session
                order = orders_on(health_db, day, "buy_and_hold").iloc[0]
                record_actual_fill(health_db, int(order["id"]), order["reference_price"] * 1.003,
                                   at=dt.datetime.combine(DAYS[1], dt.time(12), dt.timezone.utc))
        daily(DAYS[-1])  # a rerun of the last day sends nothing new
        got = [m["title"] for m in rx.received]

    def when(kind):
        return [(a.as_of, a.severity) for a, _ in find_alerts(health_db, strategy="buy_and_hold") if a.kind == kind]

    # confidence below 0.3 on sessions 1, 2, 3: the third is session 3; below 0.2 on 3, 4, 5: session 5
    assert when("health_confidence") == [(DAYS[3], "warning")]
    assert when("health_confidence_critical") == [(DAYS[5], "critical")]
    # costs: the window of 3 sessions is judged from session 2 (the fill of session 0 known since session 1)
    # and clears at session 3, when the fill leaves it
    assert when("health_costs") == [(DAYS[2], "warning")] and when("health_costs_cleared") == [(DAYS[3], "info")]
    # correlation with QQQ, the book's only instrument: the book holds it from session 0's close, so the window
    # of 5 sessions copies QQQ's returns from session 5 on (session 0's return is 0 against QQQ's move)
    assert when("health_correlation") == [(DAYS[5], "warning")]
    for title in ("buy_and_hold: model confidence 0.15, below 0.3 for 3 sessions",
                  "buy_and_hold: model confidence 0.15, below 0.2 for 3 sessions", "buy_and_hold: cleared: costs"):
        assert got.count(title) == 1, (title, got)
    # 2 bps commission + 30 bps of the paper price per share, in bps of the actual notional: 2 + 30 / 1.003
    assert sum(t.startswith("buy_and_hold: realised costs 31.9 bps, above 1.5x the cost model's 3.0 bps")
               for t in got) == 1, got

    summary = [m["message"] for m in rx.received if m["title"] == f"quantops daily summary {DAYS[-1]}"]
    assert len(summary) == 1
    line = next(x for x in summary[0].splitlines() if "buy_and_hold (paper)" in x)
    assert "confidence critical 0.15" in line and "correlation warning 1.00" in line and "costs n/a" in line \
        and "calmar " in line, line
    assert runs[-1]["health"]["buy_and_hold"]["stage"] == "paper"

    page = report_path(DAYS[-1]).read_text()
    assert "health (seed 000 section 10)" in page and "confidence critical 0.15" in page \
        and "correlation warning 1.00" in page
