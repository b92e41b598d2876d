"""`quantops positions|nav|alerts` against a real database: results, and bad input in one line."""

import pytest
from typer.testing import CliRunner

from flows.cli.main import app
from infra import portfolio_store as store
from infra.db.engine import get_engine

runner = CliRunner()
SPREAD = ["positions", "add", "--strategy", "tlt_overlay", "--type", "put", "--short-strike", "88",
          "--long-strike", "85", "--expiration", "2025-02-21", "--credit", "0.72", "--contracts", "5",
          "--underlying-price", "91.5", "--opened", "2025-01-02", "--iv", "0.168", "--delta", "-0.2"]


def run(*args):
    return runner.invoke(app, list(args))


def test_positions_nav_and_alerts_commands(app_env):
    r = run(*SPREAD)
    assert r.exit_code == 0, r.output
    assert "position #1" in r.output and "max profit 360.00" in r.output
    assert run("positions", "add", "--strategy", "mr", "--symbol", "spy", "--quantity", "-10", "--price", "580",
               "--opened", "2025-01-03").exit_code == 0
    r = run("positions", "close", "1", "--price", "0.30", "--date", "2025-01-10", "--reason", "profit target")
    assert r.exit_code == 0 and "realized P&L 210.00" in r.output
    engine = get_engine(app_env)
    assert [p.id for p in store.list_positions(engine, "open")] == [2]
    assert [t.action for t in store.trades_of(engine, 1)] == ["open", "close"]
    r = run("positions", "list", "--closed")
    assert r.exit_code == 0 and "1 position(s)" in r.output
    assert run("nav", "set", "5250000", "--date", "2025-01-02").exit_code == 0
    assert store.external_nav_on_or_before(engine, store.dt.date(2025, 1, 3)) == (store.dt.date(2025, 1, 2), 5_250_000)
    r = run("nav", "show")
    assert r.exit_code == 0 and "5,250,000.00" in r.output
    r = run("alerts", "list", "--date", "2025-01-10")
    assert r.exit_code == 0 and "0 alert(s)" in r.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["positions", "add", "--strategy", "x", "--type", "put", "--short-strike", "85"], "a spread needs --long-strike"),
        ([*SPREAD[:7], "85", "--long-strike", "88", *SPREAD[10:]], "sells the higher strike"),
        (["positions", "add", "--strategy", "x", "--symbol", "SPY", "--price", "5"], "needs --quantity"),
        (["positions", "close", "7", "--price", "1", "--date", "2025-01-10"], "no position #7"),
        (["positions", "close", "1", "--price", "1", "--date", "2025-13-01"], "is not a date"),
        (["nav", "set", "0", "--date", "2025-01-02"], "NAV must be positive"),
        (["alerts", "list", "--date", "yesterday"], "is not a date"),
    ],
)
def test_bad_arguments_give_one_line_and_no_traceback(app_env, args, message):
    r = run(*args)
    assert r.exit_code != 0
    assert message in r.output
    assert "Traceback" not in r.output
    assert len([line for line in r.output.splitlines() if line.strip()]) == 1, r.output
