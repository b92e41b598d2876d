"""pandera models for every market-data frame that crosses the infra boundary.

Readers hand these models frames whose numbers are already parsed (unparseable cells are NaN, so the
`not_nullable` rule names them). `today` bounds the dates; it is passed in so that tests can pin it.
"""

from __future__ import annotations

import contextvars
import datetime as dt

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from domain.calendar import are_sessions
from infra.db.limits import text_limit
from infra.db.models.market import DailyBar, OptionQuote, YieldObservation

PRICE_TOLERANCE = 1e-6  # relative: vendors store OHLC as float32-derived values
MAX_DAILY_RATIO = 4.0  # a close more than 4x (or under 1/4) the previous one needs a split to explain it
SPLIT_RATIOS = np.array([2, 3, 4, 5, 6, 7, 8, 10, 15, 20, 3 / 2, 4 / 3, 5 / 4, 5 / 2, 5 / 3], dtype=float)
MAX_YIELD_PERCENT = 25.0
MIN_YIELD_PERCENT = -2.0
MAX_IMPLIED_VOL = 5.0  # decimal, i.e. 500%
# Text limits are the database columns' (SQLite would store a longer text, PostgreSQL refuse it).
SYMBOL_LENGTH = text_limit(DailyBar, "symbol")
SERIES_LENGTH = text_limit(YieldObservation, "series")
UNDERLYING_LENGTH = text_limit(OptionQuote, "underlying")
QUOTE_TIME_LENGTH = text_limit(OptionQuote, "quote_time")


def _length_rule(limit: int) -> str:
    return f"at_most_{limit}_characters"

# Human-readable text for every rule, keyed by the check name pandera reports.
RULES: dict[str, str] = {
    "not_nullable": "value missing or not a number",
    "greater_than(0)": "must be positive",
    "greater_than_or_equal_to(0)": "must not be negative",
    "high_not_below_low": "high >= low",
    "open_inside_range": "open within [low, high]",
    "close_inside_range": "close within [low, high]",
    "adj_close_positive": "adj_close must be positive",
    "on_xnys_session": "date must be an XNYS trading session",
    "on_weekday": "date must be a weekday",
    "not_in_future": "date must not be after today",
    "unique_key": "duplicate key (the same instrument and date twice)",
    "no_unexplained_jump": f"close moved more than {MAX_DAILY_RATIO:g}x in a day with no split or distribution "
                           "to explain it",
    "plausible_yield": f"yield must be within [{MIN_YIELD_PERCENT}, {MAX_YIELD_PERCENT}] percent",
    "bid_not_above_ask": "bid <= ask",
    "expiry_after_quote_date": "expiration after the quote date",
    "plausible_implied_vol": f"implied_vol within [0, {MAX_IMPLIED_VOL * 100:g}] percent",
    "delta_in_range": "delta within [-1, 1]",
    "isin(['call', 'put'])": "must be put/call/p/c",
    # inf, Infinity and 1e309 parse as infinity, which passes "> 0" (and PostgreSQL's binary COPY has no inf)
    "finite": "must be a finite number (not inf)",
    **{_length_rule(n): f"longer than {n} characters (the database column's limit)"
       for n in (SYMBOL_LENGTH, SERIES_LENGTH, UNDERLYING_LENGTH, QUOTE_TIME_LENGTH)},
}


def rule_text(check: str, column: str | None) -> str:
    text = RULES.get(str(check), str(check))
    if column and column not in ("", "None") and not text.startswith(f"{column}:"):
        return f"{column}: {text}"
    return text


VALIDATION_DAY: contextvars.ContextVar[dt.date | None] = contextvars.ContextVar("validation_day", default=None)
# The stored bar before each symbol's first row in the batch (symbol, date, close, adj_close), if any.
PRIOR_BARS: contextvars.ContextVar[pd.DataFrame | None] = contextvars.ContextVar("prior_bars", default=None)


def _today(_df: pd.DataFrame) -> pd.Timestamp:
    return pd.Timestamp(VALIDATION_DAY.get() or dt.date.today())


def _symbol_codes(symbols: pd.Series, prior: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    categories = symbols.cat.categories if isinstance(symbols.dtype, pd.CategoricalDtype) \
        else pd.Index(symbols.dropna().unique())
    codes = symbols.cat.codes.to_numpy() if isinstance(symbols.dtype, pd.CategoricalDtype) \
        else categories.get_indexer(symbols)
    return codes, categories.get_indexer(prior.astype(object))


def _no_unexplained_jump(df: pd.DataFrame, prior: pd.DataFrame | None) -> np.ndarray:
    """Per row of `df`: its close is within 4x of the symbol's previous close, or a split or distribution
    explains the move. The previous close is the row before in `df`, or for a symbol's first row the stored
    bar in `prior` (so a one-day file is checked too)."""
    prior = prior if prior is not None else pd.DataFrame(columns=["symbol", "date", "close", "adj_close"])
    codes, prior_codes = _symbol_codes(df["symbol"], prior["symbol"])
    known = prior_codes >= 0  # a stored symbol the file does not mention has nothing to compare
    symbol = np.r_[prior_codes[known], codes]
    dates = np.r_[prior["date"].to_numpy(dtype="datetime64[ns]")[known], df["date"].to_numpy(dtype="datetime64[ns]")]
    order = np.lexsort((dates, symbol))
    same_symbol = np.r_[False, symbol[order][1:] == symbol[order][:-1]]

    def move(column: str) -> np.ndarray:
        price = np.r_[prior[column].to_numpy(dtype=float)[known], df[column].to_numpy(dtype=float)][order]
        price[~np.isfinite(price)] = np.nan  # an infinite price is the finite rule's, not a jump of its neighbours
        with np.errstate(divide="ignore", invalid="ignore"):  # zero prices are the gt(0) rule's to report
            ratio = price[1:] / price[:-1]
            return np.where(same_symbol, np.r_[1.0, np.maximum(ratio, 1.0 / ratio)], 1.0)

    big = move("close")
    suspect = np.flatnonzero(big > MAX_DAILY_RATIO)
    split = np.isclose(big[suspect, None], SPLIT_RATIOS[None, :], rtol=0.02).any(axis=1)
    # a distribution (KDP's 2018 special dividend) moves the quoted close, not the total-return close
    distribution = move("adj_close")[suspect] <= MAX_DAILY_RATIO
    ok = np.ones(len(symbol), dtype=bool)
    ok[order[suspect]] = split | distribution
    return ok[int(known.sum()):]


def _finite(series: pd.Series) -> pd.Series:
    """True where the value is not +-inf; a missing value is the not_nullable rule's to report."""
    return pd.Series(~np.isinf(series.to_numpy(dtype=float)), index=series.index)


def _fits(series: pd.Series, limit: int) -> pd.Series:
    """True where the text has at most `limit` characters; measured once per category of a categorical."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        fits = np.append(series.cat.categories.astype(str).str.len() <= limit, True)  # code -1: missing
        return pd.Series(fits[series.cat.codes.to_numpy()], index=series.index)
    return series.astype("string").str.len().fillna(0) <= limit


def _inside(value: pd.Series, low: pd.Series, high: pd.Series) -> pd.Series:
    slack = PRICE_TOLERANCE * high.abs() + PRICE_TOLERANCE
    return (value >= low - slack) & (value <= high + slack)


class BarsSchema(pa.DataFrameModel):
    # categorical: a few hundred symbols over millions of rows (a tenth of the memory, fast keys)
    symbol: Series[pd.CategoricalDtype] = pa.Field(nullable=False)
    date: Series[pd.Timestamp] = pa.Field(nullable=False)
    open: Series[float] = pa.Field(gt=0, nullable=False)
    high: Series[float] = pa.Field(gt=0, nullable=False)
    low: Series[float] = pa.Field(gt=0, nullable=False)
    close: Series[float] = pa.Field(gt=0, nullable=False)
    adj_close: Series[float] = pa.Field(gt=0, nullable=False)
    volume: Series[float] = pa.Field(ge=0, nullable=False)
    # only live providers send them (raw prices + actions); files carry their own adj_close instead
    dividend: Series[float] | None = pa.Field(ge=0, nullable=False)
    split_ratio: Series[float] | None = pa.Field(gt=0, nullable=False)

    @pa.check("open", "high", "low", "close", "adj_close", "volume", "dividend", "split_ratio", name="finite")
    def finite(cls, series: pd.Series) -> pd.Series:
        return _finite(series)

    @pa.check("symbol", name=_length_rule(SYMBOL_LENGTH))
    def symbol_fits(cls, series: pd.Series) -> pd.Series:
        return _fits(series, SYMBOL_LENGTH)

    @pa.dataframe_check
    def high_not_below_low(cls, df: pd.DataFrame) -> pd.Series:
        return df["high"] >= df["low"] * (1 - PRICE_TOLERANCE)

    @pa.dataframe_check
    def open_inside_range(cls, df: pd.DataFrame) -> pd.Series:
        return _inside(df["open"], df["low"], df["high"])

    @pa.dataframe_check
    def close_inside_range(cls, df: pd.DataFrame) -> pd.Series:
        return _inside(df["close"], df["low"], df["high"])

    @pa.dataframe_check
    def on_xnys_session(cls, df: pd.DataFrame) -> pd.Series:
        return pd.Series(are_sessions(df["date"]), index=df.index)

    @pa.dataframe_check
    def not_in_future(cls, df: pd.DataFrame) -> pd.Series:
        return df["date"] <= _today(df)

    @pa.dataframe_check
    def unique_key(cls, df: pd.DataFrame) -> pd.Series:
        return ~df.duplicated(["symbol", "date"], keep=False)

    @pa.dataframe_check
    def no_unexplained_jump(cls, df: pd.DataFrame) -> pd.Series:
        return pd.Series(_no_unexplained_jump(df, PRIOR_BARS.get()), index=df.index)

    class Config:
        strict = True
        coerce = False


class YieldsSchema(pa.DataFrameModel):
    series: Series[str] = pa.Field(nullable=False)
    date: Series[pd.Timestamp] = pa.Field(nullable=False)
    value: Series[float] = pa.Field(nullable=False)

    @pa.check("series", name=_length_rule(SERIES_LENGTH))
    def series_fits(cls, series: pd.Series) -> pd.Series:
        return _fits(series, SERIES_LENGTH)

    @pa.dataframe_check
    def plausible_yield(cls, df: pd.DataFrame) -> pd.Series:
        return df["value"].between(MIN_YIELD_PERCENT, MAX_YIELD_PERCENT)

    @pa.dataframe_check
    def on_weekday(cls, df: pd.DataFrame) -> pd.Series:
        # The bond market keeps its own holidays (FRED publishes some Good Fridays): weekdays only.
        return df["date"].dt.dayofweek < 5

    @pa.dataframe_check
    def not_in_future(cls, df: pd.DataFrame) -> pd.Series:
        return df["date"] <= _today(df)

    @pa.dataframe_check
    def unique_key(cls, df: pd.DataFrame) -> pd.Series:
        return ~df.duplicated(["series", "date"], keep=False)

    class Config:
        strict = True


class OptionQuotesSchema(pa.DataFrameModel):
    underlying: Series[str] = pa.Field(nullable=False)
    quote_date: Series[pd.Timestamp] = pa.Field(nullable=False)
    quote_time: Series[str] = pa.Field(nullable=True)
    underlying_price: Series[float] = pa.Field(gt=0, nullable=False)
    option_type: Series[str] = pa.Field(isin=["call", "put"], nullable=False)
    expiration: Series[pd.Timestamp] = pa.Field(nullable=False)
    strike: Series[float] = pa.Field(gt=0, nullable=False)
    bid: Series[float] = pa.Field(ge=0, nullable=False)
    ask: Series[float] = pa.Field(ge=0, nullable=False)
    implied_vol: Series[float] = pa.Field(nullable=False)
    delta: Series[float] = pa.Field(nullable=False)
    gamma: Series[float] = pa.Field(nullable=True)
    theta: Series[float] = pa.Field(nullable=True)
    vega: Series[float] = pa.Field(nullable=True)
    volume: Series[float] = pa.Field(ge=0, nullable=True)
    open_interest: Series[float] = pa.Field(ge=0, nullable=True)

    @pa.check("underlying_price", "strike", "bid", "ask", "implied_vol", "delta", "gamma", "theta", "vega",
              "volume", "open_interest", name="finite")
    def finite(cls, series: pd.Series) -> pd.Series:
        return _finite(series)

    @pa.check("underlying", name=_length_rule(UNDERLYING_LENGTH))
    def underlying_fits(cls, series: pd.Series) -> pd.Series:
        return _fits(series, UNDERLYING_LENGTH)

    @pa.check("quote_time", name=_length_rule(QUOTE_TIME_LENGTH))
    def quote_time_fits(cls, series: pd.Series) -> pd.Series:
        return _fits(series, QUOTE_TIME_LENGTH)

    @pa.dataframe_check
    def bid_not_above_ask(cls, df: pd.DataFrame) -> pd.Series:
        return df["bid"] <= df["ask"]

    @pa.dataframe_check
    def expiry_after_quote_date(cls, df: pd.DataFrame) -> pd.Series:
        return df["expiration"] > df["quote_date"]

    @pa.dataframe_check
    def plausible_implied_vol(cls, df: pd.DataFrame) -> pd.Series:
        return df["implied_vol"].between(0.0, MAX_IMPLIED_VOL)

    @pa.dataframe_check
    def delta_in_range(cls, df: pd.DataFrame) -> pd.Series:
        return df["delta"].between(-1.0, 1.0)

    @pa.dataframe_check
    def on_xnys_session(cls, df: pd.DataFrame) -> pd.Series:
        return pd.Series(are_sessions(df["quote_date"]), index=df.index)

    @pa.dataframe_check
    def not_in_future(cls, df: pd.DataFrame) -> pd.Series:
        return df["quote_date"] <= _today(df)

    @pa.dataframe_check
    def unique_key(cls, df: pd.DataFrame) -> pd.Series:
        return ~df.duplicated(["underlying", "quote_date", "expiration", "strike", "option_type"], keep=False)

    class Config:
        strict = True


SCHEMAS: dict[str, type[pa.DataFrameModel]] = {
    "bars": BarsSchema,
    "yields": YieldsSchema,
    "options": OptionQuotesSchema,
}
