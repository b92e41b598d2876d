"""Issue 18 item 5: after the hard stop a production book stays flat until an operator re-arms it with a
reason (`quantops strategy rearm NAME --reason ...`), stored with the time; backtests simulate `sessions N`."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from typer.testing import CliRunner

from domain.book import Rules
from domain.errors import InputError
from domain.strategies.base import Targets
from domain.strategies.registry import parse_registry
from flows.cli.main import app
from infra.book_store import book_days, load_book, rearms, record_rearm
from tasks.books import run_step
from tests.portfolio_fixtures import put_bars

runner = CliRunner()
BACKTEST = Rules(commission_bps=0, slippage_bps=0, drawdown_thresholds=(0.03, 0.12), drawdown_scales=(0.5, 0.0),
                 rearm="sessions 3")


def test_production_default_is_operator_and_the_registry_validates_it():
    reg = parse_registry({"strategies": {"a": {"class": "x:Y"}, "b": {"class": "x:Y", "rearm": "sessions 5"}}})
    assert reg.entry("a").production_rules(BACKTEST).describe_rearm() == "operator"
    assert reg.entry("b").production_rules(BACKTEST).describe_rearm() == "sessions 5"
    assert BACKTEST.describe_rearm() == "sessions 3"  # what the backtest simulates is left alone
    with pytest.raises(InputError, match="strategies.c.rearm"):
        parse_registry({"strategies": {"c": {"class": "x:Y", "rearm": "never"}}})


def test_stopped_book_stays_flat_until_the_operator_rearms_it(app_env, engine):
    days = pd.bdate_range("2024-01-02", periods=12)
    closes = [100.0, 100.0, 85.0] + [85.0] * 9  # -15%: past the 12% stop at day 2
    put_bars(engine, "QQQ", {d.date(): c for d, c in zip(days, closes)})
    rules = parse_registry({"strategies": {"vr": {"class": "x:Y"}}}).entry("vr").production_rules(BACKTEST)
    for d in days[:8]:
        run_step(engine, "vr", Targets(as_of=d, kind="exposure", weights={"QQQ": 1.0}), rules, capital=1e6)
    stored = book_days(engine, "vr")
    assert (stored["stopped_sessions"].iloc[2:8] > 0).all()  # operator policy: still stopped 6 sessions on
    assert load_book(engine, "vr", dt.date(2030, 1, 1)).weights == {}

    result = runner.invoke(app, ["strategy", "rearm", "vr"])
    assert result.exit_code != 0  # --reason is required
    result = runner.invoke(app, ["strategy", "rearm", "vr", "--reason", "drawdown reviewed with the PM"])
    assert result.exit_code == 0, result.output
    (row,) = rearms(engine, "vr").itertuples()
    assert row.reason == "drawdown reviewed with the PM" and row.after_day == days[7].date()
    assert row.at is not None and row.drawdown == pytest.approx(-0.15)

    for d in days[8:]:
        run_step(engine, "vr", Targets(as_of=d, kind="exposure", weights={"QQQ": 1.0}), rules, capital=1e6)
    book = load_book(engine, "vr", dt.date(2030, 1, 1))
    assert book.weights == {"QQQ": 1.0} and book.stopped_sessions == 0  # trading again from the new peak
    # re-running the day after the re-arm keeps it (the re-arm is stored apart from the book days)
    run_step(engine, "vr", Targets(as_of=days[8], kind="exposure", weights={"QQQ": 1.0}), rules, capital=1e6)
    assert book_days(engine, "vr")["stopped_sessions"].iloc[8] == 0

    with pytest.raises(InputError, match="not under its drawdown stop"):
        record_rearm(engine, "vr", "again")
    with pytest.raises(InputError, match="has no stored book"):
        record_rearm(engine, "nope", "why")
