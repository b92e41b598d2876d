"""The daily fund report: one self-contained HTML file a fund operator reads after the close.

NAV and drawdown on one date axis, P&L per strategy, open positions with their marks and how far each
is from its exit rules, the day's alerts and the next session's orders. No script, no external file:
figures are inline SVG and the style is inline, so it opens anywhere (and in a headless browser test).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from infra.reporting.tearsheet import STYLE, _figure, _svg

SEVERITY_COLOURS = {"critical": "#b3261e", "warning": "#a15c00", "info": "#3a5a8c"}


@dataclass
class DailyReport:
    as_of: dt.date
    next_session: dt.date
    nav: pd.DataFrame  # index date; columns nav, drawdown (<= 0 or >= 0 as stored: shown as a fall)
    strategy_pnl: list[dict] = field(default_factory=list)  # strategy, open, realized, unrealized, total
    books: list[dict] = field(default_factory=list)  # strategy, stage, equity, pnl, since_start, drawdown, holdings, rules, health
    positions: list[dict] = field(default_factory=list)  # id, strategy, position, opened, entry, mark, source, pnl, exits
    alerts: list[dict] = field(default_factory=list)  # severity, strategy, kind, title, status
    orders: list[dict] = field(default_factory=list)  # strategy, instrument, order, detail
    warnings: list[str] = field(default_factory=list)  # said loudly at the top
    provenance: dict = field(default_factory=dict)


def _money(v) -> str:
    return "–" if v is None else f"{v:,.2f}"


def _cell(v) -> str:
    return html.escape("–" if v is None or v == "" else str(v))


def _table(rows: Sequence[dict], columns: Sequence[tuple[str, str]], empty: str, money: Sequence[str] = ()) -> str:
    if not rows:
        return f'<p class="empty">{html.escape(empty)}</p>'
    num = ' class="num"'
    head = "".join(f"<th{num if key in money else ''}>{html.escape(label)}</th>" for key, label in columns)
    body = []
    for r in rows:
        cells = []
        for key, _ in columns:
            value = r.get(key)
            text = _money(value) if key in money else _cell(value)
            style = ""
            if key == "severity" and value in SEVERITY_COLOURS:
                style = f' style="color:{SEVERITY_COLOURS[value]};font-weight:600"'
            elif key in money:
                style = ' class="num neg"' if isinstance(value, int | float) and value < 0 else ' class="num"'
            cells.append(f"<td{style}>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def nav_figure(nav: pd.DataFrame) -> str:
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, PercentFormatter

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 4.6), sharex=True, gridspec_kw={"height_ratios": [2.2, 1]})
    top.plot(nav.index, nav["nav"], color="#1f4e9c", lw=1.4, marker="o" if len(nav) < 40 else None, ms=2.5)
    top.set_title("NAV", loc="left")
    top.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    fall = -nav["drawdown"].abs()
    bottom.fill_between(nav.index, fall, 0, color="#b3261e", alpha=0.35, lw=0)
    bottom.set_title("Drawdown from the running peak", loc="left")
    bottom.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(maxticks=10)
    bottom.xaxis.set_major_locator(locator)
    bottom.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    span = nav.index.max() - nav.index.min()
    pad = max(span * 0.03, pd.Timedelta(days=2))  # one session's NAV must not sit in a five-year axis
    bottom.set_xlim(nav.index.min() - pad, nav.index.max() + pad)
    for ax in (top, bottom):
        ax.grid(alpha=0.25)
        ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return _figure(_svg(fig), "NAV and drawdown")


DAILY_STYLE = STYLE + """
.warn{border:2px solid #b3261e;background:#fdecea;color:#6b1610;padding:.6em 1em;font-weight:600;margin:1em 0}
.neg{color:#b3261e} .empty{color:#666;font-style:italic} td,th{text-align:left} td.num,th.num{text-align:right} .kpi{display:flex;gap:2.5em}
.kpi div{font-size:13px;color:#555} .kpi b{display:block;font-size:22px;color:#222}"""


def render_daily_report(report: DailyReport) -> str:
    nav = report.nav.sort_index()
    last = nav.iloc[-1] if len(nav) else None
    kpis = ""
    if last is not None:
        change = nav["nav"].iloc[-1] - nav["nav"].iloc[-2] if len(nav) > 1 else None
        kpis = ('<div class="kpi">'
                f'<div>NAV<b>{_money(last["nav"])}</b></div>'
                f'<div>change on the day<b class="{"neg" if (change or 0) < 0 else ""}">{_money(change)}</b></div>'
                f'<div>drawdown<b>{abs(last["drawdown"]):.2%}</b></div>'
                f'<div>open positions<b>{len(report.positions)}</b></div>'
                f'<div>alerts today<b>{len(report.alerts)}</b></div></div>')
    warnings = "".join(f'<p class="warn">{html.escape(w)}</p>' for w in report.warnings)
    figure = nav_figure(nav) if len(nav) else '<p class="empty">No NAV stored yet.</p>'
    provenance = "".join(f"<dt>{html.escape(str(k))}</dt><dd>{html.escape(str(v))}</dd>"
                         for k, v in report.provenance.items())
    title = f"quantops daily report {report.as_of}"
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{DAILY_STYLE}</style></head><body>
<h1>Daily fund report: {report.as_of:%A %d %B %Y}</h1>
<p class="sub">After the close of {report.as_of}; orders are for the next session, {report.next_session}.</p>
{warnings}{kpis}
<h2>NAV and drawdown</h2>{figure}
<h2>P&amp;L per strategy (recorded positions)</h2>
{_table(report.strategy_pnl, [("strategy", "strategy"), ("open", "open positions"), ("realized", "realized P&L"),
                              ("unrealized", "unrealized P&L"), ("total", "total P&L")],
        "No positions yet.", money=("realized", "unrealized", "total"))}
<h2>Strategy books</h2>
<p class="sub">Each strategy's own book after its rules; a paper book is tracked here but is not in the fund's NAV.</p>
{_table(report.books, [("strategy", "strategy"), ("stage", "stage"), ("equity", "equity"), ("pnl", "P&L on the day"),
                       ("since_start", "P&L since start"), ("drawdown", "drawdown"), ("holdings", "holdings"),
                       ("rules", "rules active"), ("health", "health (seed 000 section 10)")],
        "No strategy books yet.", money=("equity", "pnl", "since_start"))}
<h2>Open positions</h2>
{_table(report.positions, [("id", "id"), ("strategy", "strategy"), ("position", "position"), ("opened", "opened"),
                           ("entry", "entry"), ("mark", "mark"), ("source", "mark from"), ("pnl", "unrealized P&L"),
                           ("exits", "distance to exit rules")],
        "No open positions.", money=("pnl",))}
<h2>Alerts of the day</h2>
{_table(report.alerts, [("severity", "severity"), ("strategy", "strategy"), ("kind", "rule"), ("title", "alert"),
                        ("status", "delivery")], "No alerts today.")}
<h2>Orders for {report.next_session}</h2>
{_table(report.orders, [("strategy", "strategy"), ("instrument", "instrument"), ("order", "order"),
                        ("detail", "detail")], "No orders for the next session.")}
<h2>Provenance</h2><dl>{provenance}</dl>
</body></html>"""
