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
                             rearm: str | None = None, confidence: dict[str, float] | None = None,
                             **promotion) -> Path:
    """Copy config/ to ``target``, register buy_and_hold (one registry line + its own params file, with
    ``rules`` as its book's rules and ``failing_gates`` as its own gates that fail; ``rearm``: production's
    re-arm policy on the registry line, default operator) and apply ``promotion`` overrides to promotion.yaml."""
    shutil.copytree(CONFIG_DIR, target, dirs_exist_ok=True)
    registry = yaml.safe_load((target / "strategies.yaml").read_text())
    registry["strategies"]["vol_regime"]["enabled"] = vol_regime_enabled
    registry["strategies"]["tlt_overlay"]["enabled"] = False
    registry["strategies"]["buy_and_hold"] = {"class": BUY_AND_HOLD_CLASS, "capital": 100000,
                                              **({"rearm": rearm} if rearm else {})}
    (target / "strategies.yaml").write_text(yaml.safe_dump(registry, sort_keys=False))
    params = {"symbol": symbol, "weight": weight, **({"rules": rules} if rules else {}),
              **({"failing_gates": list(failing_gates)} if failing_gates else {}),
              **({"confidence": confidence} if confidence else {})}
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


# The allocator on the sample: short windows, few trees, no inner search (the default configuration), gates
# relaxed so that a retrain promotes its model (the sample's quarter says nothing about skill).
SMALL_ALLOCATOR = {
    "features": {"drift_reference_days": 126, "trend_days": 50, "corr_days": [21, 63]},
    "model": {"n_estimators": 15, "num_leaves": 3, "min_child_samples": 20},
    "walk_forward": {"min_train_days": 300, "validation_days": 126, "frequency": "Q"},
    "tune": False,
    "gates": {"max_drawdown_tolerance": 1.0, "max_turnover": 1.0, "max_negative_fold_rate": 1.0,
              "min_p25_fold_calmar": -1e9, "min_pnl_edge": -1.0, "min_calmar_edge": -1e9},
}
RELAXED_PROMOTION = {"validation_quarters": 1, "min_validation_calmar": -1e9, "max_calmar_shortfall": 1e9,
                     "min_deflated_sharpe": 0.0, "max_pbo": 1.0}


def allocator_config(target: Path, strategy_legs: dict[str, tuple[str, float]] | None = None) -> Path:
    """config/ with only the allocator enabled (small, relaxed: SMALL_ALLOCATOR, RELAXED_PROMOTION). With
    ``strategy_legs`` ({"qqq": (symbol, weight), "spy": (symbol, weight)}) its legs are two registrations of
    the test strategy buy_and_hold (``bah_qqq``/``bah_spy``), listed before it so the daily flow steps them
    first; without, its legs are buy-and-hold QQQ and SPY."""
    shutil.copytree(CONFIG_DIR, target, dirs_exist_ok=True)
    registry = yaml.safe_load((target / "strategies.yaml").read_text())
    entries = registry["strategies"]
    for entry in entries.values():
        entry["enabled"] = False
    allocator = {**entries.pop("allocator"), "enabled": True}
    params = yaml.safe_load((target / "allocator.yaml").read_text())
    for key, value in SMALL_ALLOCATOR.items():
        params[key] = {**params[key], **value} if isinstance(value, dict) else value
    if strategy_legs:
        for leg, (symbol, weight) in strategy_legs.items():
            entries[f"bah_{leg}"] = {"class": BUY_AND_HOLD_CLASS, "capital": 100000}
            (target / f"bah_{leg}.yaml").write_text(yaml.safe_dump({"symbol": symbol, "weight": weight}))
        params["legs"].update({"kind": "strategy", "qqq_strategy": "bah_qqq", "spy_strategy": "bah_spy"})
    entries["allocator"] = allocator
    (target / "strategies.yaml").write_text(yaml.safe_dump(registry, sort_keys=False))
    (target / "allocator.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    gates = yaml.safe_load((target / "promotion.yaml").read_text())
    (target / "promotion.yaml").write_text(yaml.safe_dump({**gates, **RELAXED_PROMOTION}))
    return target
