"""The strategy registry: which strategies exist, which run, with how much capital, and at what stage.

Each entry names a strategy and the class that implements it as ``"package.module:Class"`` (a subclass of
``domain.strategies.base.Strategy``), so a strategy defined anywhere importable (a research package, a
test) is registered by one line of ``config/strategies.yaml`` and nothing else. Flows and tasks reach
strategies only through this module; none of them imports a strategy by name.

Parsing is pure (a mapping in, frozen dataclasses out); reading the YAML file is infra's job
(``infra.strategy_registry``).
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from domain.book.rules import Rules
from domain.errors import InputError
from domain.rollout import RolloutPolicy, Stage, parse_rollout
from domain.strategies.base import Strategy

STAGES = ("paper", "fraction", "live")
_ENTRY_KEYS = {"class", "enabled", "capital", "stage", "fraction", "rearm", "rollout"}


@dataclass(frozen=True)
class StrategyEntry:
    """One registry line. ``capital``: what the strategy's book starts with (its weights are fractions of
    it); ``stage``: ``paper`` (tracked, not in the fund's NAV), ``fraction`` (``fraction`` of the capital
    traded) or ``live``."""

    name: str
    class_path: str
    enabled: bool = True
    capital: float = 1_000_000.0
    stage: str = "paper"
    fraction: float = 1.0
    rearm: str = "operator"  # production's restart after the hard stop; backtests simulate the config's
    rollout: RolloutPolicy = field(default_factory=RolloutPolicy)  # the ladder and promotion checks (top-level default, overridable)

    @property
    def start_stage(self) -> Stage:
        """The config's stage: where the rollout starts. The effective stage is the stage history's last
        change when it has one (``infra.stage_store.effective_stage``)."""
        return Stage(self.stage, self.fraction)

    def production_rules(self, rules: Rules) -> Rules:
        """The strategy's rules with production's re-arm policy: ``operator`` by default (flat until
        ``quantops strategy rearm NAME --reason ...``), whatever ``sessions N`` its backtest simulates."""
        return replace(rules, **Rules.parse_rearm(self.rearm))

    def strategy_class(self) -> type[Strategy]:
        return load_class(self.class_path, self.name)


@dataclass(frozen=True)
class Registry:
    entries: tuple[StrategyEntry, ...]

    def __iter__(self) -> Iterator[StrategyEntry]:
        return iter(self.entries)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(e.name for e in self.entries)

    @property
    def enabled(self) -> tuple[StrategyEntry, ...]:
        return tuple(e for e in self.entries if e.enabled)

    def entry(self, name: str) -> StrategyEntry:
        for e in self.entries:
            if e.name == name:
                return e
        raise InputError(f"unknown strategy {name!r}: choose one of {', '.join(self.names) or '(none registered)'}")


def load_class(class_path: str, name: str = "") -> type[Strategy]:
    """Import ``module:Class`` and check it is a Strategy subclass; one clear line on any failure."""
    label = f"strategy {name!r}: " if name else ""
    module_name, sep, attr = class_path.partition(":")
    if not sep or not module_name or not attr:
        raise InputError(f"{label}class {class_path!r} must be written 'package.module:Class'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InputError(f"{label}cannot import module {module_name!r} ({exc})") from exc
    cls = getattr(module, attr, None)
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        raise InputError(f"{label}{class_path!r} is not a Strategy subclass")
    return cls


def _entry(name: str, raw: Any, source: str, rollout: RolloutPolicy) -> StrategyEntry:
    where = f"{source}: strategies.{name}"
    if not isinstance(raw, Mapping):
        raise InputError(f"{where}: must be a mapping with at least 'class'")
    unknown = sorted(set(raw) - _ENTRY_KEYS)
    if unknown:
        raise InputError(f"{where}: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(sorted(_ENTRY_KEYS))})")
    if not isinstance(raw.get("class"), str):
        raise InputError(f"{where}.class: required, 'package.module:Class'")
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise InputError(f"{where}.enabled: must be true or false, got {enabled!r}")
    capital = raw.get("capital", 1_000_000.0)
    if isinstance(capital, bool) or not isinstance(capital, (int, float)) or not 0 < capital < math.inf:
        raise InputError(f"{where}.capital: must be a number > 0 (and finite), got {capital!r}")
    stage = raw.get("stage", "paper")
    if stage not in STAGES:
        raise InputError(f"{where}.stage: must be one of {', '.join(STAGES)}, got {stage!r}")
    rearm = raw.get("rearm", "operator")
    try:
        Rules.parse_rearm(rearm)
    except InputError:
        raise InputError(f"{where}.rearm: must be 'operator' or 'sessions N', got {rearm!r}") from None
    fraction = raw.get("fraction", 1.0)
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 < fraction <= 1:
        raise InputError(f"{where}.fraction: must be in (0, 1], got {fraction!r}")
    return StrategyEntry(name=name, class_path=raw["class"], enabled=enabled, capital=float(capital), stage=stage,
                         fraction=float(fraction), rearm=str(rearm),
                         rollout=parse_rollout(raw.get("rollout"), f"{where}.rollout", rollout))


def parse_registry(raw: Mapping[str, Any], source: str = "strategies.yaml") -> Registry:
    """Validate the mapping of ``config/strategies.yaml`` (top level ``strategies: {name: {...}}``)."""
    strategies = raw.get("strategies")
    if not isinstance(strategies, Mapping) or not strategies:
        raise InputError(f"{source}: needs a non-empty 'strategies' mapping")
    extra = sorted(set(raw) - {"strategies", "rollout"})
    if extra:
        raise InputError(f"{source}: unknown top-level key(s) {', '.join(extra)}")
    rollout = parse_rollout(raw.get("rollout"), f"{source}: rollout")
    entries = []
    for name, body in strategies.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise InputError(f"{source}: strategy name {name!r} must be a lower-case identifier (it names config/<name>.yaml)")
        entries.append(_entry(name, body, source, rollout))
    return Registry(tuple(entries))


def create(entry: StrategyEntry, params: Any | None = None) -> Strategy:
    """An instance of the entry's strategy class with ``params`` (its ``params_type``; None = defaults)."""
    cls = entry.strategy_class()
    if params is not None and not isinstance(params, cls.params_type):
        raise InputError(f"strategy {entry.name!r}: params must be {cls.params_type.__name__}, "
                         f"got {type(params).__name__}")
    return cls(params)
