"""What the stepper applies to a strategy's targets: costs, position limits, stops, the drawdown throttle
and its re-arm, the turnover cap, and when orders fill. Rules belong to the strategy (built from its own
config by ``Strategy.rules()``); the engine only applies what it is given. A field left at None is off.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import InputError

FILL_TIMINGS = ("close", "next_open")
REARM_POLICIES = ("sessions", "operator")


@dataclass(frozen=True)
class Rules:
    """Rules of one strategy's book. Weights are signed fractions of the book's equity.

    ``fill``: "close" fills at the close the targets were decided at (market-on-close, the convention the
    vol_regime backtest has always used: the exposure decided at D's close earns D+1's return);
    "next_open" fills at the next session's open (the position earns the open-to-close of D+1).
    Either way a trade's cost (``commission_bps + slippage_bps`` of the traded weight) is booked in the
    next session's P&L.

    Drawdown throttle (on the book's own equity against the peak it uses): once ``dd < -threshold`` the
    weights are multiplied by the paired scale; a scale of 0 past the last threshold is the hard stop.
    While stopped the book is flat, so its equity cannot recover: ``rearm="sessions"`` resets the peak
    after ``rearm_sessions`` consecutive stopped sessions (what a backtest simulates); ``rearm="operator"``
    stays flat until an operator re-arms the book (``domain.book.rearm``). ``drawdown_soft_cap`` caps
    each |weight| while ``dd`` is beyond the first threshold.

    Per position: ``min_weight <= w <= max_weight``; ``stop_loss`` exits a position whose return since
    entry is <= -stop_loss (at the close); ``time_stop`` exits it after that many sessions held;
    ``max_positions`` keeps the largest |targets|; ``max_adv_fraction`` caps a trade's notional at that
    fraction of the instrument's average daily dollar volume (prices column ``adv``). Book: ``max_gross``
    caps sum |w|; ``max_turnover`` caps sum |change in w| per session (not applied to forced exits).

    Rules that read the book's recent sessions (seed 000 sections 6.1, 6.3, 6.6; ``domain.book.guards``):
    ``trailing_stop`` goes flat while the equity is more than that fraction below its high of the last
    ``trailing_window`` closes (it lifts by itself once the high leaves the window); ``correlation_scale``
    multiplies the weights by ``1 - (c - scale) / (1 - scale)`` while the correlation ``c`` of the book's
    returns with the market's (instrument ``market``; None = the book's only instrument) over
    ``correlation_window`` sessions is above it, and ``correlation_stop`` goes flat above that;
    ``autocorr_threshold``: while the autocorrelation of the drawdown's daily changes over
    ``autocorr_window`` sessions is above it at any of ``autocorr_lags``, the throttle's thresholds are
    multiplied by ``autocorr_tighten`` (it starts earlier, the stop included).
    """

    commission_bps: float = 2.0
    slippage_bps: float = 1.0
    fill: str = "close"
    min_weight: float = -1.0
    max_weight: float = 1.5
    max_gross: float | None = None
    max_positions: int | None = None
    stop_loss: float | None = None
    time_stop: int | None = None
    max_adv_fraction: float | None = None
    drawdown_thresholds: tuple[float, ...] = ()
    drawdown_scales: tuple[float, ...] = ()
    drawdown_soft_cap: float | None = None
    rearm: str = "sessions"
    rearm_sessions: int = 21  # `rearm: sessions 21` in a config sets both fields
    max_turnover: float | None = None
    trailing_stop: float | None = None
    trailing_window: int = 20
    correlation_scale: float | None = None
    correlation_stop: float | None = None
    correlation_window: int = 20
    market: str | None = None
    autocorr_threshold: float | None = None
    autocorr_lags: tuple[int, ...] = (1, 5, 10, 20)
    autocorr_window: int = 63
    autocorr_tighten: float = 0.75

    def __post_init__(self) -> None:
        th, sc = tuple(float(v) for v in self.drawdown_thresholds), tuple(float(v) for v in self.drawdown_scales)
        object.__setattr__(self, "drawdown_thresholds", th)
        object.__setattr__(self, "drawdown_scales", sc)
        object.__setattr__(self, "autocorr_lags", tuple(int(v) for v in self.autocorr_lags))
        if isinstance(self.rearm, str) and " " in self.rearm.strip():  # the config's 'sessions N'
            for key, value in self.parse_rearm(self.rearm).items():
                object.__setattr__(self, key, value)
        if self.fill not in FILL_TIMINGS:
            raise InputError(f"rules: fill must be one of {FILL_TIMINGS}, got {self.fill!r}")
        if self.rearm not in REARM_POLICIES:
            raise InputError(f"rules: rearm must be one of {REARM_POLICIES}, got {self.rearm!r}")
        if len(th) != len(sc):
            raise InputError("rules: drawdown_thresholds and drawdown_scales must have equal length")
        if th and (th[0] <= 0 or any(b <= a for a, b in zip(th, th[1:]))):
            raise InputError("rules: drawdown_thresholds must be positive and strictly ascending")
        if any(s < 0 for s in sc):
            raise InputError("rules: drawdown_scales must be >= 0")
        if not self.min_weight <= 0 <= self.max_weight:
            raise InputError("rules: need min_weight <= 0 <= max_weight")
        if self.commission_bps < 0 or self.slippage_bps < 0:
            raise InputError("rules: costs must be >= 0 bps")
        if self.rearm_sessions < 0:
            raise InputError("rules: rearm_sessions must be >= 0")
        if self.drawdown_soft_cap is not None and self.drawdown_soft_cap < 0:
            raise InputError("rules: drawdown_soft_cap must be >= 0 (or absent)")
        for name in ("max_gross", "stop_loss", "max_adv_fraction", "max_turnover"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise InputError(f"rules: {name} must be > 0 (or absent)")
        self._check_history_rules()
        for name in ("max_positions", "time_stop"):
            value = getattr(self, name)
            if value is not None and (int(value) != value or value < 1):
                raise InputError(f"rules: {name} must be a positive integer (or absent)")

    def _check_history_rules(self) -> None:
        for name in ("trailing_stop", "correlation_scale", "correlation_stop", "autocorr_threshold"):
            value = getattr(self, name)
            if value is not None and not 0 < value < 1:
                raise InputError(f"rules: {name} must be between 0 and 1 (or absent)")
        if None not in (self.correlation_scale, self.correlation_stop) and \
                self.correlation_scale >= self.correlation_stop:
            raise InputError("rules: correlation_scale must be below correlation_stop")
        for name in ("trailing_window", "correlation_window", "autocorr_window"):
            if int(getattr(self, name)) != getattr(self, name) or getattr(self, name) < 2:
                raise InputError(f"rules: {name} must be an integer >= 2 sessions")
        lags = self.autocorr_lags
        if not lags or min(lags) < 1 or max(lags) >= self.autocorr_window:
            raise InputError("rules: autocorr_lags must be >= 1 and below autocorr_window")
        if not 0 < self.autocorr_tighten <= 1:
            raise InputError("rules: autocorr_tighten must be in (0, 1]")

    @property
    def watches_history(self) -> bool:
        """Whether a rule reads recent sessions (trailing stop, correlation, drawdown autocorrelation)."""
        return any(v is not None for v in (self.trailing_stop, self.correlation_scale, self.correlation_stop,
                                           self.autocorr_threshold))

    @property
    def cost_rate(self) -> float:
        return (self.commission_bps + self.slippage_bps) / 1e4

    @property
    def rearm_after(self) -> int:
        """Stopped sessions after which the peak resets; 0 = never by itself (operator policy)."""
        return self.rearm_sessions if self.rearm == "sessions" else 0

    @property
    def per_position(self) -> bool:
        """Whether any rule looks at single positions (stops, counts, liquidity)."""
        return any(v is not None for v in (self.stop_loss, self.time_stop, self.max_positions,
                                           self.max_adv_fraction))

    def describe_rearm(self) -> str:
        """The re-arm policy as configured, e.g. 'sessions 21' or 'operator' (printed by backtests)."""
        return f"sessions {self.rearm_sessions}" if self.rearm == "sessions" else "operator"

    @staticmethod
    def parse_rearm(text: str) -> dict:
        """'sessions N' or 'operator' (the config syntax) -> keyword arguments of Rules."""
        parts = str(text).split()
        if parts == ["operator"]:
            return {"rearm": "operator"}
        if len(parts) == 2 and parts[0] == "sessions" and parts[1].isdigit():
            return {"rearm": "sessions", "rearm_sessions": int(parts[1])}
        raise InputError(f"rules: rearm must be 'operator' or 'sessions N', got {text!r}")

    @classmethod
    def from_overlay(cls, overlay, costs, **overrides) -> Rules:
        """Rules equal to the single-asset overlay of ``domain.backtest`` (vol_regime's config)."""
        rearm = {"rearm": "sessions", "rearm_sessions": overlay.rearm_days} if overlay.rearm_days else \
            {"rearm": "operator"}
        kwargs = dict(
            commission_bps=costs.commission_bps, slippage_bps=costs.slippage_bps, fill="close",
            min_weight=overlay.min_exposure, max_weight=overlay.max_exposure,
            drawdown_thresholds=overlay.drawdown_thresholds, drawdown_scales=overlay.drawdown_scales,
            drawdown_soft_cap=overlay.drawdown_soft_cap, max_turnover=overlay.max_turnover, **rearm,
            trailing_stop=overlay.trailing_stop, trailing_window=overlay.trailing_window,
            correlation_scale=overlay.correlation_scale, correlation_stop=overlay.correlation_stop,
            correlation_window=overlay.correlation_window, autocorr_threshold=overlay.autocorr_threshold,
            autocorr_lags=overlay.autocorr_lags, autocorr_window=overlay.autocorr_window,
            autocorr_tighten=overlay.autocorr_tighten,
        )
        kwargs.update(overrides)
        return cls(**kwargs)
