"""Rolling backtest of the TLT overlay rule on a real history (issue 13, historical validation).

THERE ARE NO HISTORICAL TLT OPTION QUOTES HERE: every option price is a model price. On each entry day
(every `every` sessions) the quarter's calibration (domain/tlt/backtest_data.py, fitted before the quarter)
gives the volatility model's vol at the day's close; a quote is that vol plus the stated variance premium,
Black-Scholes-Merton with the bill rate and TLT's trailing dividend yield. The live screen then chooses the
spread (as `quantops tlt evaluate` does): candidates by target delta and width expiring `expiration_days`
calendar days later, credit = model mid minus slippage, evaluated on Monte Carlo paths that move as much
as the quote vol minus the premium over every horizon to the expiry and drift at r - q, kept if POP >= min_pop, ranked by expected return; the
first is sized by half Kelly within the loss budget (the |CVaR95| of the open positions plus its own) and
the 5% position cap. It is then marked every session on the real raw closes at the same model (each leg
at its entry vol, or moving with the price under mark_vol: model, as in the screen) until the live exit rule fires (domain/tlt/exits.py: profit target,
loss multiple, DTE close in calendar days); at expiry it settles at intrinsic value. A close before expiry
pays the slippage and commission again. Each entry's screen draws from SeedSequence([seed, date ordinal]):
the run is reproducible and an entry does not depend on which entries came before it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from domain.errors import InputError
from domain.tlt.backtest_data import BacktestConfig, at_entry, build_history, calibrate_before, quarter_start
from domain.tlt.backtest_summary import summarise, yearly_table
from domain.tlt.daycount import CALENDAR_DAYS, schedule_days
from domain.tlt.evaluation import evaluate_candidates, model_candidates
from domain.tlt.exits import REASONS, ExitRule, apply_exits
from domain.tlt.metrics import size_position
from domain.tlt.params import TltOverlayParams
from domain.tlt.proposals import overlay_paths
from domain.tlt.spreads import spread_kind
from domain.tlt.volatility import mark_vol_shift

MODEL_PRICES_NOTE = ("No historical TLT option quotes exist in this data: every option price is a model price "
                     "(calibrated volatility model + the stated variance premium, Black-Scholes-Merton).")


@dataclass(frozen=True)
class RollingBacktestResult:
    trades: pd.DataFrame  # one row a trade: entry, spread, prices, size, exit, P&L
    daily: pd.DataFrame  # by session: pnl, equity, open positions, open |CVaR95|
    yearly: pd.DataFrame  # by calendar year: income, trades, hit rate, TLT's own yield and return
    entries: pd.DataFrame  # every entry day: what the screen did (traded, or why not)
    summary: dict  # the headline figures (domain/tlt/backtest_summary.py)


def _screen(cal, ref_price, p, cfg, rule, day, r, vp, seed):
    """The live rule's choice on `day`: (evaluation, sizing inputs, schedule, entry iv) or (None, why)."""
    sch = schedule_days(day.date(), p.expiration_days)
    entry_iv = float(cal.volatility.iv(cal.current.tlt_price, ref_price, p.iv_floor)) + vp
    spot, q = cal.current.tlt_price, cal.div_yield
    kinds = tuple(spread_kind(k) for k in cfg.kinds)
    candidates = model_candidates(spot, entry_iv, r, int(sch.dte[0]), kinds, p.candidate_deltas,
                                  p.candidate_widths, p.strike_step, CALENDAR_DAYS, q)
    candidates = [c2 for c in candidates if (c2 := replace(c, credit=c.credit - 2 * cfg.slippage)).credit > 0]
    if not candidates:
        return None, "no candidate with a credit above the slippage"
    rng = np.random.default_rng(np.random.SeedSequence([seed, day.toordinal()]))
    setup = overlay_paths(cal, replace(p, risk_free_rate=r, variance_premium=vp), cfg.n_paths, sch.n, rng,
                          entry_iv, spot=spot, elapsed=sch.elapsed)
    ranked = evaluate_candidates(candidates, setup.paths, r, rule, p.iv_floor, div_yield=q, entry=sch.sessions[0])
    passing = [e for e in ranked if e.metrics.pop >= p.min_pop]
    if not passing:
        return None, f"no spread with POP >= {p.min_pop:.0%}"
    return (passing[0], sch, entry_iv), ""


def _realised(best, sch, entry_iv, cal, raw, r, p, rule):
    """Model values of the chosen spread on the real closes of its sessions, and the live exit on them."""
    c, s = best.candidate, best.candidate.spread
    days = pd.DatetimeIndex([pd.Timestamp(d) for d in sch.sessions])
    price = raw.reindex(raw.index.union(days)).ffill().reindex(days).to_numpy()
    vol = np.maximum(entry_iv + mark_vol_shift(cal.volatility, p.mark_vol, price, price[0]), p.iv_floor)
    values = s.value(price, sch.years, r, vol, div_yield=cal.div_yield)
    out = apply_exits(values[None, :], c.credit, rule, sch.dte)
    return values, int(out.exit_day[0]), REASONS[int(out.reason[0])], days


def rolling_backtest(closes: pd.Series, raw_closes: pd.Series, rates: pd.DataFrame, params: TltOverlayParams,
                     start: dt.date, end: dt.date, seed: int = 42, config: BacktestConfig | None = None,
                     rule: ExitRule | None = None,
                     progress: Callable[[int, int], None] | None = None) -> RollingBacktestResult:
    """The overlay rule entered every `config.every` sessions in [start, end] (see the module docstring).

    `closes`: adjusted TLT closes, `raw_closes`: as-traded closes (pd.Series by date); `rates`: DGS20, DGS30
    and DGS3MO by date (percent or decimals). A trade is entered only if its expiry is on or before `end`
    and the last close. `rule` defaults to params' exit rule; `progress(done, planned)` hears of each entry."""
    cfg = config or BacktestConfig()
    rule = rule or ExitRule(params.profit_target_pct, params.loss_limit_multiple, params.dte_close_threshold)
    vp = cfg.premium(params)
    if start >= end:
        raise InputError(f"start {start} is not before end {end}")
    history = build_history(closes, raw_closes, rates)
    last = min(pd.Timestamp(end), history.index[-1])
    days = history.index[(history.index >= pd.Timestamp(start)) & (history.index <= last)]
    if days.empty:
        raise InputError(f"no TLT closes between {start} and {end}")
    mult = params.contract_multiplier
    calibrations: dict[dt.date, object] = {}
    trades, entries, paths = [], [], []
    planned = range(0, len(days), cfg.every)
    for done, k in enumerate(planned, 1):
        if progress is not None:
            progress(done, len(planned))
        day = days[k]
        sch_end = day + pd.Timedelta(days=params.expiration_days)
        if sch_end > last:
            break
        qs = quarter_start(day.date())
        if qs not in calibrations:
            calibrations[qs] = calibrate_before(history, qs, cfg.calibration_years, params)
        base = calibrations[qs]
        cal, bill = at_entry(base, history, day)
        r = bill if np.isfinite(bill) else params.risk_free_rate
        chosen, why = _screen(cal, base.current.tlt_price, params, cfg, rule, day, r, vp, seed)
        row = {"date": day, "calibrated": pd.Timestamp(qs), "base_iv": base.volatility.base_iv,
               "price_sensitivity": base.volatility.price_sensitivity, "calibration_price": base.current.tlt_price,
               "calibration_days": base.n_observations, "spot": cal.current.tlt_price, "rate": r,
               "div_yield": cal.div_yield, "traded": False, "why": why}
        if chosen is None:
            entries.append(row)
            continue
        best, sch, entry_iv = chosen
        s, m, credit = best.candidate.spread, best.metrics, best.candidate.credit
        open_cvar = sum(t["cvar_dollars"] for t in trades if t["exit_date"] > day)
        size = size_position(m.kelly_fraction, cfg.nav, s.max_loss(credit), m.cvar_95, mult,
                             params.kelly_multiplier, params.loss_budget, params.max_position_risk, open_cvar)
        row.update(entry_iv=entry_iv, kelly=m.kelly_fraction, contracts=size.contracts, limit=size.binding)
        if size.contracts == 0:
            row["why"] = "Kelly <= 0" if not m.kelly_fraction > 0 else f"0 contracts ({size.binding})"
            entries.append(row)
            continue
        row.update(traded=True, why="")
        entries.append(row)
        values, exit_k, reason, sessions = _realised(best, sch, entry_iv, cal, history["raw"], r, params, rule)
        n = size.contracts
        closed_early = reason != "expiration"
        exit_cost = 2 * cfg.slippage if closed_early else 0.0
        commissions = 2 * cfg.commission * n * (2 if closed_early else 1)
        pnl_share = credit - values[exit_k] - exit_cost
        trades.append({
            "entry_date": day, "exit_date": sessions[exit_k], "kind": s.kind, "short_strike": s.short_strike,
            "long_strike": s.long_strike, "expiry": pd.Timestamp(sch.expiry), "spot": cal.current.tlt_price,
            "exit_spot": float(history["raw"].asof(sessions[exit_k])), "entry_iv": entry_iv, "rate": r,
            "div_yield": cal.div_yield, "mid_credit": credit + 2 * cfg.slippage, "credit": credit,
            "exit_value": float(values[exit_k]), "reason": reason, "sessions_held": exit_k,
            "days_held": int(sch.dte[0] - sch.dte[exit_k]), "contracts": n, "pop": m.pop,
            "expected_return": m.expected_return, "cvar_95": m.cvar_95, "kelly": m.kelly_fraction,
            "limit": size.binding, "cvar_dollars": abs(m.cvar_95) * mult * n, "max_loss_dollars":
            s.max_loss(credit) * mult * n, "costs": commissions + (2 * cfg.slippage + exit_cost) * mult * n,
            "pnl_per_share": pnl_share, "pnl": pnl_share * mult * n - commissions})
        # cumulative P&L of the trade on each session it is open: marks at the model, costs when paid
        marks = (credit - values[: exit_k + 1]) * mult * n - 2 * cfg.commission * n
        marks[-1] = trades[-1]["pnl"]
        paths.append((sessions[: exit_k + 1], marks))
    daily = _daily(history.index[(history.index >= days[0]) & (history.index <= last)], trades, paths, cfg.nav)
    trades_df = pd.DataFrame(trades)
    yearly = yearly_table(trades_df, daily, history, cfg.nav)
    summary = summarise(trades_df, daily, yearly, pd.DataFrame(entries), params, cfg, vp, start, end, seed)
    summary["exit_rule"] = (f"{rule.profit_target_pct:.0%} profit / {rule.loss_multiple:g}x loss / "
                            f"{rule.dte_threshold} calendar days to expiry")
    summary["note"] = MODEL_PRICES_NOTE
    summary["mark_vol"] = params.mark_vol
    return RollingBacktestResult(trades_df, daily, yearly, pd.DataFrame(entries), summary)


def _daily(index: pd.DatetimeIndex, trades: list[dict], paths: list, nav: float) -> pd.DataFrame:
    """Overlay P&L by session: the sum of every trade's cumulative P&L (its marks from entry to exit, then
    its realised P&L); a trade is open from its entry session up to, not including, its exit session."""
    cum = np.zeros(len(index))
    realised = np.zeros(len(index) + 1)
    n_open = np.zeros(len(index), dtype=int)
    cvar = np.zeros(len(index))
    for t, (sessions, marks) in zip(trades, paths):
        pos = index.get_indexer(sessions)
        ok = pos >= 0  # a session the data lacks has no row to mark
        first, last = pos[ok][0], pos[ok][-1]
        cum[pos[ok]] += marks[ok]
        realised[last + 1] += t["pnl"]
        n_open[first:last] += 1
        cvar[first:last] += t["cvar_dollars"]
    cum += np.cumsum(realised)[:-1]
    pnl = np.diff(np.concatenate([[0.0], cum]))
    return pd.DataFrame({"pnl": pnl, "cum_pnl": cum, "equity": nav + cum, "open_positions": n_open,
                         "open_cvar": cvar}, index=index)
