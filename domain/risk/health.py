"""Strategy health (seed 000 section 10): conditions on a strategy's book that a risk officer watches, as
alerts once per episode: one when a condition starts, one when it clears, none on the days in between.

- ``calmar``: rolling Calmar of the book's daily returns over ``calmar_days`` sessions below ``min_calmar``
  (10.3: "Email/SMS if Calmar drops below 1.2");
- ``correlation``: correlation of the book's daily returns with its market's over ``correlation_days``
  sessions above ``max_correlation`` (10.1: "Alert if correlation with market > 0.9");
- ``confidence`` (warning): the strategy's model confidence below ``confidence_warning`` on each of the last
  ``confidence_warning_days`` sessions (10.1: "model confidence < 0.3 for 3+ days");
  ``confidence_critical`` (critical): below ``confidence_critical`` on each of the last
  ``confidence_critical_days`` (10.3: "model confidence < 0.2 for 5 days"). Confidence is the strategy's
  own statistic (``Strategy.confidence``); a strategy without one is not judged;
- ``costs``: realised trading costs over ``cost_days`` sessions above ``max_cost_ratio`` x the cost model's
  (10.2/10.3: "transaction costs (actual vs expected)"; defined in ``domain.risk.costs``).

A condition needs its whole window (a young book is not judged). Thresholds: ``health`` in config/risk.yaml.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from domain import metrics
from domain.risk.alerts import SEVERITIES, Alert, dedup_key
from domain.risk.costs import window_costs


@dataclass(frozen=True)
class HealthParams:
    calmar_days: int = 63
    min_calmar: float = 1.2
    correlation_days: int = 20
    max_correlation: float = 0.9
    severity: str = "warning"  # of calmar, correlation and costs
    confidence_warning: float = 0.3
    confidence_warning_days: int = 3
    confidence_critical: float = 0.2
    confidence_critical_days: int = 5
    cost_days: int = 20
    max_cost_ratio: float = 1.5
    min_cost_fills: int = 1

    def __post_init__(self) -> None:
        if self.calmar_days < 5 or self.correlation_days < 5:
            raise ValueError("health: calmar_days and correlation_days must be >= 5 sessions")
        if not -1 < self.max_correlation < 1:
            raise ValueError("health: max_correlation must be in (-1, 1)")
        if self.severity not in SEVERITIES:
            raise ValueError(f"health: severity must be one of {', '.join(SEVERITIES)}, got {self.severity!r}")
        if self.confidence_warning_days < 1 or self.confidence_critical_days < 1 or self.cost_days < 1:
            raise ValueError("health: confidence_*_days and cost_days must be >= 1 session")
        if not self.confidence_critical <= self.confidence_warning:
            raise ValueError("health: confidence_critical must not exceed confidence_warning")
        if not self.max_cost_ratio > 0 or self.min_cost_fills < 1:
            raise ValueError("health: max_cost_ratio must be > 0 and min_cost_fills >= 1")


def _calmar(r: np.ndarray) -> float:
    value = metrics.calmar(r)
    return value if math.isfinite(value) else math.inf  # no drawdown in the window: healthy


def _below_for(c: np.ndarray, end: int, limit: float, days: int) -> bool | None:
    """Each of the ``days`` values ending at ``end`` below ``limit`` (None: fewer values than that)."""
    if end + 1 < days:
        return None
    window = c[end + 1 - days:end + 1]
    return bool(np.all(window < limit)) if np.isfinite(window).all() else False


def conditions(returns: pd.Series, market: pd.Series, p: HealthParams, confidence: pd.Series | None = None,
               fills: pd.DataFrame | None = None, commission_bps: float = 0.0) -> pd.DataFrame:
    """Per session of the last two: is each condition on (and its value). ``returns``: the book's net daily
    returns; ``market``: the market's, same index (missing days count as 0); ``confidence``: the strategy's
    confidence by decision date (None: it has none); ``fills``: the book's paper fills with their actual
    executions (``domain.risk.costs.FILL_COLUMNS``; None: not judged)."""
    r = returns.astype(float)
    m = market.reindex(r.index).fillna(0.0).astype(float)
    c = confidence.astype(float).reindex(r.index).to_numpy() if confidence is not None else None
    sessions = pd.DatetimeIndex(r.index)
    if fills is not None and len(sessions):  # only the windows of the last two sessions are read
        fills = fills[fills["date"] >= sessions[max(len(sessions) - 1 - p.cost_days, 0)]]
    rows = []
    for end in range(max(len(r) - 2, 0), len(r)):
        row = {"date": r.index[end]}
        if end + 1 >= p.calmar_days:
            v = _calmar(r.iloc[end + 1 - p.calmar_days:end + 1].to_numpy())
            row.update(calmar=v, calmar_on=v < p.min_calmar)
        if end + 1 >= p.correlation_days:
            a = r.iloc[end + 1 - p.correlation_days:end + 1].to_numpy()
            b = m.iloc[end + 1 - p.correlation_days:end + 1].to_numpy()
            corr = float(np.corrcoef(a, b)[0, 1]) if a.std() > 0 and b.std() > 0 else math.nan
            row.update(correlation=corr, correlation_on=bool(corr > p.max_correlation))
        if c is not None and math.isfinite(c[end]):
            row["confidence"] = row["confidence_critical"] = float(c[end])
            warn = _below_for(c, end, p.confidence_warning, p.confidence_warning_days)
            crit = _below_for(c, end, p.confidence_critical, p.confidence_critical_days)
            if warn is not None:
                row["confidence_on"] = warn
            if crit is not None:
                row["confidence_critical_on"] = crit
        if fills is not None:
            w = window_costs(fills, sessions, end, p.cost_days, commission_bps)
            if w and w["actual_fills"] >= p.min_cost_fills and math.isfinite(w["realised_bps"]):
                ratio = w["realised_bps"] / w["model_bps"] if w["model_bps"] > 0 else math.inf
                row.update(costs=w["realised_bps"], costs_model=w["model_bps"], costs_fills=w["actual_fills"],
                           costs_on=bool(ratio > p.max_cost_ratio))
        rows.append(row)
    return pd.DataFrame(rows)


def checks(p: HealthParams) -> list[tuple[str, str, float, int, str]]:
    """(condition, severity when on, limit, days, text) of each condition, in the order reports show them."""
    return [
        ("calmar", p.severity, p.min_calmar, p.calmar_days, "rolling Calmar {value:.2f} below {limit:g} over {days} sessions"),
        ("correlation", p.severity, p.max_correlation, p.correlation_days,
         "correlation with its market {value:.2f} above {limit:g} over {days} sessions"),
        ("confidence", "warning", p.confidence_warning, p.confidence_warning_days,
         "model confidence {value:.2f}, below {limit:g} for {days} sessions"),
        ("confidence_critical", "critical", p.confidence_critical, p.confidence_critical_days,
         "model confidence {value:.2f}, below {limit:g} for {days} sessions"),
        ("costs", p.severity, p.max_cost_ratio, p.cost_days,
         ("realised costs {value:.1f} bps, above {limit:g}x the cost model's {model:.1f} bps over {days} sessions "
          "({fills} actual fill(s))")),
    ]


def _text(template: str, row: pd.Series, name: str, limit: float, days: int) -> str:
    fills = row.get("costs_fills")
    return template.format(value=float(row[name]), limit=limit, days=days, model=float(row.get("costs_model", math.nan)),
                           fills=int(fills) if fills is not None and pd.notna(fills) else 0)


def health_alerts(strategy: str, as_of: dt.date, returns: pd.Series, market: pd.Series, p: HealthParams,
                  confidence: pd.Series | None = None, fills: pd.DataFrame | None = None,
                  commission_bps: float = 0.0) -> list[Alert]:
    """Alerts of the conditions that started or cleared at ``as_of``'s close (the last session)."""
    frame = conditions(returns, market, p, confidence, fills, commission_bps)
    return alerts_of(strategy, as_of, frame, p)


def alerts_of(strategy: str, as_of: dt.date, frame: pd.DataFrame, p: HealthParams) -> list[Alert]:
    if frame.empty or pd.Timestamp(frame["date"].iloc[-1]).date() != as_of:
        return []
    out = []
    for name, severity, limit, days, template in checks(p):
        col = f"{name}_on"
        if col not in frame:
            continue
        now = bool(frame[col].iloc[-1]) if pd.notna(frame[col].iloc[-1]) else False
        before = bool(frame[col].iloc[0]) if len(frame) == 2 and pd.notna(frame[col].iloc[0]) else False
        if now == before:
            continue
        # a check that cleared because it is no longer judged (no actual fill in its window) has no figure today
        row = frame.iloc[-1] if pd.notna(frame[name].iloc[-1]) else frame.iloc[0]
        text = _text(template, row, name, limit, days)
        value = float(row[name])
        kind = f"health_{name}" if now else f"health_{name}_cleared"
        out.append(Alert(as_of=as_of, kind=kind, severity=severity if now else "info",
                         dedup_key=dedup_key(as_of, kind, strategy),
                         title=f"{strategy}: {text}" if now else f"{strategy}: cleared: {name}",
                         message=(f"{strategy}'s book: {text}." if now else f"{strategy}'s book: no longer {text}."),
                         numbers={"strategy": strategy, name: value, "limit": limit, "days": days}))
    return out


def status(frame: pd.DataFrame, p: HealthParams) -> dict[str, tuple[str, float]]:
    """Each check's state on the last session: (ok | warning | critical | n/a, its figure). ``confidence``
    is one check (critical over warning); a check without its window or statistic is n/a."""
    out: dict[str, tuple[str, float]] = {}
    last = frame.iloc[-1] if not frame.empty else pd.Series(dtype=object)
    for name, severity, *_ in checks(p):
        on = last.get(f"{name}_on")
        if name == "confidence_critical":
            if on is True or on == 1:
                out["confidence"] = ("critical", float(last["confidence"]))
            continue
        if on is None or (isinstance(on, float) and math.isnan(on)):
            value = last.get(name)
            out[name] = ("n/a", float(value) if value is not None and pd.notna(value) else math.nan)
            continue
        out[name] = (severity if bool(on) else "ok", float(last[name]))
    return out


def status_text(states: dict[str, tuple[str, float]]) -> str:
    """One line: ``calmar ok 1.85; correlation warning 0.93; confidence n/a; costs ok 3.0 bps``."""
    parts = []
    for name, (state, value) in states.items():
        figure = "" if not math.isfinite(value) else (f" {value:.1f} bps" if name == "costs" else f" {value:.2f}")
        parts.append(f"{name} {state}{figure}")
    return "; ".join(parts)
