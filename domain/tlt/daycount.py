"""One day count for the TLT overlay (issue 13 item 3): calendar days at every interface, XNYS sessions inside.

Expirations and DTE thresholds are calendar days, as on an option chain, in the live exit rule and in
marking (the design document's example runs from a 2024-12-30 quote to a 2025-02-14 expiry: 46 days).
The simulation steps from one XNYS session to the next (the yields move by dt = 1/252 a step): column k
of a path is the k-th session after entry, and an option on it has (expiry - session_k).days / 365
years left. Theta per day (``domain.pricing.black_scholes.Greeks.theta_day``) is per calendar day too.
An expiry that is no session (a holiday) settles on the session before it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from domain.calendar import as_date, sessions_between
from domain.errors import InputError

CALENDAR_DAYS = 365.0


@dataclass(frozen=True)
class Schedule:
    sessions: tuple[dt.date, ...]  # entry day first, then every XNYS session up to the expiry's

    @property
    def n(self) -> int:
        """Sessions after entry: the paths' length in steps."""
        return len(self.sessions) - 1

    @property
    def expiry(self) -> dt.date:
        return self.sessions[-1]

    @property
    def dte(self) -> np.ndarray:
        """Calendar days to expiry on each column (entry first, 0 on the last)."""
        return np.array([(self.expiry - d).days for d in self.sessions], dtype=int)

    @property
    def years(self) -> np.ndarray:
        return self.dte / CALENDAR_DAYS

    @property
    def elapsed(self) -> np.ndarray:
        """Calendar years since entry on each column (0 first): the horizon the prices along a path use."""
        return self.years[0] - self.years


def schedule(entry: dt.date | str, expiry: dt.date | str) -> Schedule:
    """Entry day and the sessions after it through `expiry` (or the last session before it)."""
    entry, expiry = as_date(entry), as_date(expiry)
    after = [d for d in sessions_between(entry, expiry) if d > entry]
    if not after:
        raise InputError(f"no XNYS session between {entry} and the expiry {expiry}")
    return Schedule((entry, *after))


def schedule_days(entry: dt.date | str, calendar_days: int) -> Schedule:
    """The schedule of an option expiring `calendar_days` after `entry`."""
    if calendar_days < 1:
        raise InputError(f"days to expiry must be at least 1, got {calendar_days}")
    return schedule(entry, as_date(entry) + dt.timedelta(days=int(calendar_days)))
