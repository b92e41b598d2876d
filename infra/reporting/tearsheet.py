"""HTML tearsheet of a walk-forward run, to the standard of quantstats/pyfolio.

One self-contained file: metrics with units (percentages, ratios, days) for the strategy and its
benchmark, alpha/beta/information ratio/tracking error against the benchmark, stacked time panels on
one shared date axis (equity, drawdown, rolling Sharpe, exposure) with the fold boundaries marked, a
monthly heat map (month names, colour bar, yearly totals), the fold table (each fold's own return, not
annualised), the cost assumptions and the run's provenance. Figures are inline SVG (sharp at any zoom).
"""

from __future__ import annotations

import html
import io
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")  # headless: reports are made by scheduled flows with no display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter, PercentFormatter  # noqa: E402

ROLLING_SHARPE_DAYS = 126
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# (key of domain.metrics.summarize / relative_to, label, unit): unit pct | ratio | days
METRIC_ROWS: list[tuple[str, str, str]] = [
    ("total_return", "Total return", "pct"), ("cagr", "CAGR", "pct"), ("volatility", "Volatility (ann.)", "pct"),
    ("sharpe", "Sharpe", "ratio"), ("sortino", "Sortino", "ratio"), ("max_drawdown", "Max drawdown", "pct"),
    ("calmar", "Calmar", "ratio"), ("drawdown_longest_days", "Longest drawdown", "days"),
    ("drawdown_avg_recovery_days", "Average recovery", "days"), ("recovery_factor", "Recovery factor", "ratio"),
    ("hit_rate", "Hit rate (days up)", "pct"), ("win_loss_ratio", "Win/loss ratio", "ratio"),
    ("var_95", "Daily VaR 95%", "pct"), ("cvar_95", "Daily CVaR 95%", "pct"), ("skew", "Skew", "ratio"),
    ("kurtosis", "Excess kurtosis", "ratio"), ("turnover", "Turnover (avg daily |exposure change|)", "ratio"),
    ("alpha", "Alpha (ann.)", "pct"), ("beta", "Beta", "ratio"),
    ("information_ratio", "Information ratio", "ratio"), ("tracking_error", "Tracking error (ann.)", "pct"),
    ("ic_spearman", "Forecast IC (Spearman)", "ratio"), ("ic_pearson", "Forecast IC (Pearson)", "ratio"),
    ("forecast_hit_rate", "Forecast sign hit rate", "pct"), ("base_rate", "Base rate (better constant sign)", "pct"),
    ("deflated_sharpe", "Deflated Sharpe ratio", "ratio"), ("pbo", "Probability of backtest overfitting", "pct"),
]
FOLD_UNITS = {"period_return": "pct", "max_drawdown": "pct", "calmar": "ratio", "sharpe": "ratio",
              "bh_period_return": "pct", "ic": "ratio", "hit_rate": "pct", "base_rate": "pct", "bm_calmar": "ratio"}
FOLD_HEADERS = {"fold": "fold", "test_start": "from", "test_end": "to", "period_return": "return (quarter)",
                "max_drawdown": "max drawdown", "calmar": "Calmar", "sharpe": "Sharpe",
                "bh_period_return": "benchmark return", "ic": "IC", "hit_rate": "hit rate", "base_rate": "base rate",
                "bm_calmar": "beta-matched Calmar"}
STRATEGY_COLOUR, BENCHMARK_COLOUR = "#1f4e9c", "#9a9a9a"


def fmt(value, unit: str) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    if unit == "pct":
        return f"{value:.2%}"
    if unit == "days":
        return f"{value:,.0f} days"
    return f"{value:,.2f}"


def _svg(fig) -> str:
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # text stays text: small, sharp, searchable
        fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg"):]  # inline: drop the XML prolog and DOCTYPE


def _figure(svg: str, caption: str) -> str:
    return f'<figure role="img" aria-label="{html.escape(caption)}">{svg}<figcaption>{html.escape(caption)}</figcaption></figure>'


def _mark_folds(ax, boundaries: Sequence[pd.Timestamp]) -> None:
    for b in boundaries:
        ax.axvline(b, color="#b0b0b0", lw=0.6, ls=(0, (3, 3)), zorder=0)


def time_panels(days: pd.DataFrame, label: str, benchmark: str, boundaries: Sequence[pd.Timestamp]) -> str:
    """Equity, drawdown, rolling Sharpe and exposure on one shared date axis, fold starts dashed."""
    strategy, bench = days["strategy_return"], days["benchmark_return"]
    fig, axes = plt.subplots(4, 1, figsize=(10, 9.2), sharex=True, gridspec_kw={"height_ratios": [3, 1.6, 1.3, 1.3]})
    eq, dd, sh, ex = axes
    for series, name, colour, lw in ((strategy, label, STRATEGY_COLOUR, 1.4),
                                     (bench, benchmark, BENCHMARK_COLOUR, 1.0)):
        equity = (1 + series).cumprod()
        eq.plot(days.index, equity - 1, color=colour, lw=lw, label=name)
        dd.fill_between(days.index, equity / equity.cummax() - 1, 0, color=colour,
                        alpha=0.45 if colour == STRATEGY_COLOUR else 0.25, lw=0, label=name)
    eq.set_title("Cumulative return (out of sample, net of costs)", loc="left")
    eq.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    eq.legend(loc="upper left", frameon=False)
    dd.set_title("Drawdown", loc="left")
    dd.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    rolling = strategy.rolling(ROLLING_SHARPE_DAYS).mean() / strategy.rolling(ROLLING_SHARPE_DAYS).std() * np.sqrt(252)
    sh.plot(days.index, rolling, color=STRATEGY_COLOUR, lw=1.0)
    sh.axhline(0, color="black", lw=0.6)
    sh.set_title(f"Rolling Sharpe ({ROLLING_SHARPE_DAYS} sessions, annualised)", loc="left")
    ex.plot(days.index, days["exposure"], color=STRATEGY_COLOUR, lw=0.8)
    ex.axhline(0, color="black", lw=0.6)
    ex.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ex.set_title("Exposure (% of capital, decided at the close, earns the next session)", loc="left")
    for ax in axes:
        _mark_folds(ax, boundaries)
        ax.grid(alpha=0.25)
        ax.spines[["top", "right"]].set_visible(False)
    ex.set_xlabel("date (dashed: start of each walk-forward fold)")
    fig.align_ylabels(axes)
    fig.tight_layout()
    return _figure(_svg(fig), "Cumulative return, drawdown, rolling Sharpe and exposure on one date axis")


def monthly_returns(returns: pd.Series) -> pd.DataFrame:
    """Compounded return per calendar month: one row a year, columns 1..12."""
    monthly = (1 + returns).groupby([returns.index.year, returns.index.month]).prod() - 1
    table = monthly.unstack(level=1).reindex(columns=range(1, 13))
    table.index.name, table.columns.name = "year", "month"
    return table


def yearly_returns(returns: pd.Series) -> pd.Series:
    return (1 + returns).groupby(returns.index.year).prod() - 1


def monthly_heatmap(returns: pd.Series) -> str:
    table = monthly_returns(returns)
    years = yearly_returns(returns).reindex(table.index)
    values = table.to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(10, 0.34 * len(table) + 1.4))
    limit = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 0.1
    image = ax.imshow(values, cmap="RdYlGn", vmin=-limit, vmax=limit, aspect="auto")
    ax.set_xticks(range(13), [*MONTHS, "Year"])
    ax.set_yticks(range(len(table)), [str(y) for y in table.index])
    for (i, j), value in np.ndenumerate(values):
        if np.isfinite(value):
            ax.text(j, i, f"{value:.1%}", ha="center", va="center", fontsize=7)
    for i, value in enumerate(years.to_numpy()):  # the year's total, in its own column, not coloured
        ax.text(12, i, f"{value:.1%}", ha="center", va="center", fontsize=7, fontweight="bold")
    ax.set_xlim(-0.5, 12.5)
    ax.axvline(11.5, color="black", lw=0.8)
    bar = fig.colorbar(image, ax=ax, fraction=0.025, pad=0.01)
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_title("Monthly returns (strategy), yearly total on the right", loc="left")
    fig.tight_layout()
    return _figure(_svg(fig), "Monthly returns heat map with yearly totals")


def metric_table(metrics: Mapping[str, Mapping[str, float]]) -> str:
    names = list(metrics)
    rows = "".join(
        f"<tr><th>{html.escape(label)}</th>" + "".join(f"<td>{fmt(metrics[n].get(key), unit)}</td>" for n in names)
        + "</tr>"
        for key, label, unit in METRIC_ROWS if any(key in metrics[n] for n in names)
    )
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    return f'<table class="metrics"><tr><th></th>{head}</tr>{rows}</table>'


def fold_table(folds: pd.DataFrame) -> str:
    if folds.empty:
        return "<p>No folds.</p>"
    columns = [c for c in FOLD_HEADERS if c in folds]
    head = "".join(f"<th>{html.escape(FOLD_HEADERS[c])}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{fmt(row[c], FOLD_UNITS[c]) if c in FOLD_UNITS else html.escape(str(row[c]))}</td>"
                         for c in columns) + "</tr>"
        for _, row in folds.iterrows())
    return f'<table class="folds"><tr>{head}</tr>{body}</table>'


def target_table(checks: Sequence) -> str:
    """The design document's targets (``domain.targets.check_targets``), each with its value and pass/fail."""
    units = {key: unit for key, _, unit in METRIC_ROWS}
    labels = {key: label for key, label, _ in METRIC_ROWS}
    rows = "".join(
        f"<tr><th>{html.escape(labels.get(c.metric, c.metric))}</th><td>{fmt(c.value, units.get(c.metric, 'ratio'))}"
        f"</td><td>{html.escape(c.target)}</td><td>{'pass' if c.passed else '<b>FAIL</b>'}</td></tr>"
        for c in checks)
    passed = sum(c.passed for c in checks)
    return (f'<table class="targets"><tr><th></th><th>value</th><th>target</th><th></th></tr>{rows}</table>'
            f'<p class="sub">{passed} of {len(checks)} targets met.</p>')


def _definition_list(items: Mapping[str, object]) -> str:
    return "<dl>" + "".join(f"<dt>{html.escape(str(k))}</dt><dd>{html.escape(str(v))}</dd>"
                            for k, v in items.items()) + "</dl>"


STYLE = """body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1100px;margin:2em auto;color:#222}
h1{margin-bottom:.2em} .sub{color:#555;margin-top:0} table{border-collapse:collapse;font-size:13px;margin:.5em 0}
td,th{padding:3px 10px;border-bottom:1px solid #e3e3e3;text-align:right;font-variant-numeric:tabular-nums}
th:first-child{text-align:left} figure{margin:1em 0} figure svg{width:100%;height:auto}
figcaption{font-size:12px;color:#666} dl{display:grid;grid-template-columns:max-content auto;gap:2px 14px;font-size:13px}
dt{color:#555} dd{margin:0}"""


def render_tearsheet(
    title: str, days: pd.DataFrame, folds: pd.DataFrame, metrics: Mapping[str, Mapping[str, float]],
    benchmark: str, notes: list[str] | None = None, *, costs: str | None = None,
    provenance: Mapping[str, object] | None = None, risk_free: float = 0.0, targets: Sequence = (),
) -> str:
    """`days`: index date, columns exposure, strategy_return, benchmark_return (net of costs).
    `folds`: one row a fold with test_start, test_end, period_return, bh_period_return, ... (CLI fold_rows).
    `metrics`: name -> domain.metrics.summarize (+ relative_to for the strategy)."""
    days = days.sort_index()
    boundaries = [pd.Timestamp(s) for s in folds["test_start"]] if "test_start" in folds else []
    note_html = "".join(f"<li>{html.escape(n)}</li>" for n in notes or [])
    label = next(iter(metrics), "strategy")
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style></head><body>
<h1>{html.escape(title)}</h1>
<p class="sub">Out of sample {days.index.min():%Y-%m-%d} to {days.index.max():%Y-%m-%d}: {len(days):,} sessions,
{len(folds)} walk-forward folds, benchmark: {html.escape(benchmark)}. Returns are daily, simple, net of
costs; Sharpe and Sortino are over a {risk_free:.1%} risk-free rate (per year), 252 sessions a year.</p>
<h2>Metrics</h2>{metric_table(metrics)}
{"<h2>Design targets</h2>" + target_table(targets) if targets else ""}
<p class="sub">Alpha, beta, information ratio and tracking error of {html.escape(label)} against
{html.escape(benchmark)} (daily returns, annualised).</p>
<h2>Performance over time</h2>{time_panels(days, label, benchmark, boundaries)}
<h2>Monthly returns</h2>{monthly_heatmap(days["strategy_return"])}
<h2>Walk-forward folds</h2>
<p class="sub">Each fold is one quarter tested out of sample; its return is the quarter's own, not annualised.</p>
{fold_table(folds)}
<h2>Assumptions and provenance</h2>
<p>Costs: {html.escape(costs or "not stated by the run")}</p>
{_definition_list(provenance or {})}
<ul>{note_html}</ul>
</body></html>"""
