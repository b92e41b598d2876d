"""The TLT spread exit rule, from one source, for research and live monitoring alike.

The rule is the one ``quantops tlt optimize --adopt`` stored (``QUANTOPS_HOME/tlt_exit_rule.json``, with
when and from what it was chosen), else config/tlt_overlay.yaml's (the design document's 50% of max
profit / 2.0x credit / 7 DTE). The daily risk checks read it through ``live_risk_params``: config/risk.yaml
holds the other thresholds and may not set these three, so they cannot disagree.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

from domain.errors import InputError
from domain.risk.params import RiskParams
from domain.tlt.exits import ExitRule
from domain.tlt.params import TltOverlayParams
from infra.settings import get_settings
from infra.strategy_config import build_dataclass, load_strategy_config, load_yaml

EXIT_RULE_FILE = "tlt_exit_rule.json"
SPREAD_EXIT_KEYS = ("profit_target_pct", "loss_limit_multiple", "dte_threshold")


def exit_rule_path(home: Path | None = None) -> Path:
    return (home or get_settings().home) / EXIT_RULE_FILE


def store_exit_rule(rule: ExitRule, provenance: dict, home: Path | None = None) -> Path:
    """Store ``rule`` as the live one, with the time it was adopted and what it was chosen from."""
    path = exit_rule_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {**dataclasses.asdict(rule), "adopted_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
           "chosen_by": "quantops tlt optimize", **{k: v for k, v in provenance.items() if k not in ("rule",)}}
    path.write_text(json.dumps(doc, indent=2) + "\n")
    return path


def current_exit_rule(home: Path | None = None, config_dir: Path | None = None) -> tuple[ExitRule, str]:
    """(rule, where it comes from): the adopted one if stored, else config/tlt_overlay.yaml's."""
    path = exit_rule_path(home)
    if path.exists():
        try:
            doc = json.loads(path.read_text())
            rule = ExitRule(float(doc["profit_target_pct"]), float(doc["loss_multiple"]), int(doc["dte_threshold"]))
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, ValueError) as exc:
            raise InputError(f"{path}: not a stored exit rule ({exc.__class__.__name__}); re-run "
                             "`quantops tlt optimize --adopt` or delete it") from None
        return rule, f"{path} (adopted {doc.get('adopted_at', '?')})"
    p = load_strategy_config("tlt_overlay", TltOverlayParams, config_dir)
    return ExitRule(p.profit_target_pct, p.loss_limit_multiple, p.dte_close_threshold), "config/tlt_overlay.yaml"


def live_risk_params(config_dir: Path | None = None, home: Path | None = None) -> RiskParams:
    """config/risk.yaml's thresholds with the spread exits of ``current_exit_rule``."""
    raw = load_yaml("risk", config_dir)
    source = str((config_dir or get_settings().config_dir) / "risk.yaml")
    here = [k for k in SPREAD_EXIT_KEYS if k in raw]
    if here:
        raise InputError(f"{source}: {here[0]} is part of the TLT exit rule (config/tlt_overlay.yaml, or "
                         "`quantops tlt optimize --adopt`), not of risk.yaml")
    rule, _ = current_exit_rule(home, config_dir)
    return dataclasses.replace(build_dataclass(RiskParams, raw, source), profit_target_pct=rule.profit_target_pct,
                               loss_limit_multiple=rule.loss_multiple, dte_threshold=rule.dte_threshold)
