"""The loss budget's other half: the |CVaR 95%| the open overlay positions already hold, in dollars.

Each open spread is put on the same simulated paths as the day's candidates, entered at today's natural
closing debit (short ask - long bid of the stored chain) with its legs' quoted IVs, under the overlay's exit
rule: its P&L from here on is the tail it can still lose. A spread the chain cannot price (a strike or expiry
not quoted, a debit outside (0, width), an expiry past the paths) counts at its whole remaining max loss
(width - entry credit), the bound no path can exceed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from domain.tlt.evaluation import Candidate, candidate_schedule, evaluate_candidates
from domain.tlt.exits import ExitRule
from domain.tlt.proposals import ChainEvaluation
from domain.tlt.spreads import BEAR_CALL, BULL_PUT, CreditSpread


@dataclass(frozen=True)
class OpenRisk:
    dollars: float  # sum of |CVaR95| x contracts x multiplier
    per_position: tuple[dict, ...]


def _quote(chain: pd.DataFrame, option_type: str, expiry: pd.Timestamp, strike: float) -> pd.Series | None:
    hit = chain[(chain["option_type"] == option_type) & (pd.to_datetime(chain["expiration"]) == expiry)
                & np.isclose(chain["strike"], strike)]
    return None if hit.empty else hit.iloc[0]


def _candidate(position, chain: pd.DataFrame, quote_date: pd.Timestamp) -> Candidate | None:
    short, long = position.short_leg, position.long_leg
    expiry = pd.Timestamp(short.expiration)
    s, lg = _quote(chain, short.option_type, expiry, short.strike), _quote(chain, long.option_type, expiry, long.strike)
    if s is None or lg is None:
        return None
    debit = float(s["ask"] - lg["bid"])
    width = abs(short.strike - long.strike)
    days = (expiry - quote_date).days
    if not 0 < debit < width or days < 1 or not (s["implied_vol"] > 0 and lg["implied_vol"] > 0):
        return None
    kind = BULL_PUT if short.option_type == "put" else BEAR_CALL
    return Candidate(CreditSpread(kind, float(short.strike), float(long.strike), days), debit,
                     float(s["implied_vol"]), float(lg["implied_vol"]), expiry.date().isoformat())


def open_cvar(positions: Sequence, chain: pd.DataFrame, result: ChainEvaluation, rate: float, rule: ExitRule,
              iv_floor: float, div_yield: float, multiplier: int) -> OpenRisk:
    """Dollars of |CVaR95| the open spreads hold at ``result.quote_date`` (see the module docstring)."""
    rows, total = [], 0.0
    for p in positions:
        c = _candidate(p, chain, result.quote_date)
        per_share, how = None, "max loss (not priced by the chain)"
        entry = result.quote_date.date()
        if c is not None and candidate_schedule(c, entry).n <= result.setup.paths.n_days:
            e = evaluate_candidates([c], result.setup.paths, rate, rule, iv_floor, div_yield=div_yield, entry=entry)[0]
            per_share, how = abs(min(e.metrics.cvar_95, 0.0)), "CVaR95 on the day's paths"
        if per_share is None:
            per_share = max(abs(p.short_leg.strike - p.long_leg.strike) - p.entry_credit, 0.0)
        dollars = per_share * p.contracts * multiplier
        total += dollars
        rows.append({"id": p.id, "contracts": p.contracts, "short_strike": p.short_leg.strike,
                     "long_strike": p.long_leg.strike, "expiration": str(p.short_leg.expiration),
                     "cvar_dollars": dollars, "measured_by": how})
    return OpenRisk(total, tuple(rows))
