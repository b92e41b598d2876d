"""An accepted spread proposal becomes a position: `quantops orders fill ID --price CREDIT` on an order of
kind "proposal" (``domain.book.spread_orders``) opens the credit spread it names, as `quantops positions add`
would, and records the desk's fill: from then on the daily marks, exit rules and NAV follow the position, and
it counts against the next proposals' loss budget. Everything is checked before anything is written, the
position and the order's fill are written in one transaction, and an order fills once: a second fill (a price
corrected, a second partial fill) would open the spread again and count it twice in the NAV and the budget."""

from __future__ import annotations

import math

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from domain.book.spread_orders import TIMING, parse_spread_label
from domain.calendar import next_session
from domain.errors import InputError
from domain.portfolio.positions import make_credit_spread
from infra.book_store import apply_actual_fill
from infra.db.engine import transaction
from infra.db.models.books import BookOrderRow
from infra.portfolio_store import add_spread
from infra.research_store import load_targets


def fill_spread_order(engine: Engine, order_id: int, price: float, quantity: float | None = None,
                      note: str | None = None) -> tuple[BookOrderRow, int] | None:
    """(the filled order, the new position's id) for a spread proposal's order; None for any other order
    (the caller records it as usual). Contracts = |quantity| (default the order's), credit = ``price``,
    opened the session after the order was decided, at the underlying price the proposal was evaluated at."""
    with Session(engine) as s:
        order = s.get(BookOrderRow, order_id)
        if order is None or order.timing != TIMING:
            return None
        strategy, decided_on, instrument, ordered = order.strategy, order.decided_on, order.instrument, order.quantity
    contracts = -float(ordered if quantity is None else quantity)
    if not (contracts > 0 and math.isfinite(contracts) and contracts == int(contracts)):
        raise InputError(f"orders fill: a spread order fills in whole contracts sold (--quantity < 0, e.g. "
                         f"{ordered:g}), got {quantity}")
    if not (price > 0 and math.isfinite(price)):
        raise InputError(f"orders fill: --price (the credit per share) must be > 0, got {price}")
    targets = load_targets(engine, strategy, decided_on)
    spot = (targets.details or {}).get("spot") if targets is not None else None
    if spot is None:
        raise InputError(f"orders fill: no stored proposal of {strategy} on {decided_on} to take the underlying "
                         "price from; record the trade with `quantops positions add`")
    position = make_credit_spread(strategy=strategy, credit=float(price), contracts=int(contracts),
                                  underlying_price=float(spot), opened=next_session(decided_on),
                                  **parse_spread_label(instrument))
    with transaction(engine) as session:
        row = session.get(BookOrderRow, order_id, with_for_update=True)
        if row.actual_price is not None:
            raise InputError(f"orders fill: order {order_id} is already filled ({-row.actual_quantity:g} contracts "
                             f"at {row.actual_price:g}); to change it, close that position and add the trade "
                             "with `quantops positions add`")
        pid = add_spread(session, position)
        apply_actual_fill(row, price, -contracts, note)
    return row, pid
