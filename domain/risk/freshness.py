"""The data-freshness rule: a day is marked only if every held instrument has a price recent enough.

A held instrument (a stock's symbol, a spread's underlying) needs a close on the session being marked, or
on one of the `grace_sessions` sessions before it (grace 0: that session's own close). Anything older, or
no close at all, is missing: the day's marking fails, naming each one, and the day can be re-run when
the data arrives. Pure: the caller looks the last closes up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from domain.calendar import previous_session
from domain.errors import DataMissing

__all__ = ["DataMissing", "Stale", "missing_message", "oldest_allowed", "stale_inputs"]


@dataclass(frozen=True)
class Stale:
    name: str
    last: dt.date | None  # the newest close on or before the day, if any

    def describe(self) -> str:
        return f"{self.name} close (last {self.last.isoformat()})" if self.last else f"{self.name} close (none)"


def oldest_allowed(as_of: dt.date, grace_sessions: int) -> dt.date:
    """The oldest close date still fresh enough for `as_of`."""
    day = as_of
    for _ in range(grace_sessions):
        day = previous_session(day)
    return day


def stale_inputs(last_close: Mapping[str, dt.date | None], as_of: dt.date, grace_sessions: int) -> list[Stale]:
    """Every instrument whose newest close is older than the grace allows (or absent), by name."""
    floor = oldest_allowed(as_of, grace_sessions)
    return [Stale(name, last) for name, last in sorted(last_close.items()) if last is None or last < floor]


def missing_message(as_of: dt.date, stale: list[Stale], grace_sessions: int) -> str:
    listed = ", ".join(s.describe() for s in stale)
    return (f"market data missing for {as_of.isoformat()}: {listed}; held positions cannot be marked "
            f"(grace {grace_sessions} session(s)). Nothing was stored for the day; re-run it "
            f"(quantops daily --date {as_of.isoformat()}) when the data has arrived.")
