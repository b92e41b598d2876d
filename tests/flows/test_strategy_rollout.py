"""Issue 18 item 6: staged rollout. `quantops strategy promote NAME` moves a strategy one rung up the ladder
(paper -> 10% -> 50% -> 100%) only after its checks (sessions at the stage, tracking error against the
walk-forward of the same sessions), records why, and from the next step the fund's NAV counts that share of
the book's P&L; `demote` pulls it back without checks; `stages` prints the history. Real databases, a
hand-made book."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
import yaml
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from domain.book import Rules
from domain.risk.params import RiskParams
from domain.strategies.base import Targets
from flows.cli.main import app
from infra.book_store import book_days, fund_view
from infra.db.models.research import WalkForwardDay, WalkForwardRun
from infra.portfolio_store import set_external_nav
from infra.settings import CONFIG_DIR, reset_settings_cache
from infra.stage_store import stage_history
from tasks.books import run_step
from tasks.health import strategy_stage
from tasks.portfolio import MarkResult, compute_nav_point
from tests.portfolio_fixtures import put_bars

runner = CliRunner()
RULES = Rules(commission_bps=0, slippage_bps=0)
DAYS = pd.bdate_range("2024-01-02", periods=10)
CLOSES = [100.0, 101.0, 99.5, 102.0, 103.5, 101.0, 104.0, 106.0, 105.0, 108.0]


@pytest.fixture
def rollout_db(app_env, engine, tmp_path, monkeypatch):
    """A registry with strategy `vr` on paper (ladder 10/50/100%, 5 sessions, 5% tracking error) and QQQ bars."""
    config = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, config)
    registry = yaml.safe_load((config / "strategies.yaml").read_text())
    registry["rollout"] = {"ladder": [0.1, 0.5, 1.0], "min_sessions": 5, "max_tracking_error": 0.05}
    registry["strategies"]["vr"] = {"class": "tests.strategies.buy_and_hold:BuyAndHold", "capital": 1e6}
    (config / "strategies.yaml").write_text(yaml.safe_dump(registry, sort_keys=False))
    monkeypatch.setenv("QUANTOPS_CONFIG_DIR", str(config))
    reset_settings_cache()
    put_bars(engine, "QQQ", {d.date(): c for d, c in zip(DAYS, CLOSES)})
    return engine


def step(engine, days) -> None:
    for d in days:  # the registry's start (paper); run_step applies the effective stage of the day
        run_step(engine, "vr", Targets(as_of=d, kind="exposure", weights={"QQQ": 1.0}), RULES, capital=1e6)


def store_walk_forward(engine, returns: pd.Series) -> int:
    """A stored walk-forward run of `vr` whose stitched daily net returns are ``returns``; its id."""
    with Session(engine) as s, s.begin():
        run = WalkForwardRun(strategy="vr", start=returns.index[0].date(), end=returns.index[-1].date(),
                             config_hash="h", params="{}", data_fingerprint="f", code_version="c", seed=0,
                             metrics="{}", benchmark_metrics="{}", notes="[]")
        s.add(run)
        s.flush()
        s.add_all([WalkForwardDay(run_id=run.id, date=d.date(), fold=0, exposure=1.0, strategy_return=float(r),
                                  benchmark_return=0.0) for d, r in returns.items()])
        return run.id


def book_returns(engine) -> pd.Series:
    days = book_days(engine, "vr")
    return pd.Series(days["net_return"].to_numpy(), index=pd.to_datetime(days["as_of"]))


def wiggle(returns: pd.Series, size: float) -> pd.Series:
    """``returns`` plus +-size on alternate sessions: a known tracking error."""
    return returns + pd.Series([size if i % 2 == 0 else -size for i in range(len(returns))], index=returns.index)


def test_promote_is_refused_for_too_few_sessions_and_writes_nothing(rollout_db):
    step(rollout_db, DAYS[:3])
    store_walk_forward(rollout_db, book_returns(rollout_db))
    result = runner.invoke(app, ["strategy", "promote", "vr", "--reason", "looks fine"])
    assert result.exit_code == 1, result.output
    assert result.output.strip() == "error: strategy promote: vr stays at paper: sessions at paper: 3 < 5 required"
    assert stage_history(rollout_db).empty


def test_promote_is_refused_for_a_tracking_error_over_the_limit(rollout_db):
    step(rollout_db, DAYS[:6])
    store_walk_forward(rollout_db, wiggle(book_returns(rollout_db), 0.01))  # ~18% annualised
    result = runner.invoke(app, ["strategy", "promote", "vr"])
    assert result.exit_code == 1, result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith("error: strategy promote: vr stays at paper: tracking error 17.39% > 5.00% "
                           "(annualised, 6 sessions vs walk-forward run"), line
    assert stage_history(rollout_db).empty
    # no backtest of these sessions at all is a failed check too, not a pass
    with Session(rollout_db) as s, s.begin():
        s.query(WalkForwardDay).delete()
        s.query(WalkForwardRun).delete()
    result = runner.invoke(app, ["strategy", "promote", "vr"])
    assert result.exit_code == 1, result.output
    assert result.output.strip() == ("error: strategy promote: vr stays at paper: tracking error: no walk-forward run "
                                     "of vr has no return for 6 of the 6 sessions at paper (first 2024-01-02) (run "
                                     "`quantops walk-forward --strategy vr` through 2024-01-09)")


def test_promoted_when_the_checks_pass_then_the_nav_counts_ten_percent_of_the_book(rollout_db, monkeypatch):
    step(rollout_db, DAYS[:6])
    covering = store_walk_forward(rollout_db, wiggle(book_returns(rollout_db), 1e-4))  # 0.17% annualised
    # a newer run without these sessions (a retrain's validation quarters) is passed over, not compared
    store_walk_forward(rollout_db, wiggle(book_returns(rollout_db).iloc[:2], 0.05))
    result = runner.invoke(app, ["strategy", "promote", "vr", "--dry-run"])
    assert result.exit_code == 0 and "vr: paper -> 10% (dry run, nothing written)" in result.output
    assert "pass  sessions at paper: 6 >= 5 required" in result.output
    assert "pass  tracking error 0.17% <= 5.00%" in result.output and stage_history(rollout_db).empty
    result = runner.invoke(app, ["strategy", "promote", "vr", "--reason", "a month of paper matches the backtest"])
    assert result.exit_code == 0, result.output
    assert "vr: paper -> 10% of its capital, from the next step (after the close of 2024-01-09)" in result.output
    (row,) = stage_history(rollout_db, "vr").itertuples()
    assert (row.action, row.previous_stage, row.stage, row.fraction) == ("promote", "paper", "fraction", 0.1)
    assert row.after_day == DAYS[5].date() and row.reason == "a month of paper matches the backtest"
    assert row.checks["sessions"] == {"value": 6.0, "limit": 5.0, "passed": True,
                                      "detail": "sessions at paper: 6 >= 5 required"}
    assert row.checks["tracking_error"]["value"] == pytest.approx(1e-4 * (6 / 5) ** 0.5 * 252 ** 0.5, rel=1e-9)
    assert row.by and row.at is not None and row.checks["walk_forward_run"] == covering
    view = fund_view(rollout_db).set_index("strategy").loc["vr"]
    assert (view["stage"], view["stepped_at"], bool(view["in_fund_nav"])) == ("10%", "paper", True)
    result = runner.invoke(app, ["book"])
    assert result.exit_code == 0 and "10% (was paper at this close)" in result.output, result.output

    step(rollout_db, DAYS[6:])
    step(rollout_db, DAYS[4:5])  # re-running a day before the promotion keeps its stage
    stored = book_days(rollout_db, "vr")
    assert list(stored["stage"]) == ["paper"] * 6 + ["fraction"] * 4
    assert list(stored["fraction"].iloc[6:]) == [0.1] * 4 and (stored["fraction"].iloc[:6] == 0.0).all()
    result = runner.invoke(app, ["book", "--strategy", "vr"])
    assert result.exit_code == 0 and "the fund's NAV counts 10% of this book's P&L" in result.output

    with Session(rollout_db) as session, session.begin():
        set_external_nav(session, DAYS[3].date(), 10_000_000.0)
    equity = stored.set_index("as_of")["equity"]
    point = compute_nav_point(rollout_db, DAYS[-1].date(), MarkResult(DAYS[-1].date(), [], {}), RiskParams()).point
    # paper sessions add nothing (not even the ones since the NAV's date); 10% of the P&L after the promotion
    expected = 10_000_000.0 + 0.1 * (equity[DAYS[-1].date()] - equity[DAYS[5].date()])
    assert point.nav == pytest.approx(expected, rel=1e-12)
    assert equity[DAYS[5].date()] != equity[DAYS[3].date()]

    # where it shows: the daily summary's and report's stage (the day's) and `quantops status`
    assert strategy_stage(rollout_db, "vr", DAYS[-1].date()) == "10%"
    assert strategy_stage(rollout_db, "vr", DAYS[5].date()) == "paper"
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    result = runner.invoke(app, ["status", "--json"])
    rows = json.loads(result.stdout[result.stdout.index("[\n"):])
    (status_row,) = [r for r in rows if r["area"] == "stage vr"]
    assert status_row["detail"].startswith("10% (10% of its P&L in the fund's NAV; promoted ")


def test_demote_needs_no_checks_but_a_reason_and_stages_prints_the_history(rollout_db):
    step(rollout_db, DAYS[:6])
    store_walk_forward(rollout_db, book_returns(rollout_db))
    assert runner.invoke(app, ["strategy", "promote", "vr"]).exit_code == 0
    result = runner.invoke(app, ["strategy", "demote", "vr"])
    assert result.exit_code == 2  # --reason is required
    result = runner.invoke(app, ["strategy", "demote", "vr", "--reason", "fills slipped 20 bps"])
    assert result.exit_code == 0, result.output
    assert "vr: 10% -> paper of its capital" in result.output
    result = runner.invoke(app, ["strategy", "demote", "vr", "--reason", "again"])
    assert result.exit_code == 2 and result.output.strip() == "error: strategy demote: vr is already on paper"
    step(rollout_db, DAYS[6:7])
    assert book_days(rollout_db, "vr")["stage"].iloc[-1] == "paper"

    result = runner.invoke(app, ["strategy", "stages", "vr"])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "stage history" in text and "promote" in text and "demote" in text
    assert "fills slipped 20 bps" in text and "checks passed" in text and "sessions 6 (limit 5), tracking error 0.00% (limit 5.00%)" in text
    assert "paper -> 10% -> 50% -> 100%" in text


def test_demote_to_paper_from_any_rung(rollout_db):
    step(rollout_db, DAYS[:6])
    store_walk_forward(rollout_db, book_returns(rollout_db))
    assert runner.invoke(app, ["strategy", "promote", "vr"]).exit_code == 0
    step(rollout_db, DAYS[6:])  # 4 sessions at 10%: too few for the next rung
    result = runner.invoke(app, ["strategy", "promote", "vr"])
    assert result.exit_code == 1 and "sessions at 10%: 4 < 5 required" in result.output
    result = runner.invoke(app, ["strategy", "promote", "vr", "--dry-run"])
    assert result.exit_code == 1 and "FAIL  sessions at 10%: 4 < 5 required" in result.output
    assert "vr: 10% -> 50% (dry run" in result.output
    result = runner.invoke(app, ["strategy", "demote", "vr", "--to-paper", "--reason", "risk review"])
    assert result.exit_code == 0 and "10% -> paper" in result.output
    assert list(stage_history(rollout_db, "vr")["action"]) == ["promote", "demote"]


@pytest.mark.parametrize("command", [["promote", "nope"], ["demote", "nope", "--reason", "x"], ["stages", "nope"]])
def test_an_unknown_strategy_is_one_line_and_exit_2(rollout_db, command):
    result = runner.invoke(app, ["strategy", *command])
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line.startswith("error: unknown strategy 'nope': choose one of ")
    assert stage_history(rollout_db).empty
