"""Issue 15 case 6: every config file is validated on load (types, ranges, unknown keys, finite numbers) and a
bad value is one line naming the file, the key and the rule; a bad QUANTOPS_* setting is one line too (exit 2).

Each case copies the shipped config/ into tmp_path and changes one value of one file.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from domain.errors import InputError
from domain.promotion import PromotionGates
from domain.risk.params import RiskParams
from domain.tlt.params import TltOverlayParams
from infra.providers.config import load_market_data_config
from infra.settings import CONFIG_DIR, reset_settings_cache
from infra.strategy_config import load_strategy_config
from infra.strategy_registry import build_strategy, load_registry

LOADERS = {
    "risk": lambda d: load_strategy_config("risk", RiskParams, d),
    "promotion": lambda d: load_strategy_config("promotion", PromotionGates, d),
    "tlt_overlay": lambda d: load_strategy_config("tlt_overlay", TltOverlayParams, d),
    "vol_regime": lambda d: build_strategy("vol_regime", d),
    "mean_reversion": lambda d: build_strategy("mean_reversion", d),
    "allocator": lambda d: build_strategy("allocator", d),
    "strategies": load_registry,
    "market_data": load_market_data_config,
}


def config_with(tmp_path: Path, name: str, key: str, value) -> Path:
    """The shipped config/ with `key` (dotted for nested) of config/<name>.yaml set to `value`."""
    folder = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, folder)
    path = folder / f"{name}.yaml"
    data = yaml.safe_load(path.read_text()) or {}
    *parents, last = key.split(".")
    node = data
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value
    path.write_text(yaml.safe_dump(data))
    return folder


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_the_shipped_config_files_are_valid(name):
    LOADERS[name](CONFIG_DIR)


# (file, key, value, what the one line must say after "<file>: ")
BAD = [
    ("risk", "risk_free_rate", "4%", "risk_free_rate: Input should be a valid number, unable to parse string as a "
                                     "number (got '4%')"),
    ("risk", "realized_vol_window", 20.5, "realized_vol_window: Input should be a valid integer, got a number with a "
                                          "fractional part (got 20.5)"),
    ("risk", "stop_trading_drawdown", 5, "stop_trading_drawdown must be a fraction in (0, 1) (0.12 = 12%), got 5"),
    ("risk", "risk_free_rate", 4, "risk_free_rate must be a decimal in [-0.05, 0.25] (0.04 = 4%), got 4"),
    ("risk", "dte_threshold", True, "dte_threshold: must be a number, not true"),
    ("risk", "stop_loss", 0.05, "unknown parameter(s) stop_loss for RiskParams"),
    ("promotion", "min_validation_calmar", float("nan"), "min_validation_calmar: must be a finite number (got nan)"),
    ("promotion", "validation_quarters", "four", "validation_quarters: Input should be a valid integer"),
    ("tlt_overlay", "n_paths", "10k", "n_paths: Input should be a valid integer"),
    ("tlt_overlay", "risk_free_rate", float("inf"), "risk_free_rate: must be a finite number (got inf)"),
    ("vol_regime", "features", "daily", "features: Input should be a dictionary or an instance of FeatureParams"),
    ("mean_reversion", "no_such_key", 1, "unknown parameter(s) no_such_key for MeanReversionParams"),
    ("allocator", "policy.alpha", "0.5x", "policy.alpha: Input should be a valid number"),
    ("strategies", "strategies.vol_regime.capital", float("inf"), "strategies.vol_regime.capital: must be a "
                                                                  "number > 0 (and finite), got inf"),
    ("market_data", "http.attempts", 2.5, "http.attempts: Input should be a valid integer"),
]


@pytest.mark.parametrize("name, key, value, expected", BAD, ids=[f"{n}.{k}={v!r}" for n, k, v, _ in BAD])
def test_a_bad_value_is_one_line_naming_file_key_and_rule(tmp_path, name, key, value, expected):
    folder = config_with(tmp_path, name, key, value)
    with pytest.raises(InputError) as info:
        LOADERS[name](folder)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{folder / name}.yaml"), message
    assert expected in message, message


def test_an_unknown_strategy_name_is_refused():
    with pytest.raises(InputError, match="unknown strategy 'vol_regim': choose one of vol_regime"):
        build_strategy("vol_regim", CONFIG_DIR)


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    monkeypatch.setenv("QUANTOPS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("QUANTOPS_DATA_SOURCE", "sample")
    reset_settings_cache()
    yield monkeypatch
    reset_settings_cache()


def test_the_cli_refuses_a_bad_config_file_in_one_line_with_exit_2(tmp_path, cli_env):
    from flows.cli.main import app

    folder = config_with(tmp_path, "tlt_overlay", "n_paths", "10k")
    cli_env.setenv("QUANTOPS_CONFIG_DIR", str(folder))
    result = CliRunner().invoke(app, ["tlt", "calibrate", "--data", str(tmp_path / "none.csv")])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: {folder / 'tlt_overlay.yaml'}: n_paths: Input should be a valid "
                                    "integer"), result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize("variable, value, expected", [
    ("QUANTOPS_TASK_WORKERS", "four", "QUANTOPS_TASK_WORKERS: Input should be a valid integer"),
    ("QUANTOPS_TASK_WORKERS", "0", "QUANTOPS_TASK_WORKERS: Input should be greater than or equal to 1"),
    ("QUANTOPS_TASK_RUNNER", "slurm", "QUANTOPS_TASK_RUNNER must be one of threads, processes, dask"),
])
def test_a_bad_setting_is_one_line_naming_the_variable_with_exit_2(cli_env, variable, value, expected):
    from flows.cli.main import app

    cli_env.setenv(variable, value)
    result = CliRunner().invoke(app, ["positions", "list"])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: {expected}"), result.output
    assert len(result.output.strip().splitlines()) == 1
