"""Positions as small frozen value objects: option credit spreads and stock/ETF holdings.

Prices of options are per share (as quoted); one contract is `CONTRACT_MULTIPLIER` shares.
A credit spread is one short leg and one long leg of the same type and expiration; `contracts`
is the number of spreads and `entry_credit` the credit received per spread, per share.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from domain.errors import InputError

CONTRACT_MULTIPLIER = 100
OPTION_TYPES = ("put", "call")
MAX_IV = 5.0  # decimal, 500%: the ingest's bound on a quote's implied vol


@dataclass(frozen=True)
class OptionLeg:
    option_type: str  # 'put' | 'call'
    strike: float
    expiration: dt.date
    quantity: int  # signed per spread: -1 short, +1 long
    entry_price: float | None = None

    def __post_init__(self) -> None:
        if self.option_type not in OPTION_TYPES:
            raise InputError(f"option type must be put or call, got {self.option_type!r}")
        if not (self.strike > 0 and math.isfinite(self.strike)):
            raise InputError(f"strike must be positive (and finite), got {self.strike}")
        if self.quantity == 0:
            raise InputError("leg quantity must not be zero")


@dataclass(frozen=True)
class ExitRecord:
    date: dt.date
    price: float
    reason: str


@dataclass(frozen=True)
class SpreadPosition:
    id: int | None
    strategy: str
    underlying: str
    short_leg: OptionLeg
    long_leg: OptionLeg
    contracts: int
    entry_credit: float
    underlying_at_entry: float
    opened: dt.date
    iv: float | None = None
    delta: float | None = None
    status: str = "open"
    exit: ExitRecord | None = None

    def __post_init__(self) -> None:
        s, lg = self.short_leg, self.long_leg
        if s.option_type != lg.option_type:
            raise InputError("both legs of a spread must be the same type (put or call)")
        if s.expiration != lg.expiration:
            raise InputError("both legs of a spread must share the expiration")
        if s.strike == lg.strike:
            raise InputError("short and long strike must differ")
        if s.quantity >= 0 or lg.quantity <= 0:
            raise InputError("a credit spread has one short leg (quantity < 0) and one long leg (> 0)")
        # A credit spread: the short leg is nearer the money than the long leg.
        if s.option_type == "put" and not s.strike > lg.strike:
            raise InputError(f"a bull put spread sells the higher strike: short {s.strike} <= long {lg.strike}")
        if s.option_type == "call" and not s.strike < lg.strike:
            raise InputError(f"a bear call spread sells the lower strike: short {s.strike} >= long {lg.strike}")
        if self.contracts <= 0:
            raise InputError(f"contracts must be positive, got {self.contracts}")
        if not self.entry_credit > 0:
            raise InputError(f"entry credit must be positive, got {self.entry_credit}")
        if not self.entry_credit < self.width:
            raise InputError(f"entry credit {self.entry_credit} must be below the spread width {self.width}")
        if not (self.underlying_at_entry > 0 and math.isfinite(self.underlying_at_entry)):
            raise InputError(f"underlying price must be positive (and finite), got {self.underlying_at_entry}")
        if self.opened > self.expiration:
            raise InputError(f"opened {self.opened} after expiration {self.expiration}")

    @property
    def option_type(self) -> str:
        return self.short_leg.option_type

    @property
    def expiration(self) -> dt.date:
        return self.short_leg.expiration

    @property
    def width(self) -> float:
        return abs(self.short_leg.strike - self.long_leg.strike)

    @property
    def max_profit(self) -> float:
        return self.entry_credit * self.contracts * CONTRACT_MULTIPLIER

    @property
    def max_loss(self) -> float:
        return (self.width - self.entry_credit) * self.contracts * CONTRACT_MULTIPLIER

    def pnl_at(self, spread_value: float) -> float:
        """P&L (currency) if the spread is bought back at `spread_value` per share."""
        return (self.entry_credit - spread_value) * self.contracts * CONTRACT_MULTIPLIER


@dataclass(frozen=True)
class StockPosition:
    id: int | None
    strategy: str
    symbol: str
    quantity: float  # signed: negative is short
    entry_price: float
    opened: dt.date
    status: str = "open"
    exit: ExitRecord | None = None

    def __post_init__(self) -> None:
        if self.quantity == 0 or not math.isfinite(self.quantity):
            raise InputError(f"quantity must be a finite non-zero number, got {self.quantity}")
        if not (self.entry_price > 0 and math.isfinite(self.entry_price)):
            raise InputError(f"entry price must be positive (and finite), got {self.entry_price}")

    def pnl_at(self, price: float) -> float:
        return (price - self.entry_price) * self.quantity

    def return_at(self, price: float) -> float:
        """Return on the position, direction-aware (a short gains when the price falls)."""
        sign = 1.0 if self.quantity > 0 else -1.0
        return sign * (price / self.entry_price - 1.0)


Position = SpreadPosition | StockPosition


def make_credit_spread(
    *,
    strategy: str,
    option_type: str,
    short_strike: float,
    long_strike: float,
    expiration: dt.date,
    credit: float,
    contracts: int,
    underlying_price: float,
    opened: dt.date,
    underlying: str = "TLT",
    iv: float | None = None,
    delta: float | None = None,
    id: int | None = None,
) -> SpreadPosition:
    # checked here, for a new position, not in SpreadPosition: a row stored before stays readable
    if iv is not None and not 0 < iv <= MAX_IV:
        raise InputError(f"iv must be a decimal in (0, {MAX_IV:g}] (0.168 = 16.8%), got {iv}")
    if delta is not None and not -1 <= delta <= 1:
        raise InputError(f"delta must be in [-1, 1], got {delta}")
    return SpreadPosition(
        id=id,
        strategy=strategy,
        underlying=underlying,
        short_leg=OptionLeg(option_type, float(short_strike), expiration, -1),
        long_leg=OptionLeg(option_type, float(long_strike), expiration, +1),
        contracts=int(contracts),
        entry_credit=float(credit),
        underlying_at_entry=float(underlying_price),
        opened=opened,
        iv=iv,
        delta=delta,
    )


def realized_pnl(position: Position) -> float:
    """P&L of a closed position at its exit price."""
    if position.exit is None:
        raise InputError(f"position {position.id} is not closed")
    return position.pnl_at(position.exit.price)
