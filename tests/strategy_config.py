"""A private config dir for flow tests: the project's config/ plus a registry that adds the test strategy."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from infra.settings import CONFIG_DIR

BUY_AND_HOLD_CLASS = "tests.strategies.buy_and_hold:BuyAndHold"


def config_with_buy_and_hold(target: Path, *, vol_regime_enabled: bool = False, weight: float = 0.5,
                             **promotion) -> Path:
    """Copy config/ to ``target``, register buy_and_hold (one registry line + its own params file) and
    apply ``promotion`` overrides to promotion.yaml."""
    shutil.copytree(CONFIG_DIR, target, dirs_exist_ok=True)
    registry = yaml.safe_load((target / "strategies.yaml").read_text())
    registry["strategies"]["vol_regime"]["enabled"] = vol_regime_enabled
    registry["strategies"]["buy_and_hold"] = {"class": BUY_AND_HOLD_CLASS, "capital": 100000}
    (target / "strategies.yaml").write_text(yaml.safe_dump(registry, sort_keys=False))
    (target / "buy_and_hold.yaml").write_text(yaml.safe_dump({"symbol": "SPY", "weight": weight}))
    gates = yaml.safe_load((target / "promotion.yaml").read_text())
    (target / "promotion.yaml").write_text(yaml.safe_dump({**gates, **promotion}))
    return target
