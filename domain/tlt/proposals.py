"""Market evaluation of a quoted TLT chain and the spreads it proposes, sized: one code path for
`quantops tlt market-evaluate` and the daily proposal step (issue 13, production).

A chain snapshot gives the candidates (entry at the natural credit, each leg at its quoted IV); the
simulated paths move as much as the chain's at-the-money IV minus the stated variance premium over every
horizon to the last expiry and drift at r - q (domain/tlt/monte_carlo.py), each leg marked at its quoted IV
along them (mark_vol: sticky_strike; domain/tlt/volatility.py); each candidate runs over the XNYS sessions to its expiry with the exit rule
(domain/tlt/daycount.py). Proposals are the candidates with POP >= min_pop, ranked by expected return,
each sized by half Kelly within the overlay's loss budget and the 5% position cap (domain/tlt/metrics.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from domain.errors import InputError
from domain.strategies.base import SpreadProposal
from domain.tlt.calibration import CalibrationResult
from domain.tlt.evaluation import (
    StrategyEvaluation,
    atm_iv,
    candidate_schedule,
    chain_candidates,
    evaluate_candidates,
)
from domain.tlt.exits import ExitRule
from domain.tlt.metrics import size_position
from domain.tlt.monte_carlo import MarketPaths, simulate_market
from domain.tlt.params import TltOverlayParams
from domain.tlt.volatility import STICKY_STRIKE


@dataclass(frozen=True)
class PathSetup:
    paths: MarketPaths
    entry_iv: float
    path_vol: float
    drift: float | None
    marks: str = ""  # the assumption line when the legs' vol moves with the price (mark_vol: model)

    def describe(self, variance_premium: float) -> str:
        drift = f"r - q = {self.drift:.2%}" if self.drift is not None else "the model's"
        return (f"Paths: volatility {self.path_vol:.1%} over the holding period = entry IV {self.entry_iv:.1%} - variance premium "
                f"{variance_premium:.1%}; drift {drift}{self.marks}")


def overlay_paths(cal: CalibrationResult, p: TltOverlayParams, n_paths: int, n_days: int, seed: int,
                  entry_iv: float, spot: float | None = None, elapsed=None) -> PathSetup:
    """Paths whose volatility is the entry IV minus the stated variance premium, drifting at r - q (config);
    `elapsed`: calendar years since entry of each column (a Schedule's), the horizon the prices use."""
    path_vol = entry_iv - p.variance_premium
    if not path_vol > 0:
        raise InputError(f"variance_premium {p.variance_premium:.2%} leaves no path volatility under the entry "
                         f"IV {entry_iv:.2%}")
    drift = p.risk_free_rate - cal.div_yield if p.risk_neutral_drift else None
    paths = simulate_market(cal, n_paths, n_days, seed, spot=spot, days_per_year=p.trading_days_per_year,
                            path_vol=path_vol, drift=drift, elapsed=elapsed, mark_vol=p.mark_vol)
    return PathSetup(paths, entry_iv, path_vol, drift, mark_assumption(cal, p))


def mark_assumption(cal: CalibrationResult, p: TltOverlayParams) -> str:
    """'' for sticky-strike marks (the default); else the line stating that the marks' vol moves with the price."""
    if p.mark_vol == STICKY_STRIKE:
        return ""
    return (f"; ASSUMED (mark_vol: model): each leg's vol moves {cal.volatility.price_sensitivity:+.5f} per $ of TLT "
            "along the paths, which the flat-vol entry price does not (domain/tlt/volatility.py)")


@dataclass(frozen=True)
class ChainEvaluation:
    evaluations: list[StrategyEvaluation]  # ranked by expected return
    quote_date: pd.Timestamp
    spot: float
    n_candidates: int
    setup: PathSetup


def evaluate_chain(chain: pd.DataFrame, cal: CalibrationResult, p: TltOverlayParams, rule: ExitRule, kinds,
                   n_paths: int, seed: int, min_dte: int, max_dte: int, source: str = "chain") -> ChainEvaluation:
    """Every usable spread of one chain snapshot on shared paths (see the module docstring)."""
    if chain["quote_date"].nunique() > 1:
        raise InputError(f"{source}: holds several quote dates; give one snapshot")
    candidates = chain_candidates(chain, min_dte, max_dte, kinds, p.candidate_deltas, p.candidate_widths,
                                  p.max_short_delta)
    if not candidates:
        raise InputError(f"{source}: no usable spreads (OTM strikes with bids, |delta| <= {p.max_short_delta}, "
                         f"widths {', '.join(f'{w:g}' for w in p.candidate_widths)}) between {min_dte} and "
                         f"{max_dte} days to expiry")
    spot = float(chain["underlying_price"].iloc[0])
    quote_date = pd.Timestamp(chain["quote_date"].max())
    last = max((candidate_schedule(c, quote_date.date()) for c in candidates), key=lambda s: s.n)  # to the last expiry
    # the quotes' at-the-money IV is the entry IV the paths answer to
    setup = overlay_paths(cal, p, n_paths, last.n, seed, atm_iv(chain, min_dte, max_dte), spot=spot,
                          elapsed=last.elapsed)
    evaluations = evaluate_candidates(candidates, setup.paths, p.risk_free_rate, rule, p.iv_floor,
                                      div_yield=cal.div_yield, entry=quote_date.date())
    return ChainEvaluation(evaluations, quote_date, spot, len(candidates), setup)


def propose(result: ChainEvaluation, p: TltOverlayParams, nav: float, min_pop: float, top: int,
            open_cvar: float = 0.0, underlying: str = "TLT") -> tuple[SpreadProposal, ...]:
    """The `top` spreads with POP >= min_pop, in rank order, sized at `nav` with `open_cvar` dollars of |CVaR95|
    already held by open overlay positions. Each is sized after the ones ranked above it, as if they were
    accepted: the daily step stores every proposal as an order, and orders filled together must fit the loss
    budget together (sized alone, filling all of them would spend it several times)."""
    out = []
    held = max(open_cvar, 0.0)
    for e in [e for e in result.evaluations if e.metrics.pop >= min_pop][:top]:
        s, c, m = e.candidate.spread, e.candidate, e.metrics
        size = size_position(m.kelly_fraction, nav, s.max_loss(c.credit), m.cvar_95, p.contract_multiplier,
                             p.kelly_multiplier, p.loss_budget, p.max_position_risk, held)
        held += abs(m.cvar_95) * p.contract_multiplier * size.contracts
        out.append(SpreadProposal(
            underlying=underlying, option_type="put" if s.is_put else "call", short_strike=s.short_strike,
            long_strike=s.long_strike, expiration=pd.Timestamp(c.expiration), credit=c.credit,
            contracts=size.contracts, pop=m.pop,
            details={"multiplier": p.contract_multiplier, "expected_return": m.expected_return, "cvar_95": m.cvar_95, "kelly_fraction": m.kelly_fraction,
                     "max_loss": s.max_loss(c.credit), "avg_days_held": e.avg_days_held, "limit": size.binding,
                     "short_iv": c.vol_short, "long_iv": c.vol_long, "exit_reasons": dict(e.exit_reasons)}))
    return tuple(out)
