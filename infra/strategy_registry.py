"""Reading the strategy registry (config/strategies.yaml) and building a strategy with its parameters."""

from __future__ import annotations

from pathlib import Path

from domain.strategies.base import Strategy
from domain.strategies.registry import Registry, StrategyEntry, create, parse_registry
from infra.settings import get_settings
from infra.strategy_config import load_strategy_config, load_yaml

REGISTRY_FILE = "strategies"


def load_registry(config_dir: Path | None = None) -> Registry:
    """The validated registry of ``<config_dir>/strategies.yaml`` (default: settings.config_dir)."""
    config_dir = config_dir or get_settings().config_dir
    return parse_registry(load_yaml(REGISTRY_FILE, config_dir), str(config_dir / f"{REGISTRY_FILE}.yaml"))


def strategy_entry(name: str, config_dir: Path | None = None) -> StrategyEntry:
    """The registry entry of ``name``; an unknown name is one clear InputError line."""
    return load_registry(config_dir).entry(name)


def enabled_strategies(config_dir: Path | None = None) -> tuple[str, ...]:
    return tuple(e.name for e in load_registry(config_dir).enabled)


def build_strategy(name: str, config_dir: Path | None = None) -> Strategy:
    """The strategy ``name`` with its parameters from ``config/<name>.yaml`` (a key the file leaves out keeps
    the dataclass default; unknown keys are refused)."""
    config_dir = config_dir or get_settings().config_dir
    entry = strategy_entry(name, config_dir)
    return create(entry, load_strategy_config(name, entry.strategy_class().params_type, config_dir))
