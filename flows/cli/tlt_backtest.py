"""`quantops tlt backtest`: the rolling backtest of the overlay rule on the real TLT history (issue 13).

Reads the shared real data (--data-dir), runs domain.tlt.rolling_backtest with config/tlt_overlay.yaml's
rule and config/tlt_backtest.yaml's schedule and costs, prints the summary and, with --output-dir, writes
trades.csv, daily.csv, yearly.csv, entries.csv and summary.json there.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from domain.errors import InputError
from flows.cli.tlt_output import console, money


def _date(value: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{name}: {value!r} is not a YYYY-MM-DD date") from None


def _config(every: int | None, n_paths: int | None, nav: float | None, variance_premium: float | None):
    from domain.tlt.backtest_data import BacktestConfig
    from infra.strategy_config import load_strategy_config

    cfg = load_strategy_config("tlt_backtest", BacktestConfig)
    changes = {k: v for k, v in (("every", every), ("n_paths", n_paths), ("nav", nav),
                                 ("variance_premium", variance_premium)) if v is not None}
    try:
        return replace(cfg, **changes)
    except ValueError as exc:
        raise InputError(f"--{'/--'.join(k.replace('_', '-') for k in changes)}: {exc}") from None


def backtest_cmd(
    start: str = typer.Option("2005-01-01", "--start", help="First entry on or after this date."),
    end: str = typer.Option("2024-12-31", "--end", help="Last day; a spread is entered only if it expires by then."),
    every: int = typer.Option(None, "--every", help="Sessions between entries (default config: 10)."),
    seed: int = typer.Option(None, "--seed", help="Default config/tlt_overlay.yaml's (42)."),
    variance_premium: float = typer.Option(None, "--variance-premium", help="Quotes = the volatility model's "
                                           "vol + this, decimal (0.02 = 2 vol points); default config (0)."),
    n_paths: int = typer.Option(None, "--n-paths", help="Paths of each entry's screen (default config: 2000)."),
    nav: float = typer.Option(None, "--nav", help="Notional bond NAV in dollars (default config: 10,000,000)."),
    data_dir: Path = typer.Option(Path("../shared/data/real"), "--data-dir", envvar="QUANTOPS_REAL_DATA",
                                  help="The real data folder (etf/, etf_raw/, rates/)."),
    output_dir: Path = typer.Option(None, "--output-dir", help="Write trades, daily, yearly, entries CSVs and "
                                    "summary.json here."),
) -> None:
    """Rolling backtest of the overlay rule on real TLT closes and FRED yields, options at model prices."""
    from domain.tlt.params import TltOverlayParams
    from domain.tlt.rolling_backtest import rolling_backtest
    from infra.strategy_config import load_strategy_config
    from infra.tlt_history import read_tlt_history

    first, last = _date(start, "--start"), _date(end, "--end")
    if first >= last:
        raise InputError(f"--start {first} is not before --end {last}")
    p = load_strategy_config("tlt_overlay", TltOverlayParams)
    cfg = _config(every, n_paths, nav, variance_premium)
    seed = p.seed if seed is None else seed
    adjusted, raw, rates = read_tlt_history(data_dir)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task("entries", total=None)
        result = rolling_backtest(adjusted, raw, rates, p, first, last, seed, cfg,
                                  progress=lambda done, total: bar.update(task, completed=done, total=total))
    print_summary(result)
    if output_dir is not None:
        write_outputs(result, output_dir)


def print_summary(result) -> None:
    s, y = result.summary, result.yearly
    console.print(f"TLT overlay rolling backtest {s['start']}..{s['end']}: an entry every {s['every_sessions']} "
                  f"sessions, seed {s['seed']}, {s['n_paths']} paths a screen")
    console.print(f"NOTE: {s['note']}")
    marks = ("each leg's vol moves with the price (ASSUMED, mark_vol: model)" if s["mark_vol"] == "model"
             else "each leg at its entry vol")
    console.print(f"Variance premium {s['variance_premium']:.1%} (quotes = model vol + premium; the screen's paths "
                  f"realise the model vol; marks: {marks}); calibration {s['calibration']}")
    console.print(f"Exits {s['exit_rule']}; costs ${s['commission_per_contract_leg']:.2f} a contract and leg, "
                  f"${s['slippage_per_share_leg']:.2f} a share and leg off mid; NAV {money(s['nav'])}")
    table = Table(title="Overlay income per year (model prices) beside TLT")
    for col in ("Year", "Income", "% NAV", "Closed", "Hit rate", "Worst trade", "TLT dist. yield", "TLT return"):
        table.add_column(col, justify="right")
    for year, row in y.iterrows():
        table.add_row(str(year), money(row["income"]), f"{row['income_pct_nav']:.2%}", str(int(row["trades_closed"])),
                      "-" if row["hit_rate"] != row["hit_rate"] else f"{row['hit_rate']:.0%}",
                      "-" if row["worst_trade"] != row["worst_trade"] else money(row["worst_trade"]),
                      f"{row['tlt_distribution_yield']:.2%}", f"{row['tlt_total_return']:.2%}")
    console.print(table)
    console.print(f"Entries {s['entries']}, trades {s['trades']} (not traded: "
                  f"{', '.join(f'{n} {why}' for why, n in s['not_traded'].items()) or 'none'})")
    console.print(f"Income {money(s['income'])} = credits {money(s['credits'])} - costs {money(s['costs'])} - "
                  f"buy-backs; {s['income_pct_nav_per_year']:.3%} of NAV a year (TLT itself: distribution yield "
                  f"{s['tlt_distribution_yield_mean']:.2%}, total return {s['tlt_total_return_per_year']:.2%} a year)")
    console.print(f"Max drawdown {money(s['max_drawdown'])} = {s['max_drawdown_pct_nav']:.2%} of NAV "
                  f"({s['drawdown_peak']} -> {s['drawdown_trough']}), {s['drawdown_over_budget']:.2f}x the loss "
                  f"budget {s['loss_budget_pct_nav']:.3%}; worst year {s['worst_year']} "
                  f"{s['worst_year_pct_nav']:.2%}, {s['years_over_budget']} year(s) losing more than the budget")
    if s["trades"]:
        console.print(f"Hit rate {s['hit_rate']:.1%}; worst trade {money(s['worst_trade'])} "
                      f"({s['worst_trade_pct_nav']:.2%} of NAV, entered {s['worst_trade_entry']}); exits "
                      + ", ".join(f"{k} {v:.0%}" for k, v in s["exit_reasons"].items()))


def write_outputs(result, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("trades", "daily", "yearly", "entries"):
        getattr(result, name).to_csv(folder / f"{name}.csv", index=name in ("daily", "yearly"))
    (folder / "summary.json").write_text(json.dumps(result.summary, indent=2, default=float) + "\n")
    console.print(f"Wrote {folder}/trades.csv, daily.csv, yearly.csv, entries.csv, summary.json")
