"""HTML report of an allocator walk-forward: allocation through time, equity against the baseline and each
leg, acceptance gates, the fold table, the reliability diagram of the calibration, feature-importance
stability, deflated Sharpe and monotonic checks (figures as base64 PNG, like the tearsheet)."""

from __future__ import annotations

import base64
import html
import io

import numpy as np
import pandas as pd

from infra.reporting.tearsheet import plt


def _img(fig, alt: str) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=160, bbox_inches="tight")  # 2x for sharp figures on HiDPI screens
    plt.close(fig)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{encoded}"/>'


def _fmt(value) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    return f"{value:,.4f}" if isinstance(value, float) else html.escape(str(value))

SERIES = (("net_equity", "allocator"), ("baseline_equity", "baseline 50/50"), ("qqq_leg_equity", "QQQ leg"),
          ("spy_leg_equity", "SPY leg"))
FOLD_COLUMNS = ["name", "horizon", "lambda_dd", "lambda_tc", "num_leaves", "alpha", "blend", "temperature",
                "test_pnl", "test_cagr", "test_max_drawdown", "test_calmar", "test_turnover", "test_monthly_hit_rate",
                "test_tail_loss", "bh_pnl", "bh_calmar", "val_logloss_raw", "val_logloss_calibrated", "inner_dsr"]


def allocation_figure(daily: pd.DataFrame) -> str:
    fig, ax = plt.subplots(figsize=(10, 2.6))
    ax.plot(daily.index, daily["w"], lw=1.2, label="w_qqq (smoothed, capped)")
    ax.plot(daily.index, daily["w_raw"], lw=0.5, alpha=0.4, label="w_raw (best expected utility)")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("Allocation to the QQQ leg")
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    return _img(fig, "allocation")


def equity_figure(daily: pd.DataFrame) -> str:
    fig, ax = plt.subplots(figsize=(10, 3.6))
    for column, label in SERIES:
        ax.plot(daily.index, daily[column], lw=1.4 if column == "net_equity" else 1.0, label=label)
    ax.set_yscale("log")
    ax.set_title("Out-of-sample equity (log scale)")
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    return _img(fig, "equity")


def reliability_figure(reliability: pd.DataFrame) -> str:
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--", label="perfect calibration")
    if len(reliability):
        ax.plot(reliability["mean_predicted"], reliability["observed"], marker="o", label="calibrated model")
    ax.set_xlabel("predicted probability of a bucket")
    ax.set_ylabel("observed frequency")
    ax.set_title("Reliability (test windows)")
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    return _img(fig, "reliability")


def importance_figure(importance: pd.DataFrame, top: int = 15) -> str:
    ranks = importance.rank(axis=1, ascending=False)
    order = ranks.mean().sort_values().index[:top]
    fig, ax = plt.subplots(figsize=(10, 0.3 * top + 1.2))
    ax.imshow(ranks[order].T.to_numpy(), aspect="auto", cmap="viridis_r")
    ax.set_yticks(range(len(order)), labels=list(order), fontsize=8)
    step = max(1, len(importance) // 12)
    ax.set_xticks(range(0, len(importance), step), labels=list(importance.index[::step]), fontsize=7)
    ax.set_title(f"Feature importance rank per fold (top {top} by mean rank; dark = important)")
    return _img(fig, "importance")


def _table(rows: dict[str, dict]) -> str:
    cols = sorted({k for r in rows.values() for k in r})
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join(f"<tr><th>{html.escape(n)}</th>" + "".join(f"<td>{_fmt(r.get(c))}</td>" for c in cols) + "</tr>"
                   for n, r in rows.items())
    return f"<table><tr><th></th>{head}</tr>{body}</table>"


def render_allocator_report(result, title: str = "allocator walk-forward") -> str:
    """``result``: a ``domain.strategies.allocator.research.AllocatorResult``."""
    daily = result.daily
    verdict = "accepted: every gate passes" if result.passed else "not accepted, failed: " + ", ".join(result.failed)
    gates = {name: {"passed": str(g["passed"]), "value": g["value"], "threshold": g["threshold"]}
             for name, g in result.gates.items()}
    folds = result.per_fold[[c for c in FOLD_COLUMNS if c in result.per_fold]]
    fold_html = folds.to_html(index=False, float_format=lambda v: f"{v:,.4f}", border=0)
    mono = result.monotonic.drop(columns="fold").astype(float).mean().to_dict() if len(result.monotonic) else {}
    extra = {"importance rank stability": result.stability, "deflated Sharpe": result.deflated_sharpe,
             "monotonic checks (share of folds passing)": mono}
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto;}} table{{border-collapse:collapse;font-size:13px}}
td,th{{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}} img{{max-width:100%}}</style></head><body>
<h1>{html.escape(title)}</h1>
<p>Legs: {html.escape(result.leg_kind)}. Out of sample {daily.index.min():%Y-%m-%d} .. {daily.index.max():%Y-%m-%d},
{len(daily)} sessions, {len(result.folds)} folds. <b>{html.escape(verdict)}</b></p>
<h2>Metrics</h2>{_table(result.series)}
<h2>Gates</h2>{_table(gates)}
<h2>Allocation and equity</h2>{allocation_figure(daily)}{equity_figure(daily)}
<h2>Calibration</h2>{reliability_figure(result.reliability)}
<h2>Overfitting controls</h2>{_table({k: v for k, v in extra.items() if v})}
{importance_figure(result.importance) if np.prod(result.importance.shape) else ""}
<h2>Folds</h2>{fold_html}
</body></html>"""
