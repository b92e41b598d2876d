"""The research tearsheet: the two bugs of issue 16 and what a quant expects to find in it.

Real data: QQQ closes of ../shared/data/real/etf/QQQ.csv (SOURCES.md). In 2020Q2 (63 sessions) QQQ
returned +30.27%; the old fold table annualised it to 187.97% (the figure the issue quotes).
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from domain import metrics as m
from flows.cli.research import build_report_html, fold_rows
from tests.conftest import REAL_DATA

REAL = REAL_DATA / "etf" / "QQQ.csv"


def _days(start: str, end: str) -> pd.DataFrame:
    close = pd.read_csv(REAL, parse_dates=["Date"], index_col="Date")["Close"]
    bench = close.pct_change().loc[start:end]
    exposure = pd.Series(0.5, index=bench.index)
    days = pd.DataFrame({"exposure": exposure, "strategy_return": 0.5 * bench, "benchmark_return": bench})
    days.index.name = "date"
    return days


def _folds(days: pd.DataFrame) -> pd.DataFrame:
    quarters = days.groupby(days.index.to_period("Q"))
    rows = [{"fold": i, "test_start": g.index.min().date(), "test_end": g.index.max().date(),
             "metrics": json.dumps({"test_cagr": m.cagr(g["strategy_return"]), "bh_cagr": m.cagr(g["benchmark_return"]),
                                    "test_max_drawdown": m.max_drawdown(g["strategy_return"]),
                                    "test_calmar": m.calmar(g["strategy_return"]),
                                    "test_sharpe": m.sharpe(g["strategy_return"])})}
            for i, (_, g) in enumerate(quarters)]
    return pd.DataFrame(rows)


RUN = {"id": 7, "strategy": "vol_regime", "start": "2020-01-01", "end": "2020-12-31", "code_version": "abc1234",
       "seed": 42, "data_fingerprint": "f" * 64, "config_hash": "c" * 64, "created_at": "2026-12-01 23:00:00",
       "params": json.dumps({"costs": {"commission_bps": 2.0, "slippage_bps": 1.0}}), "notes": "[]"}


def test_fold_return_is_the_quarters_own_not_annualised():
    days = _days("2020-01-01", "2020-12-31")
    rows = {str(r["test_start"]): r for r in fold_rows(_folds(days), days)}
    q2 = rows["2020-04-01"]
    assert q2["bh_period_return"] == pytest.approx(0.30268, abs=1e-5)
    assert m.cagr(days.loc["2020-04-01":"2020-06-30", "benchmark_return"]) == pytest.approx(1.8797, abs=1e-4)


@pytest.fixture(scope="module")
def report() -> str:
    days = _days("2019-01-01", "2020-12-31")
    return build_report_html("vol_regime", "buy-and-hold QQQ", RUN, _folds(days), days)


def test_report_shows_period_returns_and_the_longest_drawdown(report):
    assert "30.27%" in report and "187.97%" not in report
    # The longest-drawdown row used to be missing (asked `longest_drawdown_days`, given `drawdown_longest_days`).
    row = re.search(r"<th>Longest drawdown</th><td>([^<]+)</td><td>([^<]+)</td>", report)
    assert row and row.group(1).endswith(" days") and row.group(2).endswith(" days")


def test_report_to_the_standard_of_a_published_tearsheet(report):
    assert "<img" not in report and report.count("<svg") == 2  # vector figures, inline
    for label in ("Alpha (ann.)", "Beta", "Information ratio", "Tracking error (ann.)", "CAGR", "Max drawdown"):
        assert f"<th>{label}</th>" in report
    assert re.search(r"<th>CAGR</th><td>-?\d+\.\d\d%</td>", report)  # percentages with units
    for month in ("Jan", "Jun", "Dec", "Year"):
        assert f">{month}<" in report  # month names and the yearly total column (svg text)
    assert "2 bp commission + 1 bp slippage" in report  # cost assumption stated
    assert "abc1234" in report and "quantops walk-forward --strategy vol_regime" in report  # provenance


def test_relative_metrics_identities():
    rng = np.random.default_rng(0)
    b = rng.normal(0.0005, 0.01, 500)
    same = m.relative_to(b, b)
    assert same["beta"] == pytest.approx(1.0) and same["alpha"] == pytest.approx(0.0, abs=1e-12)
    assert same["tracking_error"] == pytest.approx(0.0, abs=1e-12) and np.isnan(same["information_ratio"])
    levered = m.relative_to(2 * b, b)
    assert levered["beta"] == pytest.approx(2.0) and levered["alpha"] == pytest.approx(0.0, abs=1e-12)
    assert levered["tracking_error"] == pytest.approx(np.std(b, ddof=1) * np.sqrt(252))
    assert levered["information_ratio"] == pytest.approx(m.sharpe(b))
    shifted = m.relative_to(b + 0.0001, b)
    assert shifted["alpha"] == pytest.approx(1.0001 ** 252 - 1)


def test_vol_regime_report_uses_the_documents_2pct_risk_free_rate_and_shows_each_74_target(report):
    """Issue 18 item 11: Sharpe/Sortino over seed 000's 2% risk-free rate; section 7.4's targets pass/fail."""
    days = _days("2019-01-01", "2020-12-31")
    sharpe = m.sharpe(days["strategy_return"] - 0.02 / 252)
    assert re.search(rf"<th>Sharpe</th><td>{sharpe:.2f}</td>", report)
    assert sharpe != pytest.approx(m.sharpe(days["strategy_return"]), abs=0.01)
    assert "over a 2.0% risk-free rate" in report and "<h2>Design targets</h2>" in report
    rows = re.findall(r"<tr><th>([^<]+)</th><td>[^<]+</td><td>([^<]+)</td><td>(pass|<b>FAIL</b>)</td></tr>", report)
    assert len(rows) == 14 and ("Calmar", "&gt;= 1.5") in [(a, b) for a, b, _ in rows]
    calmar = m.calmar(days["strategy_return"])
    assert dict((a, c) for a, _, c in rows)["Calmar"] == ("pass" if calmar >= 1.5 else "<b>FAIL</b>")
    assert re.search(r"\d+ of 14 targets met", report)
