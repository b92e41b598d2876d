"""The book step of targets of kind "spreads": the proposals become orders for the next session, not fills.

A proposed credit spread is an order to sell ``contracts`` spreads at its natural credit (per share); the
paper book does not fill it, because an option spread is only held once the desk has traded it and recorded
it (``quantops positions add``), from which on the daily marks, exit rules and NAV follow it. In the orders
table a spread order reads like any sale: quantity -contracts, reference price the credit, notional
quantity x credit x contract multiplier (the premium), weight change notional / the book's capital.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from domain.book.book import Order
from domain.errors import InputError
from domain.strategies.base import SpreadProposal, Targets

TIMING = "proposal"  # the orders' timing column: proposed to the desk, never paper-filled
DEFAULT_MULTIPLIER = 100


def spread_label(p: SpreadProposal) -> str:
    """'TLT 2025-02-21 P 85/82': underlying, expiry, put/call, short/long strike (fits the orders table)."""
    kind = "P" if p.option_type == "put" else "C"
    return f"{p.underlying} {pd.Timestamp(p.expiration).date()} {kind} {p.short_strike:g}/{p.long_strike:g}"


def parse_spread_label(label: str) -> dict:
    """The inverse of ``spread_label``: underlying, expiration (date), option_type, short_strike, long_strike."""
    try:
        underlying, expiry, kind, strikes = label.split()
        short, long = (float(k) for k in strikes.split("/"))
        return {"underlying": underlying, "expiration": dt.date.fromisoformat(expiry),
                "option_type": {"P": "put", "C": "call"}[kind], "short_strike": short, "long_strike": long}
    except (ValueError, KeyError):
        raise InputError(f"{label!r} is not a spread order ('TLT 2025-02-21 P 85/82')") from None


def spread_orders(targets: Targets, capital: float) -> list[Order]:
    """One sell order per proposal with contracts > 0 (a proposal sized to 0 contracts is no order)."""
    out = []
    for p in targets.spreads:
        if p.contracts <= 0:
            continue
        multiplier = float(p.details.get("multiplier", DEFAULT_MULTIPLIER))
        quantity = -float(p.contracts)
        notional = quantity * p.credit * multiplier
        out.append(Order(spread_label(p), notional / capital, float(p.credit), notional, quantity))
    return out
