"""Strategy health (seed 000 section 10): conditions on a strategy's book that a risk officer watches, as
alerts once per episode: one when a condition starts, one when it clears, none on the days in between.

- ``calmar``: rolling Calmar of the book's daily returns over ``calmar_days`` sessions below ``min_calmar``
  (10.3: "Email/SMS if Calmar drops below 1.2");
- ``correlation``: correlation of the book's daily returns with its market's over ``correlation_days``
  sessions above ``max_correlation`` (10.1: "Alert if correlation with market > 0.9").

A condition needs its whole window (a young book is not judged). Thresholds: ``health`` in config/risk.yaml.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from domain import metrics
from domain.risk.alerts import Alert, dedup_key


@dataclass(frozen=True)
class HealthParams:
    calmar_days: int = 63
    min_calmar: float = 1.2
    correlation_days: int = 20
    max_correlation: float = 0.9
    severity: str = "warning"

    def __post_init__(self) -> None:
        if self.calmar_days < 5 or self.correlation_days < 5:
            raise ValueError("health: calmar_days and correlation_days must be >= 5 sessions")
        if not -1 < self.max_correlation < 1:
            raise ValueError("health: max_correlation must be in (-1, 1)")


def _calmar(r: np.ndarray) -> float:
    value = metrics.calmar(r)
    return value if math.isfinite(value) else math.inf  # no drawdown in the window: healthy


def conditions(returns: pd.Series, market: pd.Series, p: HealthParams) -> pd.DataFrame:
    """Per session of the last two: is each condition on (and its value). ``returns``: the book's net daily
    returns; ``market``: the market's, same index (missing days count as 0)."""
    r = returns.astype(float)
    m = market.reindex(r.index).fillna(0.0).astype(float)
    rows = []
    for end in range(max(len(r) - 2, 0), len(r)):
        row = {"date": r.index[end]}
        if end + 1 >= p.calmar_days:
            c = _calmar(r.iloc[end + 1 - p.calmar_days:end + 1].to_numpy())
            row.update(calmar=c, calmar_on=c < p.min_calmar)
        if end + 1 >= p.correlation_days:
            a = r.iloc[end + 1 - p.correlation_days:end + 1].to_numpy()
            b = m.iloc[end + 1 - p.correlation_days:end + 1].to_numpy()
            corr = float(np.corrcoef(a, b)[0, 1]) if a.std() > 0 and b.std() > 0 else math.nan
            row.update(correlation=corr, correlation_on=bool(corr > p.max_correlation))
        rows.append(row)
    return pd.DataFrame(rows)


TEXT = {"calmar": ("rolling Calmar {value:.2f} below {limit:g} over {days} sessions",),
        "correlation": ("correlation with its market {value:.2f} above {limit:g} over {days} sessions",)}


def health_alerts(strategy: str, as_of: dt.date, returns: pd.Series, market: pd.Series,
                  p: HealthParams) -> list[Alert]:
    """Alerts of the conditions that started or cleared at ``as_of``'s close (the last session)."""
    frame = conditions(returns, market, p)
    if frame.empty or pd.Timestamp(frame["date"].iloc[-1]).date() != as_of:
        return []
    out = []
    for name, limit, days in (("calmar", p.min_calmar, p.calmar_days),
                              ("correlation", p.max_correlation, p.correlation_days)):
        col = f"{name}_on"
        if col not in frame:
            continue
        now = bool(frame[col].iloc[-1]) if pd.notna(frame[col].iloc[-1]) else False
        before = bool(frame[col].iloc[0]) if len(frame) == 2 and pd.notna(frame[col].iloc[0]) else False
        if now == before:
            continue
        value = float(frame[name].iloc[-1])
        text = TEXT[name][0].format(value=value, limit=limit, days=days)
        kind = f"health_{name}" if now else f"health_{name}_cleared"
        out.append(Alert(as_of=as_of, kind=kind, severity=p.severity if now else "info",
                         dedup_key=dedup_key(as_of, kind, strategy),
                         title=f"{strategy}: {text}" if now else f"{strategy}: cleared: {name}",
                         message=(f"{strategy}'s book: {text}." if now else f"{strategy}'s book: no longer {text}."),
                         numbers={"strategy": strategy, name: value, "limit": limit, "days": days}))
    return out
