"""Private config dirs for flow tests: the project's config/ with a small vol_regime grid (a fold in about a
second, same code path), or with a registry that adds the test strategy."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from infra.settings import CONFIG_DIR

BUY_AND_HOLD_CLASS = "tests.strategies.buy_and_hold:BuyAndHold"


def config_with_buy_and_hold(target: Path, *, vol_regime_enabled: bool = False, weight: float = 0.5,
                             symbol: str = "SPY", rules: dict | None = None, failing_gates: tuple[str, ...] = (),
                             **promotion) -> Path:
    """Copy config/ to ``target``, register buy_and_hold (one registry line + its own params file, with
    ``rules`` as its book's rules and ``failing_gates`` as its own gates that fail) and apply ``promotion``
    overrides to promotion.yaml."""
    shutil.copytree(CONFIG_DIR, target, dirs_exist_ok=True)
    registry = yaml.safe_load((target / "strategies.yaml").read_text())
    registry["strategies"]["vol_regime"]["enabled"] = vol_regime_enabled
    registry["strategies"]["buy_and_hold"] = {"class": BUY_AND_HOLD_CLASS, "capital": 100000}
    (target / "strategies.yaml").write_text(yaml.safe_dump(registry, sort_keys=False))
    params = {"symbol": symbol, "weight": weight, **({"rules": rules} if rules else {}),
              **({"failing_gates": list(failing_gates)} if failing_gates else {})}
    (target / "buy_and_hold.yaml").write_text(yaml.safe_dump(params))
    gates = yaml.safe_load((target / "promotion.yaml").read_text())
    (target / "promotion.yaml").write_text(yaml.safe_dump({**gates, **promotion}))
    return target


SMALL_GRID = {
    "ridge_alpha": [1.0], "lasso_alpha": [0.1], "rf_max_depth": [5], "rf_min_samples_split": [20],
    "pca_components": [10], "weights": [[0.25, 0.25, 0.35, 0.15]], "exposure_scale": [5.0],
}


def small_vol_regime_config(target: Path, **promotion) -> Path:
    """config/ with vol_regime on a one-point grid and 20 trees, one validation quarter, ``promotion`` overrides."""
    shutil.copytree(CONFIG_DIR, target, dirs_exist_ok=True)
    params = yaml.safe_load((target / "vol_regime.yaml").read_text())
    params["grid"] = SMALL_GRID
    params["model"]["rf_n_estimators"] = 20
    (target / "vol_regime.yaml").write_text(yaml.safe_dump(params))
    gates = yaml.safe_load((target / "promotion.yaml").read_text())
    gates.update({"validation_quarters": 1, **promotion})
    (target / "promotion.yaml").write_text(yaml.safe_dump(gates))
    return target
