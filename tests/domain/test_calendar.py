"""XNYS calendar: which dates trade, stepping between sessions, and the last completed session."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from domain.calendar import (
    are_sessions,
    first_session_after_quarter_end,
    is_session,
    last_completed_session,
    next_session,
    previous_session,
    sessions_between,
)

D = dt.date


@pytest.mark.parametrize(
    "day, expected",
    [
        (D(2024, 7, 3), True),  # early close is still a session
        (D(2024, 7, 4), False),  # Independence Day
        (D(2024, 7, 6), False),  # Saturday
        (D(2024, 7, 7), False),  # Sunday
        (D(2024, 3, 29), False),  # Good Friday (the bond market's FRED series may still have a value)
        (D(2024, 12, 25), False),
        (D(2001, 9, 11), False),  # 9/11 closure
        (D(2001, 9, 14), False),
        (D(2001, 9, 17), True),
        (D(2012, 10, 29), False),  # Hurricane Sandy
        (D(2018, 12, 5), False),  # national day of mourning (G.H.W. Bush)
        (D(2025, 1, 9), False),  # national day of mourning (Carter)
        (D(2024, 12, 31), True),
    ],
)
def test_is_session(day, expected):
    assert is_session(day) is expected
    assert is_session(day.isoformat()) is expected


def test_sessions_between_is_ordered_inclusive_and_skips_closures():
    days = sessions_between(D(2024, 7, 1), D(2024, 7, 8))
    assert days == [D(2024, 7, 1), D(2024, 7, 2), D(2024, 7, 3), D(2024, 7, 5), D(2024, 7, 8)]
    assert sessions_between("2024-07-06", "2024-07-07") == []
    assert sessions_between(D(2024, 7, 8), D(2024, 7, 1)) == []
    year = sessions_between(D(2023, 1, 1), D(2023, 12, 31))
    assert len(year) == 250
    assert year == sorted(year)


def test_are_sessions_is_vectorised_and_ignores_time_of_day():
    dates = pd.Series(pd.to_datetime(["2024-07-03 15:59", "2024-07-04 00:00", "2024-07-05 09:30", "2024-07-06 00:00"]))
    assert are_sessions(dates).tolist() == [True, False, True, False]


def test_previous_and_next_session():
    assert previous_session(D(2024, 7, 5)) == D(2024, 7, 3)
    assert previous_session(D(2024, 7, 5), inclusive=True) == D(2024, 7, 5)
    assert previous_session(D(2024, 7, 7), inclusive=True) == D(2024, 7, 5)
    assert next_session(D(2024, 7, 3)) == D(2024, 7, 5)
    assert next_session(D(2024, 12, 31)) == D(2025, 1, 2)
    with pytest.raises(ValueError):
        previous_session(D(1990, 1, 2))


@pytest.mark.parametrize(
    "now, expected",
    [
        ("2024-07-05 19:59:00+00:00", D(2024, 7, 3)),  # 15:59 in New York (EDT): Friday not yet closed
        ("2024-07-05 20:00:00+00:00", D(2024, 7, 5)),  # 16:00 EDT
        ("2024-07-04 23:00:00+00:00", D(2024, 7, 3)),  # the holiday itself, after 16:00
        ("2024-07-06 12:00:00+00:00", D(2024, 7, 5)),  # Saturday
        ("2024-01-08 20:30:00+00:00", D(2024, 1, 5)),  # 15:30 EST on a Monday
        ("2024-01-08 21:00:00+00:00", D(2024, 1, 8)),  # 16:00 EST
        ("2024-07-09 02:00:00+00:00", D(2024, 7, 8)),  # UTC is already the next day; New York is not
    ],
)
def test_last_completed_session(now, expected):
    assert last_completed_session(pd.Timestamp(now).to_pydatetime()) == expected


def test_first_session_after_quarter_end():
    assert first_session_after_quarter_end(D(2024, 7, 1))
    assert first_session_after_quarter_end(D(2024, 1, 2))  # Jan 1 is a holiday
    assert not first_session_after_quarter_end(D(2024, 1, 1))
    assert not first_session_after_quarter_end(D(2024, 7, 2))
    assert not first_session_after_quarter_end(D(2024, 8, 1))  # a new month, not a new quarter
    assert first_session_after_quarter_end(D(2024, 4, 1))
    assert first_session_after_quarter_end(D(2023, 10, 2))
