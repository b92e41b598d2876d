"""Risk thresholds (defaults = the design documents'); config/risk.yaml overrides them."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.risk.alerts import SEVERITIES
from domain.risk.health import HealthParams


@dataclass(frozen=True)
class RiskParams:
    # spreads (TLT overlay design document: 50% / 2.0x / 7 days)
    profit_target_pct: float = 0.50  # close when unrealized P&L >= 50% of max profit
    loss_limit_multiple: float = 2.0  # close when spread value >= 2x the credit received
    dte_threshold: int = 7  # close when <= 7 calendar days to expiration
    # stocks (mean-reversion design: 5% stop, 6-day time stop)
    stop_loss_pct: float = 0.05
    time_stop_sessions: int = 6
    # portfolio
    drawdown_levels: tuple[float, ...] = (0.03, 0.05, 0.08, 0.12)
    drawdown_severities: tuple[str, ...] = ("info", "warning", "warning", "critical")
    stop_trading_drawdown: float = 0.12
    realized_vol_limit: float = 0.30
    realized_vol_window: int = 20  # daily NAV returns
    # severities of the per-position rules
    profit_target_severity: str = "warning"
    loss_limit_severity: str = "critical"
    dte_severity: str = "warning"
    stop_loss_severity: str = "critical"
    time_stop_severity: str = "warning"
    realized_vol_severity: str = "warning"
    unmarked_severity: str = "warning"
    # model marks
    default_vol: float = 0.15  # when neither a quote's IV, the entry IV nor a vol estimate exists
    risk_free_rate: float = 0.04
    # data freshness (domain/risk/freshness.py): sessions a held instrument's close may lag the marked day
    stale_data_grace_sessions: int = 0
    # strategy health of each book (seed 000 section 10): rolling Calmar, correlation with its market
    health: HealthParams = field(default_factory=HealthParams)

    def __post_init__(self) -> None:
        if not 0 < self.profit_target_pct <= 1:
            raise ValueError("profit_target_pct must be in (0, 1]")
        if not self.loss_limit_multiple > 1:
            raise ValueError("loss_limit_multiple must exceed 1")
        if self.dte_threshold < 0 or self.time_stop_sessions < 1:
            raise ValueError("dte_threshold must be >= 0 and time_stop_sessions >= 1")
        if not 0 < self.stop_loss_pct < 1:
            raise ValueError("stop_loss_pct must be in (0, 1)")
        levels = tuple(self.drawdown_levels)
        if list(levels) != sorted(levels) or any(not 0 < x < 1 for x in levels):
            raise ValueError("drawdown_levels must be increasing fractions in (0, 1)")
        if len(self.drawdown_severities) != len(levels):
            raise ValueError("drawdown_severities must have one entry per drawdown level")
        sevs = (
            *self.drawdown_severities,
            self.profit_target_severity,
            self.loss_limit_severity,
            self.dte_severity,
            self.stop_loss_severity,
            self.time_stop_severity,
            self.realized_vol_severity,
            self.unmarked_severity,
        )
        bad = [s for s in sevs if s not in SEVERITIES]
        if bad:
            raise ValueError(f"unknown severity {bad[0]!r}; use one of {', '.join(SEVERITIES)}")
        if not self.realized_vol_limit > 0 or self.realized_vol_window < 3:
            raise ValueError("realized_vol_limit must be > 0 and realized_vol_window >= 3")
        if not self.default_vol > 0:
            raise ValueError("default_vol must be positive")
        # fractions, not percent: 5 (meaning 5%) would never fire, 4 (meaning 4%) would price every option wrong
        if not 0 < self.stop_trading_drawdown < 1:
            raise ValueError(f"stop_trading_drawdown must be a fraction in (0, 1) (0.12 = 12%), "
                             f"got {self.stop_trading_drawdown!r}")
        if not -0.05 <= self.risk_free_rate <= 0.25:
            raise ValueError(f"risk_free_rate must be a decimal in [-0.05, 0.25] (0.04 = 4%), got {self.risk_free_rate!r}")
        if not 0 < self.default_vol <= 5:
            raise ValueError(f"default_vol must be a decimal in (0, 5] (0.15 = 15%), got {self.default_vol!r}")
        if not 0 <= self.stale_data_grace_sessions <= 20:
            raise ValueError(f"stale_data_grace_sessions must be a whole number of sessions in [0, 20], "
                             f"got {self.stale_data_grace_sessions!r}")
