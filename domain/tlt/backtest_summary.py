"""Figures of a rolling TLT overlay backtest: income per year, drawdown against the loss budget, hit rate,
worst trade, and TLT's own distribution yield and total return beside them (the benchmark).

Money is dollars on the notional NAV; "% NAV" divides by it. The drawdown is the largest fall of the
overlay's equity (NAV + cumulative P&L, marked daily at the model) from its running peak; the loss budget
(portfolio_yield x loss_budget_fraction of NAV, 2.375%) is a yearly figure, so a drawdown and each
calendar year's income are both compared with it. TLT's distribution yield of a year is ln of the change of
adjusted / raw close over it (domain/tlt/dividends.py), its total return the adjusted close's change.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from domain.tlt.params import TltOverlayParams


def _tlt_year(history: pd.DataFrame, year: int) -> tuple[float, float]:
    """(distribution yield, total return) of TLT over `year`, from the last close of the year before."""
    before = history[history.index.year < year]
    inside = history[history.index.year == year]
    if inside.empty:
        return np.nan, np.nan
    first = before.iloc[-1] if not before.empty else inside.iloc[0]
    end = inside.iloc[-1]
    return (float(np.log((end["adj"] / end["raw"]) / (first["adj"] / first["raw"]))),
            float(end["adj"] / first["adj"] - 1.0))


def yearly_table(trades: pd.DataFrame, daily: pd.DataFrame, history: pd.DataFrame, nav: float) -> pd.DataFrame:
    rows = []
    for year, days in daily.groupby(daily.index.year):
        closed = trades[trades["exit_date"].dt.year == year] if not trades.empty else trades
        q, tr = _tlt_year(history, int(year))
        rows.append({"year": int(year), "income": float(days["pnl"].sum()),
                     "income_pct_nav": float(days["pnl"].sum() / nav), "trades_closed": len(closed),
                     "hit_rate": float((closed["pnl"] > 0).mean()) if len(closed) else np.nan,
                     "worst_trade": float(closed["pnl"].min()) if len(closed) else np.nan,
                     "tlt_distribution_yield": q, "tlt_total_return": tr})
    return pd.DataFrame(rows).set_index("year") if rows else pd.DataFrame()


def max_drawdown(equity: pd.Series) -> tuple[float, pd.Timestamp | None, pd.Timestamp | None]:
    """(largest peak-to-trough fall in dollars, peak date, trough date); 0 and None when it never falls."""
    if equity.empty:
        return 0.0, None, None
    peak = equity.cummax()
    fall = peak - equity
    trough = fall.idxmax()
    if not fall.max() > 0:
        return 0.0, None, None
    return float(fall.max()), equity.loc[:trough].idxmax(), trough


def summarise(trades: pd.DataFrame, daily: pd.DataFrame, yearly: pd.DataFrame, entries: pd.DataFrame,
              p: TltOverlayParams, cfg, variance_premium: float, start: dt.date, end: dt.date, seed: int) -> dict:
    nav, budget = cfg.nav, p.loss_budget * cfg.nav
    years = max((daily.index[-1] - daily.index[0]).days / 365.25, 1 / 365.25) if not daily.empty else 1.0
    dd, peak, trough = max_drawdown(daily["equity"]) if not daily.empty else (0.0, None, None)
    income = float(daily["pnl"].sum()) if not daily.empty else 0.0
    n = len(trades)
    worst = trades.loc[trades["pnl"].idxmin()] if n else None
    not_traded = entries.loc[~entries["traded"], "why"].value_counts().to_dict() if not entries.empty else {}
    out = {
        "start": str(start), "end": str(end), "seed": seed, "every_sessions": cfg.every, "n_paths": cfg.n_paths,
        "variance_premium": variance_premium, "calibration": f"quarterly, trailing {cfg.calibration_years:g} years "
        "strictly before the quarter's first session, COVID window kept", "nav": nav,
        "commission_per_contract_leg": cfg.commission, "slippage_per_share_leg": cfg.slippage,
        "exit_rule": None, "entries": len(entries), "trades": n, "not_traded": not_traded,
        "income": income, "income_pct_nav_per_year": income / nav / years,
        "credits": float((trades["mid_credit"] * p.contract_multiplier * trades["contracts"]).sum()) if n else 0.0,
        "costs": float(trades["costs"].sum()) if n else 0.0,
        "max_drawdown": dd, "max_drawdown_pct_nav": dd / nav, "drawdown_peak": str(peak.date()) if peak else None,
        "drawdown_trough": str(trough.date()) if trough else None,
        "loss_budget": budget, "loss_budget_pct_nav": p.loss_budget,
        "drawdown_over_budget": dd / budget if budget > 0 else np.nan,
        "worst_year": int(yearly["income"].idxmin()) if not yearly.empty else None,
        "worst_year_pct_nav": float(yearly["income_pct_nav"].min()) if not yearly.empty else np.nan,
        "years_over_budget": int((-yearly["income"] > budget).sum()) if not yearly.empty else 0,
        "hit_rate": float((trades["pnl"] > 0).mean()) if n else np.nan,
        "worst_trade": float(worst["pnl"]) if n else np.nan,
        "worst_trade_pct_nav": float(worst["pnl"]) / nav if n else np.nan,
        "worst_trade_entry": str(worst["entry_date"].date()) if n else None,
        "exit_reasons": trades["reason"].value_counts(normalize=True).to_dict() if n else {},
        "max_open_positions": int(daily["open_positions"].max()) if not daily.empty else 0,
        "max_open_cvar_pct_nav": float(daily["open_cvar"].max() / nav) if not daily.empty else 0.0,
        "tlt_distribution_yield_mean": float(yearly["tlt_distribution_yield"].mean()) if not yearly.empty else np.nan,
        "tlt_total_return_per_year": float(np.exp(np.log1p(yearly["tlt_total_return"]).mean()) - 1)
        if not yearly.empty else np.nan,
    }
    return out
