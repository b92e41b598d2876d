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
        ([*SPREAD[:-3], "16.8", *SPREAD[-2:]], "iv must be a decimal in (0, 5] (0.168 = 16.8%), got 16.8"),
        ([*SPREAD[:-1], "-2"], "delta must be in [-1, 1], got -2.0"),
        (["alerts", "list", "--date", "yesterday"], "is not a date"),
    ],
)
def test_bad_arguments_give_one_line_and_no_traceback(app_env, args, message):
    r = run(*args)
    assert r.exit_code != 0
    assert message in r.output
    assert "Traceback" not in r.output
    assert len([line for line in r.output.splitlines() if line.strip()]) == 1, r.output


STOCK = ["positions", "add", "--strategy", "mr", "--symbol", "SPY", "--quantity", "10", "--price", "580",
         "--opened", "2025-01-03"]


def _with(args: list[str], option: str, value: str) -> list[str]:
    out = list(args)
    out[out.index(option) + 1] = value
    return out


NAV_SET = ["nav", "set", "VALUE", "--date", "2025-01-02"]
NOT_FINITE = [
    *[(NAV_SET, "AMOUNT", v) for v in ("inf", "Infinity", "1e309", "nan")],
    *[(_with(STOCK, "--quantity", "VALUE"), "--quantity", v) for v in ("nan", "inf")],
    (_with(STOCK, "--price", "VALUE"), "--price", "inf"),
    (_with(SPREAD, "--underlying-price", "VALUE"), "--underlying-price", "inf"),
    (_with(SPREAD, "--short-strike", "VALUE"), "--short-strike", "Infinity"),
    (_with(SPREAD, "--iv", "VALUE"), "--iv", "nan"),
    (["positions", "close", "1", "--price", "VALUE", "--date", "2025-01-10"], "--price", "1e309"),
]


@pytest.mark.parametrize("args, option, value", NOT_FINITE,
                         ids=[f"{args[0]}-{args[1]}{option}={value}" for args, option, value in NOT_FINITE])
def test_a_number_that_is_not_finite_is_refused_in_one_line_and_nothing_is_stored(app_env, args, option, value):
    """Issue 15 case 1: inf was stored (NAV = inf poisoned every later day); nan gave a 91-line traceback."""
    assert run(*SPREAD).exit_code == 0  # position #1, for `close`
    r = run(*[value if a == "VALUE" else a for a in args])
    assert r.exit_code == 2, r.output
    parsed = float(value)  # 'Infinity' and '1e309' parse as inf
    assert r.output.strip() == f"error: {option}: {parsed} is not a finite number", r.output
    engine = get_engine(app_env)
    assert store.external_navs(engine) == []
    assert [p.id for p in store.list_positions(engine, "open")] == [1]


@pytest.mark.parametrize("option, column", [("--strategy", "strategy"), ("--symbol", "symbol"),
                                            ("--underlying", "symbol")])
def test_a_text_longer_than_its_column_is_refused_on_both_databases(app_env, option, column):
    """Issue 15 case 5: SQLite stored a 40-character strategy name; PostgreSQL answered with a traceback."""
    args = _with(SPREAD, option, "x" * 40) if option in SPREAD else \
        [*STOCK[:4], option, "x" * 40, *STOCK[6:]] if option == "--symbol" else [*SPREAD, option, "x" * 40]
    r = run(*args)
    assert r.exit_code == 2, r.output
    assert r.output.lower().startswith(f"error: {option}: {'x' * 32}... is 40 characters; at most 32"), r.output
    assert len(r.output.strip().splitlines()) == 1
    assert store.list_positions(get_engine(app_env)) == []
