"""Alerts from what a strategy's book rules did at a close: a stop that closes a position, a time stop, a
drawdown throttle step (the limit is near), the hard drawdown stop and its re-arm. The paper book has already
applied them; the alert tells the desk which order to place and the operator why."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from domain.risk.alerts import Alert, dedup_key

_SEVERITY = {"stop_loss": "critical", "time_stop": "warning", "drawdown_stop": "critical", "throttle": "warning",
             "rearmed": "info", "missing_price": "warning", "trailing_stop": "critical",
             "correlation_stop": "critical", "correlation_scale": "warning", "drawdown_autocorr": "warning"}
# seed 000's history rules: one alert when a rule starts, one when it clears (``<kind>_cleared``)
_HISTORY = {
    "trailing_stop": ("trailing stop, book flat", "equity {fall_from_high:.2%} below its high of the trailing window"),
    "correlation_stop": ("correlation stop, book flat", "correlation with the market {correlation:.2f}, above the stop"),
    "correlation_scale": ("exposure scaled down for correlation", "correlation with the market {correlation:.2f}"),
    "drawdown_autocorr": ("drawdowns persistent, throttle tightened",
                          "autocorrelation of the drawdown's daily changes by lag {autocorr}"),
}


def _history_title(strategy: str, kind: str, detail: Mapping[str, Any]) -> tuple[str, str] | None:
    base = kind.removesuffix("_cleared")
    if base not in _HISTORY:
        return None
    title, text = _HISTORY[base]
    try:
        message = text.format(**detail)
    except (KeyError, ValueError):
        message = f"{base}: {dict(detail)}"
    if kind.endswith("_cleared"):
        return f"{strategy}: cleared: {title}", f"No longer: {message}."
    return f"{strategy}: {title}", message[0].upper() + message[1:] + "."


def _title(strategy: str, kind: str, instrument: str | None, detail: Mapping[str, Any]) -> tuple[str, str]:
    history = _history_title(strategy, kind, detail)
    if history is not None:
        return history
    if kind == "stop_loss":
        return (f"{strategy}: stop loss hit on {instrument}, close it",
                f"{instrument}'s return since entry reached the book's stop loss; the exit is in the orders.")
    if kind == "time_stop":
        return (f"{strategy}: time stop on {instrument}, close it",
                f"{instrument} was held for the book's maximum number of sessions; the exit is in the orders.")
    if kind == "throttle":
        dd, scale = float(detail.get("drawdown", 0.0)), float(detail.get("scale", 1.0))
        return (f"{strategy}: drawdown {-dd:.2%}, exposure scaled x{scale:g}",
                f"The drawdown throttle moved from level {detail.get('from')} to {detail.get('to')}.")
    if kind == "drawdown_stop":
        return (f"{strategy}: drawdown stop, book flat",
                f"Drawdown {-float(detail.get('drawdown', 0.0)):.2%} passed the last threshold; the book is flat "
                f"until it re-arms ({detail.get('rearm')}).")
    if kind == "rearmed":
        return (f"{strategy}: re-armed after the drawdown stop",
                f"Re-armed by policy {detail.get('policy')}{': ' + str(detail['reason']) if 'reason' in detail else ''}.")
    return (f"{strategy}: no price for {instrument}", f"{instrument} had no price at this close: nothing traded.")


def book_alerts(strategy: str, as_of: dt.date, events: Iterable[Mapping[str, Any]]) -> list[Alert]:
    """One alert per book event (``kind``, ``instrument``, ``detail``) of ``strategy`` at ``as_of``'s close;
    the dedup key makes a rerun of the day send nothing twice."""
    alerts = []
    for event in events:
        kind, instrument, detail = event["kind"], event.get("instrument"), event.get("detail") or {}
        title, message = _title(strategy, kind, instrument, detail)
        subject = f"{strategy}:{instrument}" if instrument else strategy
        severity = "info" if kind.endswith("_cleared") else _SEVERITY.get(kind, "warning")
        alerts.append(Alert(as_of=as_of, kind=f"book_{kind}", severity=severity,
                            dedup_key=dedup_key(as_of, f"book_{kind}", subject), title=title, message=message,
                            numbers={"strategy": strategy, **({"instrument": instrument} if instrument else {}),
                                     **{k: v for k, v in detail.items() if isinstance(v, int | float)}}))
    return alerts
