"""The daily fund report task: gather the day's state through infra, write the HTML, link it as an artifact.

The file goes to QUANTOPS_HOME/reports/daily-YYYY-MM-DD.html (one a session: a rerun replaces it) and
the run's artifact `daily-report-YYYY-MM-DD` links to it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE as NO_CACHE

from domain.calendar import next_session, sessions_between
from domain.portfolio.positions import SpreadPosition
from domain.risk.health import HealthParams
from domain.risk.params import RiskParams
from infra import portfolio_store as store
from infra.db.engine import app_engine
from infra.model_store import code_version
from infra.notifications import Notifier
from infra.reporting.daily_report import DailyReport, render_daily_report
from infra.book_store import book_days, load_book, orders_on
from domain.book.spread_orders import TIMING as SPREAD_TIMING
from infra.research_store import load_targets
from infra.settings import get_settings
from infra.tlt_exit_rule import live_risk_params
from tasks.health import book_health
from tasks.retry import TRANSIENT

NO_TARGETS = ("NO ALERT TARGETS CONFIGURED: alerts are stored but reach no one. Set QUANTOPS_ALERT_URLS "
              "(see the README, Alerts).")


def report_path(as_of: dt.date) -> Path:
    return get_settings().home / "reports" / f"daily-{as_of.isoformat()}.html"


def _exit_distances(p, mark, risk: RiskParams, as_of: dt.date) -> str:
    if mark is None:
        return "not marked: exit rules cannot be checked"
    if isinstance(p, SpreadPosition):
        profit = mark.unrealized_pnl / p.max_profit if p.max_profit else float("nan")
        value_to_credit = mark.price / p.entry_credit if p.entry_credit else float("nan")
        dte = mark.dte if mark.dte is not None else (p.expiration - as_of).days
        return (f"profit {profit:.0%} of max (target {risk.profit_target_pct:.0%}); value {value_to_credit:.2f}x "
                f"credit (loss limit {risk.loss_limit_multiple:g}x); {dte} days to expiry "
                f"(close at {risk.dte_threshold})")
    direction = 1.0 if p.quantity >= 0 else -1.0
    move = direction * (mark.price / p.entry_price - 1.0)
    held = max(len(sessions_between(p.opened, as_of)) - 1, 0)
    return (f"return {move:+.1%} (stop at -{risk.stop_loss_pct:.0%}); held {held} of "
            f"{risk.time_stop_sessions} sessions")


def _describe(p) -> tuple[str, float]:
    if isinstance(p, SpreadPosition):
        return (f"{p.underlying} {p.option_type} {p.short_leg.strike:g}/{p.long_leg.strike:g} {p.expiration} "
                f"x{p.contracts}", p.entry_credit)
    return f"{p.symbol} {p.quantity:+g}", p.entry_price


def _orders(engine, as_of: dt.date, strategies: list[str]) -> list[dict]:
    """Orders of the strategies' books decided at this close, and proposals no book steps (option spreads)."""
    rows = [{"strategy": r.strategy, "instrument": r.instrument,
             "order": f"{r.side} {abs(r.quantity):,.2f} (ref. {r.reference_price:,.2f}, notional {r.notional:,.2f})",
             "detail": f"{r.timing}, {r.status}"} for r in orders_on(engine, as_of).itertuples()
            if r.timing != SPREAD_TIMING]  # spread orders: listed below from their proposals, with POP
    for strategy in strategies:
        targets = load_targets(engine, strategy, as_of)
        if targets is None or targets.as_of.date() != as_of or not targets.spreads:
            continue
        for p in targets.spreads:
            rows.append({"strategy": strategy, "instrument": p.underlying,
                         "order": f"proposed: sell {p.contracts} {p.option_type} {p.short_strike:g}/{p.long_strike:g} "
                                  f"{pd.Timestamp(p.expiration).date()} for {p.credit:,.2f} credit"
                                  + (f", POP {p.pop:.1%}" if p.pop is not None else ""),
                         "detail": f"proposal; accepted: quantops positions add --strategy {strategy} --type "
                                   f"{p.option_type} --short-strike {p.short_strike:g} --long-strike {p.long_strike:g} "
                                   f"--expiration {pd.Timestamp(p.expiration).date()} --credit PRICE --contracts N"})
    return rows


def _books(engine, as_of: dt.date, strategies: list[str], health: HealthParams) -> list[dict]:
    """Each strategy's book after this close: stage, equity, P&L on the day and since it started, drawdown,
    holdings, the rules holding it back, and its health (each check's state and figure)."""
    rows = []
    for strategy in strategies:
        days = book_days(engine, strategy)
        days = days[pd.to_datetime(days["as_of"]) <= pd.Timestamp(as_of)]
        if days.empty or days["as_of"].iloc[-1] != as_of:
            rows.append({"strategy": strategy, "stage": "", "holdings": "not stepped this session"})
            continue
        book, last = load_book(engine, strategy, before=as_of + dt.timedelta(days=1)), days.iloc[-1]
        h = book_health(strategy, as_of, health, engine=engine)  # its stage: the effective stage of that day
        rows.append({"strategy": strategy, "stage": h["stage"], "equity": book.equity, "pnl": last["pnl"],
                     "since_start": book.equity - book.capital, "drawdown": f"{-book.drawdown:.2%}",
                     "holdings": ", ".join(f"{k} {v:+.1%}" for k, v in book.weights.items()) or "flat",
                     "rules": last["filters"] or "none", "health": h["text"]})
    return rows


def gather(as_of: dt.date, strategies: list[str]) -> DailyReport:
    engine = app_engine()
    risk = live_risk_params()  # the TLT exit rule the checks apply, from its one source
    history = [r for r in store.nav_history(engine, 100_000) if r.date <= as_of]
    nav = pd.DataFrame({"nav": [r.nav for r in history], "drawdown": [r.drawdown for r in history]},
                       index=pd.to_datetime([r.date for r in history]))
    everything = [p for p in store.list_positions(engine) if p.opened <= as_of]
    open_ = [p for p in everything if p.exit is None or p.exit.date > as_of]
    marks = {m.position_id: m for m in store.marks_on(engine, as_of)}
    pnl: dict[str, dict] = {}
    for p in everything:
        row = pnl.setdefault(p.strategy, {"strategy": p.strategy, "open": 0, "realized": 0.0, "unrealized": 0.0})
        if p.exit is not None and p.exit.date <= as_of:
            row["realized"] += p.pnl_at(p.exit.price)
        elif p in open_:
            row["open"] += 1
            row["unrealized"] += marks[p.id].unrealized_pnl if p.id in marks else 0.0
    for row in pnl.values():
        row["total"] = row["realized"] + row["unrealized"]
    positions = []
    for p in open_:
        what, entry = _describe(p)
        m = marks.get(p.id)
        positions.append({"id": p.id, "strategy": p.strategy, "position": what, "opened": p.opened,
                          "entry": f"{entry:,.2f}", "mark": f"{m.price:,.2f}" if m else None,
                          "source": m.source if m else "not marked", "pnl": m.unrealized_pnl if m else None,
                          "exits": _exit_distances(p, m, risk, as_of)})
    alerts = [{"severity": a.severity, "strategy": owner, "kind": a.kind, "title": a.title, "status": a.status}
              for a, owner in store.find_alerts(engine, start=as_of, end=as_of)]
    warnings = [] if Notifier(get_settings().alert_url_list).targets else [NO_TARGETS]
    return DailyReport(as_of=as_of, next_session=next_session(as_of), nav=nav,
                       strategy_pnl=sorted(pnl.values(), key=lambda r: r["strategy"]),
                       books=_books(engine, as_of, strategies, risk.health), positions=positions,
                       alerts=alerts, orders=_orders(engine, as_of, strategies), warnings=warnings,
                       provenance={"session": as_of, "code version": code_version(),
                                   "made at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")})


@task(name="write-daily-report", cache_policy=NO_CACHE, **TRANSIENT)
def write_daily_report(as_of: dt.date, strategies: list[str]) -> str:
    """Write the day's HTML report and link it from the artifact `daily-report-<session>`; returns the path."""
    path = report_path(as_of)
    path.parent.mkdir(parents=True, exist_ok=True)
    report = gather(as_of, strategies)
    path.write_text(render_daily_report(report), encoding="utf-8")
    create_markdown_artifact(
        key=f"daily-report-{as_of.isoformat()}",
        markdown=(f"# Daily fund report {as_of}\n\n[Open the report]({path.as_uri()})\n\n`{path}`\n\n"
                  f"{len(report.positions)} open position(s), {len(report.alerts)} alert(s), "
                  f"{len(report.orders)} order(s) for {report.next_session}."
                  + "".join(f"\n\n**{w}**" for w in report.warnings)),
        description=f"daily fund report {as_of}",
    )
    return str(path)
