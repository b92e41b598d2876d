"""What decide hands a strategy as its book: the stored paper book with the strategy's past live forecasts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from domain.book import Book
from tasks.signals import with_live_forecasts


def test_the_stored_book_carries_past_forecasts_and_a_new_book_gets_them_too():
    history = pd.DataFrame({"as_of": pd.bdate_range("2024-01-01", periods=3).date, "forecast": [0.1, np.nan, -0.2]})
    stored = Book(capital=1e6, equity=1.1e6)
    book = with_live_forecasts(stored, history)
    assert book.equity == 1.1e6 and list(book.forecasts.dropna()) == [0.1, -0.2]
    assert with_live_forecasts(None, history).forecasts.index[0] == pd.Timestamp("2024-01-01")
    assert with_live_forecasts(stored, history.iloc[:0]) is stored
    assert with_live_forecasts(None, history.assign(forecast=np.nan)) is None
