"""Alerts: what a rule found, how serious it is, and a key that is the same on every rerun."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

SEVERITIES = ("info", "warning", "critical")


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity)


def dedup_key(as_of: dt.date, rule: str, subject: str | int | None = None) -> str:
    """Stable across reruns of the same day: the same finding on the same day is the same alert."""
    base = f"{as_of.isoformat()}:{rule}"
    return base if subject is None else f"{base}:{subject}"


@dataclass(frozen=True)
class Alert:
    as_of: dt.date
    kind: str  # the rule: profit_target, loss_limit, dte, stop_loss, time_stop, drawdown, realized_vol, ...
    severity: str  # info | warning | critical
    dedup_key: str
    title: str
    message: str
    numbers: dict[str, Any] = field(default_factory=dict)
    position_id: int | None = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, got {self.severity!r}")
