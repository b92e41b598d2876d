"""Screening of candidate credit spreads on shared Monte Carlo paths (common random numbers).

Candidates come from the model (strikes by target delta and width, entry at the model's implied vol)
or from a vendor chain (strikes, bid/ask and IVs quoted). Money is per share. A candidate's
expiration_days are calendar days to expiry; evaluated from an `entry` date, each one runs on the XNYS
sessions to its expiry (domain/tlt/daycount.py), with its DTE threshold in calendar days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from domain.errors import InputError
from domain.pricing.black_scholes import price as bs_price
from domain.tlt.daycount import Schedule, schedule, schedule_days
from domain.tlt.exits import ExitRule, apply_exits
from domain.tlt.metrics import TradeMetrics, trade_metrics
from domain.tlt.monte_carlo import MarketPaths
from domain.tlt.spreads import BEAR_CALL, BULL_PUT, CreditSpread, select_spread

TRADING_DAYS = 252.0


@dataclass(frozen=True)
class Candidate:
    spread: CreditSpread
    credit: float
    vol_short: float
    vol_long: float
    expiration: str | None = None  # ISO date when the candidate comes from a chain


@dataclass(frozen=True)
class StrategyEvaluation:
    candidate: Candidate
    metrics: TradeMetrics
    exit_reasons: dict[str, float]
    avg_days_held: float

    @property
    def max_loss(self) -> float:
        return self.candidate.spread.max_loss(self.candidate.credit)


def model_candidates(spot: float, vol: float, rate: float, expiration_days: int, kinds, deltas, widths,
                     strike_step: float = 1.0, days_per_year: float = TRADING_DAYS,
                     div_yield: float = 0.0) -> list[Candidate]:
    """One candidate per (kind, target delta, width), duplicates removed, credit at the model price."""
    seen: dict[tuple, Candidate] = {}
    t = expiration_days / days_per_year
    for kind in kinds:
        for d in deltas:
            for w in widths:
                spread = select_spread(kind, spot, expiration_days, rate, vol, d, w, strike_step, days_per_year,
                                       div_yield)
                key = (spread.kind, spread.short_strike, spread.long_strike)
                if key in seen:
                    continue
                credit = float(spread.value(spot, t, rate, vol, div_yield=div_yield))
                if credit > 0.0:
                    seen[key] = Candidate(spread, credit, vol, vol)
    return list(seen.values())


def chain_candidates(chain: pd.DataFrame, min_dte: int, max_dte: int, kinds, deltas, widths,
                     max_short_delta: float = 0.40) -> list[Candidate]:
    """Candidates from a chain with columns quote_date, underlying_price, option_type (put/call),
    expiration, strike, bid, ask, implied_vol (decimal), delta. The credit is the natural one
    (short bid - long ask); for each expiry and kind the short strike nearest each target |delta|."""
    out: list[Candidate] = []
    quote_date = pd.Timestamp(chain["quote_date"].max())
    calendar = (pd.to_datetime(chain["expiration"]) - quote_date).dt.days
    usable = chain[(calendar >= min_dte) & (calendar <= max_dte) & (chain["bid"] >= 0) & (chain["ask"] > 0)
                   & (chain["implied_vol"] > 0) & (chain["strike"] > 0)].copy()
    usable["calendar_days"] = calendar[usable.index]
    for (expiry, option_type), legs in usable.groupby(["expiration", "option_type"]):
        kind = BULL_PUT if option_type == "put" else BEAR_CALL
        if kind not in kinds:
            continue
        spot = float(legs["underlying_price"].iloc[0])
        otm = legs[(legs["strike"] < spot) if kind == BULL_PUT else (legs["strike"] > spot)]
        shorts = otm[(otm["bid"] > 0) & (otm["delta"].abs() <= max_short_delta)]
        if shorts.empty:
            continue
        by_strike = otm.set_index("strike")
        days = int(legs["calendar_days"].iloc[0])  # calendar days: evaluated on the sessions to the expiry
        chosen = {float(shorts.iloc[int(np.argmin(np.abs(shorts["delta"].abs().to_numpy() - d)))]["strike"])
                  for d in deltas}
        for short in sorted(chosen):
            s_row = by_strike.loc[short]
            for w in widths:
                long = short - w if kind == BULL_PUT else short + w
                if long not in by_strike.index:
                    continue
                l_row = by_strike.loc[long]
                credit = float(s_row["bid"] - l_row["ask"])
                if credit <= 0 or credit >= w:
                    continue
                out.append(Candidate(CreditSpread(kind, short, float(long), max(days, 1)), credit,
                                     float(s_row["implied_vol"]), float(l_row["implied_vol"]),
                                     pd.Timestamp(expiry).date().isoformat()))
    return out


def atm_iv(chain: pd.DataFrame, min_dte: int, max_dte: int) -> float:
    """The chain's at-the-money implied vol: mean quoted IV at the strike nearest the underlying, over the
    expiries between min_dte and max_dte calendar days (all expiries when none is there)."""
    quote_date = pd.Timestamp(chain["quote_date"].max())
    calendar = (pd.to_datetime(chain["expiration"]) - quote_date).dt.days
    quoted = chain[chain["implied_vol"] > 0]
    inside = quoted[((calendar >= min_dte) & (calendar <= max_dte))[quoted.index]]
    legs = inside if not inside.empty else quoted
    if legs.empty:
        raise InputError("the chain quotes no implied volatility")
    distance = (legs["strike"] - legs["underlying_price"]).abs()
    return float(legs.loc[distance == distance.min(), "implied_vol"].mean())


def candidate_schedule(c: Candidate, entry) -> Schedule:
    """The sessions from `entry` to the candidate's expiry (its date when quoted, else entry + its days)."""
    return schedule(entry, c.expiration) if c.expiration else schedule_days(entry, c.spread.expiration_days)


def evaluate_candidates(candidates: list[Candidate], paths: MarketPaths, rate: float, rule: ExitRule,
                        iv_floor: float = 0.03, days_per_year: float = TRADING_DAYS,
                        div_yield: float = 0.0, entry=None) -> list[StrategyEvaluation]:
    """Every candidate on the same paths (truncated to its expiry), ranked by expected return. With `entry`
    (a date) the paths' columns are the XNYS sessions after it and days are calendar days (module
    docstring); without it a candidate's expiration_days count columns at `days_per_year` a year."""
    if not candidates:
        raise InputError("no candidate spreads to evaluate")
    schedules = {c: candidate_schedule(c, entry) for c in candidates} if entry is not None else {}
    horizon = max(schedules[c].n if schedules else c.spread.expiration_days for c in candidates)
    if paths.n_days < horizon:
        raise InputError(f"paths cover {paths.n_days} days, candidates need {horizon}")
    legs: dict[tuple, np.ndarray] = {}

    def leg(is_call: bool, strike: float, vol: float, n: int, t: np.ndarray) -> np.ndarray:
        # neighbouring spreads share strikes; price each leg matrix once
        key = (is_call, strike, vol, n, t[0])
        if key not in legs:
            v = np.maximum(vol + paths.vol_shift[:, : n + 1], iv_floor)
            legs[key] = bs_price(paths.price[:, : n + 1], strike, t, rate, v, is_call, div_yield)
        return legs[key]

    results = []
    for c in candidates:
        s = c.spread
        if schedules:
            sch = schedules[c]
            n, t, dte = sch.n, sch.years, sch.dte
        else:
            n, dte = s.expiration_days, None
            t = (n - np.arange(n + 1)) / days_per_year
        call = not s.is_put
        values = leg(call, s.short_strike, c.vol_short, n, t) - leg(call, s.long_strike, c.vol_long, n, t)
        outcome = apply_exits(values, c.credit, rule, dte)
        held = outcome.avg_days_held if dte is None else float((dte[0] - dte[outcome.exit_day]).mean())
        results.append(StrategyEvaluation(c, trade_metrics(outcome.pnl), outcome.reason_distribution(), held))
    results.sort(key=lambda e: -e.metrics.expected_return)
    return results
