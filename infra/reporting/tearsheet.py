"""HTML tearsheet of a walk-forward run: equity vs buy-and-hold, drawdown, rolling Sharpe, monthly
returns, exposure and the fold table, with matplotlib figures embedded as base64 PNG."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")  # headless: reports are made by scheduled flows with no display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROLLING_SHARPE_DAYS = 126
METRIC_ROWS = ["cagr", "total_return", "max_drawdown", "calmar", "sharpe", "sortino", "volatility", "hit_rate",
               "turnover", "var_95", "cvar_95", "longest_drawdown_days", "recovery_factor"]


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def _img(fig, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{_png(fig)}"/>'


def equity_figure(days: pd.DataFrame, label: str, benchmark: str) -> str:
    fig, ax = plt.subplots(figsize=(10, 3.6))
    ax.plot(days.index, (1 + days["strategy_return"]).cumprod(), label=label, lw=1.4)
    ax.plot(days.index, (1 + days["benchmark_return"]).cumprod(), label=f"buy-and-hold {benchmark}", lw=1.0, alpha=0.8)
    ax.set_yscale("log")
    ax.set_title("Out-of-sample equity (log scale)")
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    return _img(fig, "equity")


def drawdown_figure(days: pd.DataFrame) -> str:
    fig, ax = plt.subplots(figsize=(10, 2.4))
    for column, name in (("strategy_return", "strategy"), ("benchmark_return", "benchmark")):
        equity = (1 + days[column]).cumprod()
        ax.fill_between(days.index, equity / equity.cummax() - 1, 0, alpha=0.35 if name == "strategy" else 0.15,
                        label=name)
    ax.set_title("Drawdown")
    ax.legend(loc="lower left")
    ax.grid(alpha=0.3)
    return _img(fig, "drawdown")


def rolling_sharpe_figure(days: pd.DataFrame) -> str:
    returns = days["strategy_return"]
    rolling = returns.rolling(ROLLING_SHARPE_DAYS).mean() / returns.rolling(ROLLING_SHARPE_DAYS).std() * np.sqrt(252)
    fig, ax = plt.subplots(figsize=(10, 2.4))
    ax.plot(days.index, rolling, lw=1.0)
    ax.axhline(0, color="black", lw=0.6)
    ax.set_title(f"Rolling Sharpe ({ROLLING_SHARPE_DAYS} days)")
    ax.grid(alpha=0.3)
    return _img(fig, "rolling sharpe")


def monthly_returns(returns: pd.Series) -> pd.DataFrame:
    monthly = (1 + returns).groupby([returns.index.year, returns.index.month]).prod() - 1
    table = monthly.unstack(level=1)
    table.index.name, table.columns.name = "year", "month"
    return table


def monthly_heatmap_figure(days: pd.DataFrame) -> str:
    table = monthly_returns(days["strategy_return"])
    fig, ax = plt.subplots(figsize=(10, 0.35 * len(table) + 1.2))
    limit = np.nanmax(np.abs(table.to_numpy())) if table.size else 0.1
    ax.imshow(table.to_numpy(), cmap="RdYlGn", vmin=-limit, vmax=limit, aspect="auto")
    ax.set_xticks(range(table.shape[1]), [str(m) for m in table.columns])
    ax.set_yticks(range(table.shape[0]), [str(y) for y in table.index])
    for (i, j), value in np.ndenumerate(table.to_numpy()):
        if not np.isnan(value):
            ax.text(j, i, f"{value:.1%}", ha="center", va="center", fontsize=7)
    ax.set_title("Monthly returns")
    return _img(fig, "monthly returns")


def exposure_figure(days: pd.DataFrame) -> str:
    fig, ax = plt.subplots(figsize=(10, 2.4))
    ax.plot(days.index, days["exposure"], lw=0.8)
    ax.axhline(0, color="black", lw=0.6)
    ax.set_title("Exposure (decided at the close, earns the next session)")
    ax.grid(alpha=0.3)
    return _img(fig, "exposure")


def _metric_table(metrics: Mapping[str, Mapping[str, float]]) -> str:
    names = list(metrics)
    rows = "".join(
        f"<tr><th>{html.escape(key)}</th>" + "".join(f"<td>{_fmt(metrics[n].get(key))}</td>" for n in names) + "</tr>"
        for key in METRIC_ROWS if any(key in metrics[n] for n in names)
    )
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    return f"<table><tr><th></th>{head}</tr>{rows}</table>"


def _fmt(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    return f"{value:,.4f}" if isinstance(value, float) else html.escape(str(value))


def render_tearsheet(
    title: str, days: pd.DataFrame, folds: pd.DataFrame, metrics: Mapping[str, Mapping[str, float]],
    benchmark: str, notes: list[str] | None = None,
) -> str:
    """`days`: index date, columns exposure, strategy_return, benchmark_return. `folds`: one row a fold."""
    days = days.sort_index()
    fold_html = folds.to_html(index=False, float_format=lambda v: f"{v:,.4f}", border=0)
    note_html = "".join(f"<li>{html.escape(n)}</li>" for n in notes or [])
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto;}} table{{border-collapse:collapse;font-size:13px}}
td,th{{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}} img{{max-width:100%}}</style></head><body>
<h1>{html.escape(title)}</h1>
<p>Out of sample {days.index.min():%Y-%m-%d} .. {days.index.max():%Y-%m-%d}, {len(days)} sessions.</p>
<ul>{note_html}</ul>
<h2>Metrics</h2>{_metric_table(metrics)}
<h2>Equity</h2>{equity_figure(days, title, benchmark)}
{drawdown_figure(days)}
{rolling_sharpe_figure(days)}
{monthly_heatmap_figure(days)}
{exposure_figure(days)}
<h2>Folds</h2>{fold_html}
</body></html>"""
