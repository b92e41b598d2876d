"""`quantops orders` and `quantops book` against a real database: the orders table and CSV, the operator's
fill, the book's positions and P&L, and bad input in one line."""

import datetime as dt
import io

import pandas as pd
import pytest
from typer.testing import CliRunner

from domain.book import Rules
from domain.strategies.base import Targets
from flows.cli.main import app
from infra.db.engine import get_engine
from tasks.books import run_step
from tests.portfolio_fixtures import put_bars

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args))


def _two_days(engine):
    put_bars(engine, "QQQ", {dt.date(2024, 1, 2): 400.0, dt.date(2024, 1, 3): 404.0})
    put_bars(engine, "SPY", {dt.date(2024, 1, 2): 470.0, dt.date(2024, 1, 3): 465.0})
    rules = Rules(fill="next_open")
    run_step(engine, "toy", Targets(as_of=pd.Timestamp("2024-01-02"), kind="book", weights={"QQQ": 0.5, "SPY": -0.25}),
             rules, capital=1e6)
    run_step(engine, "toy", Targets(as_of=pd.Timestamp("2024-01-03"), kind="book", weights={"QQQ": 0.3}), rules,
             capital=1e6)


def test_orders_table_csv_fill_and_book(app_env):
    engine = get_engine(app_env)
    r = run("orders")
    assert r.exit_code == 0 and "no book has been stepped yet" in r.output
    _two_days(engine)
    r = run("orders")  # the last close: 2024-01-03, QQQ 0.5 -> 0.3 and SPY -0.25 -> 0
    assert r.exit_code == 0, r.output
    assert "2024-01-03" in r.output and "QQQ" in r.output and "SPY" in r.output and "next_open" in r.output
    r = run("orders", "--date", "2024-01-03", "--csv")
    assert r.exit_code == 0
    csv = pd.read_csv(io.StringIO(r.output))
    assert list(csv["instrument"]) == ["QQQ", "SPY"] and list(csv["side"]) == ["sell", "buy"]
    assert list(csv["status"]) == ["open", "open"]  # fills at the next open: not filled yet
    # the 2024-01-02 orders were filled at the 2024-01-03 open (paper)
    first = pd.read_csv(io.StringIO(run("orders", "--date", "2024-01-02", "--csv").output))
    assert list(first["status"]) == ["filled", "filled"]
    order_id = int(csv["id"].iloc[0])
    r = run("orders", "fill", str(order_id), "--price", "403.1", "--note", "late")
    assert r.exit_code == 0 and f"order #{order_id}" in r.output and "403.1" in r.output
    r = run("book", "--strategy", "toy")
    assert r.exit_code == 0, r.output
    assert "toy book after the close of 2024-01-03 (paper)" in r.output and "QQQ" in r.output
    assert "not part of the fund's NAV" in r.output
    r = run("book")
    assert r.exit_code == 0 and "toy" in r.output and "no (paper)" in r.output and "paper books: " in r.output


@pytest.mark.parametrize("args, fragment", [
    (("orders", "fill", "999", "--price", "10"), "no order with id 999"),
    (("orders", "fill", "1", "--price", "-1"), "--price must be > 0"),
    (("book", "--strategy", "nobody"), "'nobody' has no stored book"),
    (("orders", "--date", "2024-13-01"), "not a date"),
])
def test_bad_input_is_one_line(app_env, args, fragment):
    r = run(*args)
    assert r.exit_code != 0
    assert fragment in r.output and "Traceback" not in r.output
