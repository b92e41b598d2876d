"""Mark to market: spreads from stored quotes (mid and the conservative side), else by a pricing model.

Pure: the caller passes the quotes of the day, the underlying's close, a volatility and a model price
function (Black-Scholes in production). The mark records where its price came from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from domain.portfolio.positions import OptionLeg, SpreadPosition, StockPosition

# (option_type, spot, strike, years_to_expiry, rate, vol) -> price per share
ModelPrice = Callable[[str, float, float, float, float, float, float], float]

SOURCE_QUOTE = "quote"  # both legs quoted: price = mid, price_conservative = cost to close at bid/ask
SOURCE_MODEL = "model"  # at least one leg unquoted: every leg priced by the model
SOURCE_EXPIRED = "intrinsic"  # at/after expiration: intrinsic value at the underlying's close
SOURCE_CLOSE = "close"  # stocks/ETFs: the day's close


@dataclass(frozen=True)
class QuoteRow:
    bid: float
    ask: float
    implied_vol: float | None = None

    @property
    def mid(self) -> float:
        return 0.5 * (self.bid + self.ask)


QuoteKey = tuple[str, dt.date, float, str]  # (underlying, expiration, strike, option_type)


def quote_key(underlying: str, leg: OptionLeg) -> QuoteKey:
    return (underlying, leg.expiration, round(float(leg.strike), 4), leg.option_type)


@dataclass(frozen=True)
class Mark:
    position_id: int | None
    as_of: dt.date
    kind: str  # 'spread' | 'stock'
    source: str
    price: float  # spread value (to buy back) or stock close, per share, mid
    price_conservative: float  # spread: short at ask, long at bid; stock: the close
    underlying_price: float | None
    unrealized_pnl: float
    unrealized_pnl_conservative: float
    dte: int | None = None  # calendar days to expiration
    credit: float | None = None
    value_to_credit: float | None = None  # spread value / entry credit (2.0 = loss limit)
    profit_fraction: float | None = None  # unrealized P&L / max profit
    return_pct: float | None = None  # stocks: direction-aware return since entry
    sessions_held: int | None = None  # stocks: trading sessions since opened
    vol_used: float | None = None  # model marks: the volatility fed to the model


def intrinsic(option_type: str, spot: float, strike: float) -> float:
    return max(spot - strike, 0.0) if option_type == "call" else max(strike - spot, 0.0)


def mark_spread(
    position: SpreadPosition,
    as_of: dt.date,
    quotes: Mapping[QuoteKey, QuoteRow],
    underlying_price: float | None,
    model_price: ModelPrice,
    vol: float,
    rate: float,
    div_yield: float = 0.0,
) -> Mark | None:
    """Value of the spread at `as_of`; None when neither quotes nor an underlying price exist.
    `div_yield` is the underlying's continuous dividend yield fed to the model (TLT pays ~4%)."""
    dte = (position.expiration - as_of).days
    short, long_ = position.short_leg, position.long_leg
    if dte <= 0:
        if underlying_price is None:
            return None
        value = intrinsic(short.option_type, underlying_price, short.strike) - intrinsic(
            long_.option_type, underlying_price, long_.strike
        )
        return _spread_mark(position, as_of, SOURCE_EXPIRED, value, value, underlying_price, max(dte, 0), None)
    q_short = quotes.get(quote_key(position.underlying, short))
    q_long = quotes.get(quote_key(position.underlying, long_))
    if q_short is not None and q_long is not None:
        mid = q_short.mid - q_long.mid
        conservative = q_short.ask - q_long.bid
        return _spread_mark(position, as_of, SOURCE_QUOTE, mid, conservative, underlying_price, dte, None)
    if underlying_price is None:
        return None
    years = dte / 365.0

    def leg_price(leg: OptionLeg, q: QuoteRow | None) -> float:
        leg_vol = q.implied_vol if (q is not None and q.implied_vol) else vol
        return float(model_price(leg.option_type, underlying_price, leg.strike, years, rate, leg_vol, div_yield))

    value = leg_price(short, q_short) - leg_price(long_, q_long)
    return _spread_mark(position, as_of, SOURCE_MODEL, value, value, underlying_price, dte, vol)


def _spread_mark(
    position: SpreadPosition,
    as_of: dt.date,
    source: str,
    value: float,
    conservative: float,
    underlying_price: float | None,
    dte: int,
    vol: float | None,
) -> Mark:
    # A spread is worth between 0 and its width; quotes and models can stray outside by rounding.
    value = min(max(value, 0.0), position.width)
    conservative = min(max(conservative, value), position.width)
    pnl = position.pnl_at(value)
    return Mark(
        position_id=position.id,
        as_of=as_of,
        kind="spread",
        source=source,
        price=value,
        price_conservative=conservative,
        underlying_price=underlying_price,
        unrealized_pnl=pnl,
        unrealized_pnl_conservative=position.pnl_at(conservative),
        dte=dte,
        credit=position.entry_credit,
        value_to_credit=value / position.entry_credit,
        profit_fraction=pnl / position.max_profit,
        vol_used=vol,
    )


def mark_stock(position: StockPosition, as_of: dt.date, close: float | None, sessions_held: int) -> Mark | None:
    if close is None:
        return None
    pnl = position.pnl_at(close)
    return Mark(
        position_id=position.id,
        as_of=as_of,
        kind="stock",
        source=SOURCE_CLOSE,
        price=close,
        price_conservative=close,
        underlying_price=close,
        unrealized_pnl=pnl,
        unrealized_pnl_conservative=pnl,
        return_pct=position.return_at(close),
        sessions_held=sessions_held,
    )
