"""`quantops tlt ...` end to end through CliRunner: JSON formats, one-line errors, exit codes."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from domain.errors import InputError

from flows.cli.main import app

runner = CliRunner()


@pytest.fixture
def history_csv(tmp_path: Path) -> Path:
    from domain.rates.vasicek import BivariateVasicekParams, simulate

    p = BivariateVasicekParams(0.5, 0.04, 0.008, 0.4, 0.042, 0.009, 0.95)
    y20, y30 = simulate(p, 0.04, 0.042, 1, 1499, seed=1)
    avg = 0.5 * (y20[0] + y30[0])
    frame = pd.DataFrame({"date": pd.bdate_range("2019-01-01", periods=1500).date, "yield_20y": y20[0] * 100,
                          "yield_30y": y30[0] * 100, "tlt_close": np.exp(5.3 - 19.0 * avg + 25.0 * avg ** 2)})
    path = tmp_path / "hist.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def calibration(tmp_path: Path, history_csv: Path) -> Path:
    out = tmp_path / "cal.json"
    result = runner.invoke(app, ["tlt", "calibrate", "--data", str(history_csv), "--output", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_calibrate_writes_the_design_json(calibration: Path):
    doc = json.loads(calibration.read_text())
    assert set(doc) == {"vasicek_params", "regression_params", "volatility_params", "current_values",
                        "dividend_params", "warnings"}
    assert doc["warnings"] == []  # the synthetic TLT is an exact function of the yields: R^2 ~ 1
    assert doc["dividend_params"] == {"dividend_yield": 0.0}  # no --tlt-adj-col: priced as a non-payer
    assert set(doc["vasicek_params"]) == {"kappa_20", "theta_20", "sigma_20", "kappa_30", "theta_30", "sigma_30",
                                          "rho"}
    assert set(doc["regression_params"]) == {"alpha", "beta", "gamma", "r_squared"}
    assert set(doc["volatility_params"]) == {"base_iv", "price_sensitivity"}
    assert set(doc["current_values"]) == {"yield_20y", "yield_30y", "tlt_price", "date"}
    assert doc["current_values"]["yield_20y"] < 0.2  # decimals


def test_optimize_prints_and_writes_the_design_json(calibration: Path, tmp_path: Path):
    out = tmp_path / "opt.json"
    # -c: the short form of --calibration (issue 18 item 9)
    args = ["tlt", "optimize", "-c", str(calibration), "--delta", "0.20", "--width", "3",
            "--spread-type", "put", "--n-paths", "2000", "--min-pop", "0.5", "--output", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Optimization complete in" in result.output and "parameter sets pass" in result.output
    doc = json.loads(out.read_text())
    assert set(doc) == {"spread", "initial_credit", "best_params", "best_result", "n_evaluated", "n_passing",
                        "warnings"}
    assert doc["spread"]["type"] == "bull_put" and doc["spread"]["expiration_days"] == 45
    assert set(doc["best_params"]) == {"profit_target_pct", "loss_multiple", "dte_threshold"}
    assert set(doc["best_result"]) == {"expected_return", "cvar_95", "pop", "risk_adjusted_return", "avg_days_held"}
    assert doc["n_evaluated"] == 100
    again = runner.invoke(app, args[:-1] + [str(tmp_path / "again.json")])
    assert json.loads((tmp_path / "again.json").read_text()) == doc  # seeded: same answer


def test_optimize_with_nothing_passing_is_a_normal_answer(calibration: Path):
    result = runner.invoke(app, ["tlt", "optimize", "--calibration", str(calibration), "--delta", "0.3",
                                 "--width", "3", "--spread-type", "call", "--n-paths", "500", "--min-pop", "1.0"])
    assert result.exit_code == 0 and "No parameter set passes" in result.output


def test_evaluate_ranks_and_sizes(calibration: Path):
    result = runner.invoke(app, ["tlt", "evaluate", "--calibration", str(calibration), "--n-paths", "1000",
                                 "--min-pop", "0.5", "--put-only"])
    assert result.exit_code == 0, result.output
    for text in ("Kelly%", "Top strategy details", "$1M NAV", "$10M NAV", "profit_target"):
        assert text in result.output


def test_market_evaluate_from_a_vendor_chain(calibration: Path, tmp_path: Path):
    from domain.pricing.black_scholes import greeks

    spot, rows = 91.5, []
    for kind in ("put", "c"):
        for strike in range(80, 104):
            g = greeks(spot, strike, 45 / 365, 0.05, 0.16, kind == "c")
            mid = float(g.price)
            rows.append(dict(quote_date="2024-12-30", quote_time="", underlying_price=spot, option_type=kind,
                             expiration_date="2025-02-13", strike=strike, bid=max(mid - 0.02, 0.0),
                             ask=mid + 0.02, implied_vol=16.0, delta=float(g.delta), gamma="", theta="", vega="",
                             volume="", open_interest=""))
    chain = tmp_path / "chain.csv"
    pd.DataFrame(rows).to_csv(chain, index=False)
    result = runner.invoke(app, ["tlt", "market-evaluate", "--calibration", str(calibration), "--options",
                                 str(chain), "--n-paths", "1000", "--min-pop", "0.5"])
    assert result.exit_code == 0, result.output
    assert "market-priced" in result.output and "2025-02-13" in result.output
    empty = runner.invoke(app, ["tlt", "market-evaluate", "--calibration", str(calibration), "--options",
                                str(chain), "--min-dte", "60", "--max-dte", "90"])
    assert empty.exit_code == 2 and "no usable spreads" in empty.output


@pytest.mark.parametrize("args, message", [
    (["calibrate", "--data", "/nonexistent/hist.csv"], "file not found"),
    (["evaluate", "--calibration", "/nonexistent/cal.json"], "calibration file not found"),
    (["optimize", "--calibration", "CAL", "--delta", "0.2", "--width", "3", "--spread-type", "straddle"],
     "spread type must be put or call"),
    (["evaluate", "--calibration", "CAL", "--put-only", "--call-only"], "exclude each other"),
])
def test_bad_input_is_one_line_and_non_zero(args, message, calibration: Path):
    args = [str(calibration) if a == "CAL" else a for a in args]
    result = runner.invoke(app, ["tlt", *args])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_calibrate_refuses_missing_columns_and_bad_prices(tmp_path: Path, history_csv: Path):
    frame = pd.read_csv(history_csv)
    frame.drop(columns=["yield_30y"]).to_csv(tmp_path / "a.csv", index=False)
    result = runner.invoke(app, ["tlt", "calibrate", "--data", str(tmp_path / "a.csv")])
    assert result.exit_code == 2 and "missing column(s) yield_30y" in result.output
    frame.assign(tlt_close=-frame["tlt_close"]).to_csv(tmp_path / "b.csv", index=False)
    result = runner.invoke(app, ["tlt", "calibrate", "--data", str(tmp_path / "b.csv")])
    assert result.exit_code == 2 and "non-positive" in result.output
    frame.head(20).to_csv(tmp_path / "c.csv", index=False)
    result = runner.invoke(app, ["tlt", "calibrate", "--data", str(tmp_path / "c.csv"), "--output",
                                 str(tmp_path / "c.json")])
    assert result.exit_code == 2 and "usable observations" in result.output


def test_low_r_squared_and_high_kelly_are_warned_and_stored(history_csv: Path, tmp_path: Path):
    """Design document 001, troubleshooting: regression R^2 < 0.95 and Kelly > 20% are printed and stored."""
    frame = pd.read_csv(history_csv)
    rng = np.random.default_rng(0)
    frame["tlt_close"] = frame["tlt_close"] * np.exp(rng.normal(0, 0.05, len(frame)))  # a poor fit
    noisy = tmp_path / "noisy.csv"
    frame.to_csv(noisy, index=False)
    cal = tmp_path / "noisy.json"
    result = runner.invoke(app, ["tlt", "calibrate", "--data", str(noisy), "--output", str(cal)])
    assert result.exit_code == 0, result.output
    doc = json.loads(cal.read_text())
    assert doc["regression_params"]["r_squared"] < 0.95
    assert len(doc["warnings"]) == 1 and "R^2" in doc["warnings"][0] and "WARNING" in result.output
    out = tmp_path / "eval.json"
    result = runner.invoke(app, ["tlt", "evaluate", "-c", str(cal), "--n-paths", "1000", "--min-pop", "0.5",
                                 "--put-only", "--output", str(out)])
    assert result.exit_code == 0, result.output
    ev = json.loads(out.read_text())
    kelly = ev["top"]["kelly_fraction"]
    assert any("R^2" in w for w in ev["warnings"])
    assert any("Kelly" in w for w in ev["warnings"]) == (kelly > 0.20)


def test_optimize_adopt_stores_the_exit_rule_the_daily_checks_apply(calibration: Path, app_env, tmp_path: Path):
    from infra.settings import get_settings
    from infra.tlt_exit_rule import current_exit_rule
    from tasks.portfolio import risk_params

    assert (risk_params().profit_target_pct, risk_params().loss_limit_multiple, risk_params().dte_threshold) == \
        (0.50, 2.0, 7)  # nothing adopted: config/tlt_overlay.yaml's, the design document's
    result = runner.invoke(app, ["tlt", "optimize", "-c", str(calibration), "--delta", "0.20", "--width", "3",
                                 "--spread-type", "put", "--n-paths", "2000", "--min-pop", "0.5",
                                 "--profit-targets", "0.3", "--loss-multiples", "1.5", "--dte-thresholds", "3",
                                 "--adopt"])
    assert result.exit_code == 0, result.output
    stored = json.loads((get_settings().home / "tlt_exit_rule.json").read_text())
    assert (stored["profit_target_pct"], stored["loss_multiple"], stored["dte_threshold"]) == (0.3, 1.5, 3)
    assert stored["adopted_at"] and stored["chosen_by"] == "quantops tlt optimize"
    live = risk_params()
    assert (live.profit_target_pct, live.loss_limit_multiple, live.dte_threshold) == (0.3, 1.5, 3)
    assert "tlt_exit_rule.json" in current_exit_rule()[1]


def test_risk_yaml_may_not_set_the_tlt_exit_rule(app_env, tmp_path: Path, monkeypatch):
    import shutil

    from infra.settings import CONFIG_DIR, reset_settings_cache
    from tasks.portfolio import risk_params

    config = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, config)
    (config / "risk.yaml").write_text((config / "risk.yaml").read_text() + "profit_target_pct: 0.4\n")
    monkeypatch.setenv("QUANTOPS_CONFIG_DIR", str(config))
    reset_settings_cache()
    with pytest.raises(InputError, match="profit_target_pct is part of the TLT exit rule"):
        risk_params()
