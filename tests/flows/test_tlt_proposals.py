"""The overlay's proposals (domain.tlt.proposals.propose, the daily proposal step's code) on a chain match a
direct `quantops tlt market-evaluate` of it: credits, POP and contracts (issue 13, production)."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from domain.tlt.exits import ExitRule
from domain.tlt.params import TltOverlayParams
from domain.tlt.proposals import evaluate_chain, propose
from domain.tlt.spreads import BEAR_CALL, BULL_PUT
from flows.cli.main import app
from infra.settings import SAMPLE_DIR
from infra.strategy_config import load_strategy_config
from infra.tlt_inputs import read_option_chain
from tests.tlt_sample import sample_calibration

CHAIN = SAMPLE_DIR / "options" / "TLT_2024-12-31.csv"


def _calibration(tmp_path):
    cal = sample_calibration()
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps(cal.to_dict()))
    return cal, path


def test_proposals_match_the_cli_market_evaluation(tmp_path):
    cal, cal_path = _calibration(tmp_path)
    out = tmp_path / "top.json"
    args = ["tlt", "market-evaluate", "-c", str(cal_path), "--options", str(CHAIN), "--n-paths", "2000",
            "--variance-premium", "0.02", "--open-cvar", "0.01", "--output", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    cli = json.loads(out.read_text())

    p = dataclasses.replace(load_strategy_config("tlt_overlay", TltOverlayParams), variance_premium=0.02)
    rule = ExitRule(p.profit_target_pct, p.loss_limit_multiple, p.dte_close_threshold)
    evaluated = evaluate_chain(read_option_chain(CHAIN), cal, p, rule, (BULL_PUT, BEAR_CALL), 2000, p.seed,
                               p.min_dte, p.max_dte)
    for nav, key in ((1e6, "1000000"), (1e7, "10000000")):
        proposals = propose(evaluated, p, nav, p.min_pop, p.top, open_cvar=0.01 * nav)
        best = proposals[0]
        assert f"{'Put' if best.option_type == 'put' else 'Call'} {best.short_strike:g}/{best.long_strike:g}" \
            == cli["top"]["spread"]
        assert best.expiration == pd.Timestamp(cli["top"]["expiration"])
        assert best.credit == pytest.approx(cli["top"]["credit"], abs=1e-12)
        assert best.pop == pytest.approx(cli["top"]["pop"], abs=1e-12)
        assert best.contracts == cli["contracts"][key] and best.contracts > 0
    assert all(x.pop >= p.min_pop for x in proposals) and len(proposals) <= p.top


def test_the_proposals_filled_together_fit_the_loss_budget(tmp_path):
    """Every proposal becomes an order; sized alone, each took the whole remaining budget, so filling them all
    held several budgets of CVaR (review finding). Sized in rank order, together they fit it."""
    cal, _ = _calibration(tmp_path)
    p = dataclasses.replace(load_strategy_config("tlt_overlay", TltOverlayParams), variance_premium=0.02)
    rule = ExitRule(p.profit_target_pct, p.loss_limit_multiple, p.dte_close_threshold)
    evaluated = evaluate_chain(read_option_chain(CHAIN), cal, p, rule, (BULL_PUT, BEAR_CALL), 2000, p.seed,
                               p.min_dte, p.max_dte)
    nav, held = 1e7, 0.01 * 1e7
    proposals = propose(evaluated, p, nav, p.min_pop, p.top, open_cvar=held)
    tails = [abs(x.details["cvar_95"]) * p.contract_multiplier * x.contracts for x in proposals]
    assert held + sum(tails) <= p.loss_budget * nav
    assert "loss budget" in [x.details["limit"] for x in proposals[1:]]  # the budget binds: the case at stake
    alone = propose(evaluated, p, nav, p.min_pop, 1, open_cvar=held)[0]
    assert proposals[0].contracts == alone.contracts > 0  # the best one is sized as before
