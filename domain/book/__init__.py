"""One book, one stepper: a strategy's ``Book``, its ``Rules``, the pure daily
``step(book, targets, prices, rules) -> (book, fills, events)`` and the backtest ``run_book`` that loops
over the same session function (``kernel.advance``)."""

from domain.book.backtest import BookResult, run_book
from domain.book.book import Book, Event, Fill, Order, active_filters, orders, rearm, step
from domain.book.kernel import FLAG_NAMES
from domain.book.rules import Rules

__all__ = ["Book", "BookResult", "Event", "FLAG_NAMES", "Fill", "Order", "Rules", "active_filters", "orders", "rearm", "run_book",
           "step"]
