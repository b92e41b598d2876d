"""XNYS trading sessions (exchange_calendars): which dates trade, and stepping between sessions."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import exchange_calendars as xcals
import numpy as np
import pandas as pd

CALENDAR_START = "1990-01-02"
# A fixed horizon keeps the library free of the clock (exchange_calendars otherwise reads today).
CALENDAR_END = "2030-12-31"


@lru_cache(maxsize=1)
def _xnys():
    return xcals.get_calendar("XNYS", start=CALENDAR_START, end=CALENDAR_END)


@lru_cache(maxsize=1)
def _sessions() -> pd.DatetimeIndex:
    return _xnys().sessions.tz_localize(None) if _xnys().sessions.tz is not None else _xnys().sessions


def as_date(value: dt.date | str | pd.Timestamp) -> dt.date:
    return pd.Timestamp(value).date()


def is_session(day: dt.date | str) -> bool:
    return pd.Timestamp(as_date(day)) in _sessions()


def sessions_between(start: dt.date | str, end: dt.date | str) -> list[dt.date]:
    """XNYS sessions with start <= session <= end, in order."""
    idx = _sessions()
    window = idx[(idx >= pd.Timestamp(as_date(start))) & (idx <= pd.Timestamp(as_date(end)))]
    return [ts.date() for ts in window]


def are_sessions(dates: pd.Series) -> np.ndarray:
    """Vectorised membership test for a column of dates."""
    return pd.to_datetime(dates).dt.normalize().isin(_sessions()).to_numpy()


def previous_session(day: dt.date | str, inclusive: bool = False) -> dt.date:
    """The last session strictly before `day` (or on it, if `inclusive` and it is one)."""
    idx = _sessions()
    ts = pd.Timestamp(as_date(day))
    pos = idx.searchsorted(ts, side="right" if inclusive else "left") - 1
    if pos < 0:
        raise ValueError(f"no XNYS session before {ts.date()}")
    return idx[pos].date()


def next_session(day: dt.date | str) -> dt.date:
    idx = _sessions()
    pos = idx.searchsorted(pd.Timestamp(as_date(day)), side="right")
    return idx[pos].date()


def last_completed_session(now: dt.datetime) -> dt.date:
    """The latest session whose close (16:00 New York) is at or before `now` (a tz-aware datetime)."""
    ny = pd.Timestamp(now).tz_convert("America/New_York")
    today = ny.date()
    if is_session(today) and ny.hour >= 16:
        return today
    return previous_session(today)


def first_session_after_quarter_end(day: dt.date | str) -> bool:
    """True on the first session of a calendar quarter (the quarterly retrain day)."""
    d = as_date(day)
    if not is_session(d):
        return False
    return previous_session(d).month != d.month and d.month in (1, 4, 7, 10)
