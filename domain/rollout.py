"""Staged rollout (seed 000 section 10.2, issue 18 item 6): paper, then fractions of the strategy's capital
up a ladder (default 10%, 50%, 100%), one rung at a time after checks.

Pure: the ladder and its rungs, the promotion checks (sessions at the current stage; tracking error of the
book's daily returns against the backtest of the same sessions) and the decision with its reasons. Reading
the stage history and the returns is infra's job (``infra.stage_store``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from domain.errors import InputError

TRADING_DAYS = 252  # annualisation of the daily tracking error, the convention of domain.metrics
_KEYS = {"ladder", "min_sessions", "max_tracking_error"}


@dataclass(frozen=True)
class Stage:
    """Where a strategy stands: ``paper`` (share 0), ``fraction`` of its capital, or ``live`` (all of it)."""

    stage: str = "paper"
    fraction: float = 1.0

    @property
    def share(self) -> float:
        """The part of the book's P&L the fund's NAV counts."""
        return {"paper": 0.0, "live": 1.0}.get(self.stage, self.fraction)

    @property
    def label(self) -> str:
        return "paper" if self.stage == "paper" else f"{self.share:.0%}"

    @classmethod
    def at_share(cls, share: float) -> Stage:
        if share <= 0:
            return cls("paper", 1.0)
        return cls("live", 1.0) if share >= 1.0 else cls("fraction", float(share))


@dataclass(frozen=True)
class RolloutPolicy:
    """The ladder of capital shares after paper (ends at 1.0), the sessions a strategy must spend at a stage
    before it may move up (one figure, or one per rung promoted from: paper, then each ladder step but the
    last), and the largest annualised tracking error against the backtest a promotion accepts."""

    ladder: tuple[float, ...] = (0.1, 0.5, 1.0)
    # seed 000 10.2: a month of paper, a month at 10%, two months at 50% (21 sessions a month)
    min_sessions: tuple[int, ...] = (21, 21, 42)
    max_tracking_error: float = 0.05

    def sessions_needed(self, current: Stage) -> int:
        """Sessions required at ``current`` before promotion (a fraction between rungs uses the lower rung's)."""
        rung = sum(1 for s in self.ladder if s <= current.share + 1e-12)
        return self.min_sessions[min(rung, len(self.min_sessions) - 1)]

    def next_rung(self, current: Stage) -> Stage | None:
        """One rung up (None at 100%)."""
        higher = [s for s in self.ladder if s > current.share + 1e-12]
        return Stage.at_share(higher[0]) if higher else None

    def previous_rung(self, current: Stage) -> Stage | None:
        """One rung down (None on paper)."""
        if current.stage == "paper":
            return None
        lower = [s for s in self.ladder if s < current.share - 1e-12]
        return Stage.at_share(lower[-1] if lower else 0.0)


def parse_rollout(raw: Any, where: str, base: RolloutPolicy | None = None) -> RolloutPolicy:
    """A ``rollout:`` mapping (keys left out keep ``base``'s values); one clear line on a bad value."""
    base = base or RolloutPolicy()
    if raw is None:
        return base
    if not isinstance(raw, Mapping):
        raise InputError(f"{where}: must be a mapping with keys {', '.join(sorted(_KEYS))}")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise InputError(f"{where}: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(sorted(_KEYS))})")
    ladder = raw.get("ladder", base.ladder)
    if (not isinstance(ladder, (list, tuple)) or not ladder
            or any(isinstance(s, bool) or not isinstance(s, (int, float)) or not 0 < s <= 1 for s in ladder)
            or any(b <= a for a, b in itertools.pairwise(ladder)) or ladder[-1] != 1):
        raise InputError(f"{where}.ladder: must be increasing shares in (0, 1] ending at 1.0, got {ladder!r}")
    ladder = tuple(float(s) for s in ladder)
    sessions = raw.get("min_sessions", base.min_sessions if "ladder" not in raw else base.min_sessions[:1])
    sessions = (sessions,) if isinstance(sessions, int) and not isinstance(sessions, bool) else sessions
    if (not isinstance(sessions, (list, tuple)) or len(sessions) not in (1, len(ladder))
            or any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in sessions)):
        raise InputError(f"{where}.min_sessions: must be an integer >= 0 or one per rung promoted from "
                         f"({len(ladder)}: paper, then {', '.join(f'{s:.0%}' for s in ladder[:-1]) or 'none'}), "
                         f"got {sessions!r}")
    limit = raw.get("max_tracking_error", base.max_tracking_error)
    if isinstance(limit, bool) or not isinstance(limit, (int, float)) or not 0 < limit < math.inf:
        raise InputError(f"{where}.max_tracking_error: must be a number > 0 (annualised), got {limit!r}")
    return RolloutPolicy(ladder=ladder, min_sessions=tuple(int(n) for n in sessions),
                         max_tracking_error=float(limit))


def tracking_error(live: pd.Series, backtest: pd.Series, periods: int = TRADING_DAYS) -> float:
    """Annualised tracking error: the sample standard deviation of the daily active return (live minus
    backtest, same sessions) times sqrt(periods) (Grinold and Kahn, Active Portfolio Management, ch. 4)."""
    active = (live - backtest).dropna().to_numpy(dtype=float)
    if len(active) < 2:
        return math.nan
    return float(np.std(active, ddof=1) * math.sqrt(periods))


@dataclass(frozen=True)
class Check:
    name: str
    value: float
    limit: float
    passed: bool
    detail: str

    def as_dict(self) -> dict:
        value = None if isinstance(self.value, float) and not math.isfinite(self.value) else self.value
        return {"value": value, "limit": self.limit, "passed": self.passed, "detail": self.detail}


@dataclass(frozen=True)
class Decision:
    current: Stage
    target: Stage | None
    checks: tuple[Check, ...]

    @property
    def allowed(self) -> bool:
        return self.target is not None and all(c.passed for c in self.checks)

    def refusal(self) -> str:
        """One line: the failed checks with their figures (empty when allowed)."""
        if self.target is None:
            return f"already at {self.current.label}, the top of the ladder"
        return "; ".join(c.detail for c in self.checks if not c.passed)


def decide_promotion(current: Stage, policy: RolloutPolicy, live: pd.Series, backtest: pd.Series | None,
                     backtest_name: str = "the backtest") -> Decision:
    """May a strategy at ``current`` move one rung up? ``live``: its book's daily net returns of the sessions
    at this stage (indexed by session); ``backtest``: the backtest's daily net returns (any span; the same
    sessions are taken). Every session at the stage must have a backtest return, else the tracking error
    would be measured on fewer sessions than the minimum that was checked."""
    target = policy.next_rung(current)
    needed, sessions = policy.sessions_needed(current), len(live)
    enough = sessions >= needed
    checks = [Check("sessions", float(sessions), float(needed), enough,
                    f"sessions at {current.label}: {sessions} {'>=' if enough else '<'} {needed} required")]
    limit = policy.max_tracking_error
    same = backtest.reindex(live.index) if backtest is not None else pd.Series(np.nan, index=live.index)
    missing = int(same.isna().sum())
    if sessions < 2:
        checks.append(Check("tracking_error", math.nan, limit, False,
                            f"tracking error: needs 2 or more sessions at {current.label}, has {sessions}"))
    elif missing:
        first = pd.Timestamp(live.index[same.isna().to_numpy()][0]).date()
        checks.append(Check("tracking_error", math.nan, limit, False,
                            f"tracking error: {backtest_name} has no return for {missing} of the {sessions} "
                            f"sessions at {current.label} (first {first})"))
    else:
        te = tracking_error(live, same)
        checks.append(Check("tracking_error", te, limit, te <= limit,
                            f"tracking error {te:.2%} {'<=' if te <= limit else '>'} {limit:.2%} (annualised, "
                            f"{sessions} sessions vs {backtest_name})"))
    return Decision(current, target, tuple(checks))
