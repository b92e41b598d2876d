"""What `quantops tlt evaluate` / `market-evaluate` print and write: the ranking, the top strategy's details,
its sizing at the configured NAV levels, exit reasons and warnings."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

from rich.table import Table

from flows.cli.render import make_console

if TYPE_CHECKING:
    from domain.tlt.evaluation import StrategyEvaluation
    from domain.tlt.params import TltOverlayParams

console = make_console(width=110)


def money(x: float) -> str:
    return f"-${abs(x):,.2f}" if x < 0 else f"${x:,.2f}"


def warn(warnings: list[str]) -> None:
    for line in warnings:
        console.print(f"[bold yellow]WARNING[/]: {line}")


def report(evaluations: list[StrategyEvaluation], min_pop: float, top: int, p: TltOverlayParams,
            title: str, warnings: list[str], output: Path | None, open_cvar: float = 0.0) -> None:
    from domain.tlt.metrics import troubleshooting_warnings

    passing = [e for e in evaluations if e.metrics.pop >= min_pop]
    if not passing:
        best = max(e.metrics.pop for e in evaluations)
        console.print(f"No strategy reaches POP >= {min_pop:.0%} (best {best:.1%} over {len(evaluations)} "
                      "candidates): lower --min-pop, or widen the candidate deltas/widths or expirations.")
        warn(warnings)
        _write(output, {"top": None, "contracts": {}, "warnings": warnings})
        return
    table = Table(title=title)
    for col in ("Rank", "Type", "Strikes", "Expiry", "Credit", "POP", "E[R]", "CVaR95", "RAR", "Kelly%"):
        table.add_column(col, justify="right" if col not in ("Type", "Strikes", "Expiry") else "left")
    for i, e in enumerate(passing[:top], 1):
        s, m = e.candidate.spread, e.metrics
        table.add_row(str(i), "Put" if s.is_put else "Call", f"{s.short_strike:g}/{s.long_strike:g}",
                      e.candidate.expiration or f"{s.expiration_days}d", money(e.candidate.credit),
                      f"{m.pop:.1%}", money(m.expected_return), money(m.cvar_95),
                      f"{m.risk_adjusted_return:.2f}", f"{m.kelly_fraction:.1%}")
    console.print(table)
    best = passing[0]
    s, m, c = best.candidate.spread, best.metrics, best.candidate
    console.print(f"\nTop strategy details: {s.label} {c.expiration or f'{s.expiration_days} calendar days'}")
    console.print(f"  Initial credit:   {money(c.credit)}  (per share; x{p.contract_multiplier} per contract)")
    console.print(f"  Max profit:       {money(s.max_profit(c.credit))}")
    console.print(f"  Max loss:         {money(s.max_loss(c.credit))}")
    console.print(f"  Breakeven:        {s.breakeven(c.credit):.2f}")
    console.print(f"  Avg days held:    {best.avg_days_held:.1f} calendar days")
    console.print(f"  Profit factor {m.profit_factor:.2f}, win/loss {m.win_loss_ratio:.2f}, Sortino {m.sortino:.2f}")
    contracts = _sizing(m, s.max_loss(c.credit), p, open_cvar)
    print_reasons(best.exit_reasons)
    warnings = warnings + troubleshooting_warnings(kelly=m.kelly_fraction, max_kelly=p.max_kelly)
    warn(warnings)
    _write(output, {"top": {"spread": s.label, "expiration": c.expiration or f"{s.expiration_days}d",
                            "credit": c.credit, "pop": m.pop, "expected_return": m.expected_return,
                            "cvar_95": m.cvar_95, "kelly_fraction": finite(m.kelly_fraction)},
                    "contracts": contracts, "warnings": warnings})


def _sizing(m, max_loss: float, p: TltOverlayParams, open_cvar: float) -> dict[str, int]:
    """Contracts at each NAV level of the config, printed with the rule that sets them (issue 13 item 4)."""
    from domain.tlt.metrics import size_position

    console.print(f"\n  Position sizing: Kelly {m.kelly_fraction:.1%} x {p.kelly_multiplier:g}; loss budget "
                  f"{p.loss_budget:.3%} of NAV for the |CVaR95| of all open overlay positions "
                  f"({open_cvar:.3%} of NAV, --open-cvar) plus this one; at most {p.max_position_risk:.0%} of "
                  "NAV max loss per position")
    contracts = {}
    for nav in p.nav_levels:
        size = size_position(m.kelly_fraction, nav, max_loss, m.cvar_95, p.contract_multiplier, p.kelly_multiplier,
                             p.loss_budget, p.max_position_risk, open_cvar * nav)
        contracts[f"{nav:.0f}"] = size.contracts
        console.print(f"    For ${nav / 1e6:,.0f}M NAV: {size.contracts} contracts (limit: {size.binding})")
    return contracts


def _write(output: Path | None, doc: dict) -> None:
    if output is not None:
        output.write_text(json.dumps(doc, indent=2) + "\n")
        console.print(f"Wrote {output}")


def print_reasons(reasons: dict[str, float]) -> None:
    console.print("\n  Exit reason distribution:")
    for name, share in sorted(reasons.items(), key=lambda kv: -kv[1]):
        console.print(f"    {name:<20} {share:6.1%}")


def finite(x: float) -> float | None:
    return x if math.isfinite(x) else None
