"""Per-position exit rules on a mark: profit target, loss limit, DTE (spreads); stop loss, time stop (stocks)."""

from __future__ import annotations

from domain.portfolio.marking import Mark
from domain.portfolio.positions import Position, SpreadPosition, StockPosition
from domain.risk.alerts import Alert, dedup_key
from domain.risk.params import RiskParams


def _label(position: Position) -> str:
    if isinstance(position, SpreadPosition):
        kind = "bull put" if position.option_type == "put" else "bear call"
        return (
            f"#{position.id} {position.strategy} {position.underlying} {kind} "
            f"{position.short_leg.strike:g}/{position.long_leg.strike:g} {position.expiration.isoformat()}"
        )
    return f"#{position.id} {position.strategy} {position.symbol} {position.quantity:+g}"



def _exit_alert(position, mark: Mark, kind: str, severity: str, *, title: str, message: str, numbers: dict) -> Alert:
    """A per-position alert whose de-duplication key is stable across reruns of the same day."""
    return Alert(as_of=mark.as_of, kind=kind, severity=severity, dedup_key=dedup_key(mark.as_of, kind, position.id),
                 title=title, message=message, numbers=numbers, position_id=position.id)

def spread_exit_alerts(position: SpreadPosition, mark: Mark, params: RiskParams) -> list[Alert]:
    out: list[Alert] = []
    label = _label(position)
    base = {
        "spread_value": round(mark.price, 6),
        "credit": position.entry_credit,
        "unrealized_pnl": round(mark.unrealized_pnl, 2),
        "max_profit": round(position.max_profit, 2),
        "dte": mark.dte,
        "mark_source": mark.source,
    }
    target_value = position.entry_credit * (1.0 - params.profit_target_pct)
    if mark.price <= target_value + 1e-12:
        out.append(
            _exit_alert(
                position, mark, "profit_target", params.profit_target_severity,
                title=f"Profit target reached: {label}",
                message=(
                    f"{label}: P&L {mark.unrealized_pnl:,.2f} is {mark.profit_fraction:.0%} of max profit "
                    f"(target {params.profit_target_pct:.0%}); spread value {mark.price:.2f} vs credit "
                    f"{position.entry_credit:.2f}. Close."
                ),
                numbers={**base, "profit_fraction": round(mark.profit_fraction or 0.0, 4),
                         "target_pct": params.profit_target_pct},
            )
        )
    limit_value = position.entry_credit * params.loss_limit_multiple
    if mark.price >= limit_value - 1e-12:
        out.append(
            _exit_alert(
                position, mark, "loss_limit", params.loss_limit_severity,
                title=f"Loss limit hit: {label}",
                message=(
                    f"{label}: spread value {mark.price:.2f} is {mark.value_to_credit:.2f}x the credit "
                    f"{position.entry_credit:.2f} (limit {params.loss_limit_multiple:g}x); "
                    f"P&L {mark.unrealized_pnl:,.2f}. Close."
                ),
                numbers={**base, "value_to_credit": round(mark.value_to_credit or 0.0, 4),
                         "limit_multiple": params.loss_limit_multiple},
            )
        )
    if mark.dte is not None and mark.dte <= params.dte_threshold:
        out.append(
            _exit_alert(
                position, mark, "dte", params.dte_severity,
                title=f"Expiration near: {label}",
                message=(
                    f"{label}: {mark.dte} days to expiration (threshold {params.dte_threshold}); "
                    f"P&L {mark.unrealized_pnl:,.2f}. Close."
                ),
                numbers={**base, "dte_threshold": params.dte_threshold},
            )
        )
    return out


def stock_exit_alerts(position: StockPosition, mark: Mark, params: RiskParams) -> list[Alert]:
    out: list[Alert] = []
    label = _label(position)
    ret = mark.return_pct if mark.return_pct is not None else position.return_at(mark.price)
    base = {
        "price": mark.price,
        "entry_price": position.entry_price,
        "return_pct": round(ret, 6),
        "unrealized_pnl": round(mark.unrealized_pnl, 2),
        "sessions_held": mark.sessions_held,
    }
    if ret <= -params.stop_loss_pct + 1e-12:
        out.append(
            _exit_alert(
                position, mark, "stop_loss", params.stop_loss_severity,
                title=f"Stop loss hit: {label}",
                message=(
                    f"{label}: {ret:+.2%} since entry at {position.entry_price:.2f} (close {mark.price:.2f}, "
                    f"stop {params.stop_loss_pct:.0%}). Close."
                ),
                numbers={**base, "stop_loss_pct": params.stop_loss_pct},
            )
        )
    if mark.sessions_held is not None and mark.sessions_held >= params.time_stop_sessions:
        out.append(
            _exit_alert(
                position, mark, "time_stop", params.time_stop_severity,
                title=f"Time stop: {label}",
                message=(
                    f"{label}: held {mark.sessions_held} sessions (time stop {params.time_stop_sessions}); "
                    f"{ret:+.2%} since entry. Close."
                ),
                numbers={**base, "time_stop_sessions": params.time_stop_sessions},
            )
        )
    return out


def exit_alerts(position: Position, mark: Mark, params: RiskParams) -> list[Alert]:
    if isinstance(position, SpreadPosition):
        return spread_exit_alerts(position, mark, params)
    return stock_exit_alerts(position, mark, params)


def unmarked_alert(position: Position, as_of, params: RiskParams) -> Alert:
    label = _label(position)
    return Alert(
        as_of=as_of,
        kind="unmarked",
        severity=params.unmarked_severity,
        dedup_key=dedup_key(as_of, "unmarked", position.id),
        title=f"No mark: {label}",
        message=f"{label}: no quote, no close and no underlying price on {as_of.isoformat()}; not marked.",
        numbers={},
        position_id=position.id,
    )
