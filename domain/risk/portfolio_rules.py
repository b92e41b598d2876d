"""Portfolio rules: drawdown levels (the last one stops trading) and realized volatility."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from domain.portfolio.nav import NavPoint, realized_vol
from domain.risk.alerts import Alert, dedup_key
from domain.risk.params import RiskParams


def drawdown_alert(point: NavPoint, params: RiskParams) -> Alert | None:
    """One alert for the deepest level breached (0.12 -> critical, stop trading)."""
    breached = [i for i, level in enumerate(params.drawdown_levels) if point.drawdown >= level - 1e-12]
    if not breached:
        return None
    i = breached[-1]
    level = params.drawdown_levels[i]
    stop = point.drawdown >= params.stop_trading_drawdown - 1e-12
    action = "STOP TRADING" if stop else "reduce exposure per the drawdown throttle"
    return Alert(
        as_of=point.as_of,
        kind="drawdown",
        severity=params.drawdown_severities[i],
        dedup_key=dedup_key(point.as_of, "drawdown", f"{level:g}"),
        title=f"Drawdown {point.drawdown:.1%} (level {level:.0%})",
        message=(
            f"NAV {point.nav:,.2f} is {point.drawdown:.2%} below its peak {point.peak:,.2f} "
            f"(level {level:.0%}): {action}."
        ),
        numbers={
            "nav": round(point.nav, 2),
            "peak": round(point.peak, 2),
            "drawdown": round(point.drawdown, 6),
            "level": level,
            "stop_trading": stop,
        },
    )


def realized_vol_alert(as_of: dt.date, navs: Sequence[float], params: RiskParams) -> Alert | None:
    """`navs`: daily NAVs up to and including as_of, oldest first; uses the last window+1 of them."""
    window = list(navs)[-(params.realized_vol_window + 1):]
    vol = realized_vol(window)
    if vol is None or vol <= params.realized_vol_limit:
        return None
    return Alert(
        as_of=as_of,
        kind="realized_vol",
        severity=params.realized_vol_severity,
        dedup_key=dedup_key(as_of, "realized_vol"),
        title=f"Realized volatility {vol:.0%} above {params.realized_vol_limit:.0%}",
        message=(
            f"Portfolio realized volatility over the last {len(window) - 1} days is {vol:.1%}, "
            f"above the {params.realized_vol_limit:.0%} limit."
        ),
        numbers={"realized_vol": round(vol, 6), "limit": params.realized_vol_limit,
                 "observations": len(window) - 1},
    )
