"""Portfolio steps of the daily flow: mark to market, NAV, risk checks, alerts (store, then send),
the daily summary, and the report artifact. Load through infra, compute with domain, store through infra.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NONE as NO_CACHE
from sqlalchemy import func, select

from domain.calendar import is_session, sessions_between
from domain.errors import InputError
from domain.portfolio.marking import Mark, QuoteRow, mark_spread, mark_stock
from domain.portfolio.nav import NavPoint, nav_point, realized_vol
from domain.portfolio.positions import Position, SpreadPosition, StockPosition
from domain.pricing.black_scholes import price as bs_price
from domain.risk.alerts import Alert, dedup_key, severity_rank
from domain.risk.exit_rules import exit_alerts, unmarked_alert
from domain.risk.freshness import DataMissing, missing_message, stale_inputs
from domain.risk.params import RiskParams
from domain.risk.portfolio_rules import drawdown_alert, realized_vol_alert
from domain.tlt.volatility import fit_volatility_model
from infra import portfolio_store as store
from infra.book_store import counted_book_pnl
from infra.db.engine import app_engine, transaction
from infra.db.models.market import DailyBar, OptionQuote
from infra.market_store import load_dividend_yield
from infra.notifications import Notifier, idempotency_key
from infra.settings import get_settings
from infra.strategy_registry import load_registry
from infra.tlt_exit_rule import live_risk_params
from tasks.retry import TRANSIENT

MAX_DELIVERY_ATTEMPTS = 10
FINITE = 1e300  # above any price; inf and NaN compare outside it on SQLite and PostgreSQL
VOL_LOOKBACK_DAYS = 730  # calendar days of closes used to calibrate the volatility model for model marks
SUMMARY_KIND = "daily_summary"


def risk_params() -> RiskParams:
    """config/risk.yaml's thresholds with the TLT exit rule (one source: ``infra.tlt_exit_rule``)."""
    return live_risk_params()


def bs_model_price(option_type: str, spot: float, strike: float, years: float, rate: float, vol: float,
                   div_yield: float = 0.0) -> float:
    return float(bs_price(spot, strike, years, rate, vol, option_type == "call", div_yield))


@dataclass
class MarkResult:
    as_of: dt.date
    positions: list[Position]
    marks: dict[int, Mark]
    unmarked: list[Position] = field(default_factory=list)

    @property
    def sources(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for m in self.marks.values():
            out[m.source] = out.get(m.source, 0) + 1
        return out

    @property
    def unrealized(self) -> float:
        return float(sum(m.unrealized_pnl for m in self.marks.values()))


# ---------------------------------------------------------------- 1. mark to market


def _last_closes(engine, symbols: set[str], as_of: dt.date) -> dict[str, tuple[dt.date, float]]:
    """Each symbol's newest close on or before as_of (with its date): what the freshness rule judges."""
    if not symbols:
        return {}
    # an infinite (or NaN) close is no price: the newest finite one is what counts
    newest = (select(DailyBar.symbol, func.max(DailyBar.date).label("d"))
              .where(DailyBar.date <= as_of, DailyBar.symbol.in_(sorted(symbols)),
                     DailyBar.close < FINITE, DailyBar.close > -FINITE)
              .group_by(DailyBar.symbol).subquery())
    stmt = select(DailyBar.symbol, DailyBar.date, DailyBar.close).join(
        newest, (DailyBar.symbol == newest.c.symbol) & (DailyBar.date == newest.c.d))
    with engine.connect() as conn:
        return {s: (d, float(c)) for s, d, c in conn.execute(stmt)}


def fresh_closes(engine, symbols: set[str], as_of: dt.date, grace_sessions: int) -> dict[str, float]:
    """The close of every held symbol, or DataMissing naming each one with none recent enough."""
    last = _last_closes(engine, symbols, as_of)
    stale = stale_inputs({s: last[s][0] if s in last else None for s in symbols}, as_of, grace_sessions)
    if stale:
        raise DataMissing(missing_message(as_of, stale, grace_sessions))
    return {s: close for s, (_, close) in last.items()}


def _quotes(engine, underlyings: set[str], as_of: dt.date) -> dict:
    if not underlyings:
        return {}
    stmt = select(OptionQuote.underlying, OptionQuote.expiration, OptionQuote.strike, OptionQuote.option_type,
                  OptionQuote.bid, OptionQuote.ask, OptionQuote.implied_vol).where(
        OptionQuote.quote_date == as_of, OptionQuote.underlying.in_(sorted(underlyings)))
    with engine.connect() as conn:
        return {(u, e, round(float(k), 4), t): QuoteRow(float(b), float(a), float(iv) if iv else None)
                for u, e, k, t, b, a, iv in conn.execute(stmt)}


def _model_vol(engine, underlying: str, as_of: dt.date, spot: float | None) -> float | None:
    """The calibrated volatility model (realized vol regressed on price) evaluated at today's price."""
    if spot is None:
        return None
    stmt = (select(DailyBar.close).where(DailyBar.symbol == underlying, DailyBar.date <= as_of,
                                         DailyBar.date > as_of - dt.timedelta(days=VOL_LOOKBACK_DAYS))
            .order_by(DailyBar.date))
    with engine.connect() as conn:
        closes = np.asarray(conn.scalars(stmt).all(), dtype=float)
    try:
        model = fit_volatility_model(closes, reference_price=spot)
    except InputError:
        return None
    return float(model.iv(spot, reference_price=spot))


def _sessions_held(opened: dt.date, as_of: dt.date) -> int:
    """Sessions after the opening one, up to and including as_of (opened Monday, as_of Tuesday = 1)."""
    n = len(sessions_between(opened, as_of))
    return max(n - (1 if is_session(opened) else 0), 0)


def compute_marks(engine, as_of: dt.date, params: RiskParams) -> MarkResult:
    positions = store.open_positions_at(engine, as_of)
    spreads = [p for p in positions if isinstance(p, SpreadPosition)]
    stocks = [p for p in positions if isinstance(p, StockPosition)]
    underlyings = {p.underlying for p in spreads}
    closes = fresh_closes(engine, underlyings | {p.symbol for p in stocks}, as_of, params.stale_data_grace_sessions)
    quotes = _quotes(engine, underlyings, as_of)
    vols: dict[str, float | None] = {}
    # the underlying's dividend yield (TLT pays ~4%) from its stored raw/adjusted closes; 0 without a year of them
    div_yields = {u: load_dividend_yield(engine, u, as_of) or 0.0 for u in underlyings}
    marks: dict[int, Mark] = {}
    unmarked: list[Position] = []
    for p in spreads:
        spot = closes.get(p.underlying)
        if p.underlying not in vols:
            vols[p.underlying] = _model_vol(engine, p.underlying, as_of, spot)
        vol = vols[p.underlying] or p.iv or params.default_vol
        m = mark_spread(p, as_of, quotes, spot, bs_model_price, vol, params.risk_free_rate,
                        div_yields[p.underlying])
        if m is None:
            unmarked.append(p)
        else:
            marks[p.id] = m
    held_cache: dict[dt.date, int] = {}
    for p in stocks:
        if p.opened not in held_cache:
            held_cache[p.opened] = _sessions_held(p.opened, as_of)
        m = mark_stock(p, as_of, closes.get(p.symbol), held_cache[p.opened])
        if m is None:
            unmarked.append(p)
        else:
            marks[p.id] = m
    return MarkResult(as_of, positions, marks, unmarked)


@task(name="mark-to-market", cache_policy=NO_CACHE, **TRANSIENT)
def mark_to_market(as_of: dt.date) -> MarkResult:
    """Price every position open at as_of's close and store the day's marks (one transaction). A held
    instrument without a fresh close fails the step (DataMissing, not retried): nothing is stored."""
    engine = app_engine()
    result = compute_marks(engine, as_of, risk_params())
    with transaction(engine) as session:
        store.replace_marks(session, as_of, list(result.marks.values()))
    get_run_logger().info("marked %d of %d open positions on %s (%s); unrealized P&L %.2f",
                          len(result.marks), len(result.positions), as_of, result.sources or "none",
                          result.unrealized)
    return result


# ---------------------------------------------------------------- 2. NAV


@dataclass
class NavResult:
    point: NavPoint | None
    realized_vol: float | None
    navs: list[float]  # daily NAVs up to and including as_of (for the vol rule)
    note: str | None = None


def compute_nav_point(engine, as_of: dt.date, marks: MarkResult, params: RiskParams) -> NavResult:
    base = store.external_nav_on_or_before(engine, as_of)
    if base is None:
        return NavResult(None, None, [], "no external NAV set on or before this date (`quantops nav set`)")
    base_date, base_nav = base
    if base_date == as_of:
        unrealized_base = marks.unrealized
    else:
        unrealized_base = store.unrealized_on(engine, base_date) or 0.0
    # books at stage live or fraction count in the fund (paper books do not): their P&L since the base date
    fractions = {e.name: e.fraction for e in load_registry()}
    books_base, books_now = (counted_book_pnl(engine, d, fractions) for d in (base_date, as_of))
    point = nav_point(
        as_of=as_of, base_date=base_date, base_nav=base_nav,
        realized_cum_at_base=store.realized_pnl_through(engine, base_date),
        unrealized_at_base=unrealized_base + books_base,
        realized_cum_now=store.realized_pnl_through(engine, as_of), unrealized_now=marks.unrealized + books_now,
        previous_peak=store.previous_peak(engine, as_of),
    )
    navs = [*store.nav_series(engine, as_of, params.realized_vol_window), point.nav]
    return NavResult(point, realized_vol(navs), navs)


@task(name="compute-nav", cache_policy=NO_CACHE, **TRANSIENT)
def compute_nav(as_of: dt.date, marks: MarkResult) -> NavResult:
    engine = app_engine()
    result = compute_nav_point(engine, as_of, marks, risk_params())
    logger = get_run_logger()
    if result.point is None:
        logger.warning("NAV not computed for %s: %s", as_of, result.note)
        return result
    with transaction(engine) as session:
        store.save_nav(session, result.point, len(marks.positions), result.realized_vol)
    logger.info("NAV %s: %.2f (peak %.2f, drawdown %.2f%%)", as_of, result.point.nav, result.point.peak,
                100 * result.point.drawdown)
    return result


# ---------------------------------------------------------------- 3. risk checks


def risk_alerts(as_of: dt.date, marks: MarkResult, nav: NavResult, params: RiskParams) -> list[Alert]:
    alerts: list[Alert] = []
    for p in marks.positions:
        m = marks.marks.get(p.id)
        alerts.extend(exit_alerts(p, m, params) if m is not None else [unmarked_alert(p, as_of, params)])
    if nav.point is not None:
        dd = drawdown_alert(nav.point, params)
        if dd is not None:
            alerts.append(dd)
        rv = realized_vol_alert(as_of, nav.navs, params)
        if rv is not None:
            alerts.append(rv)
    elif marks.positions:
        alerts.append(Alert(as_of=as_of, kind="nav_missing", severity="warning",
                            dedup_key=dedup_key(as_of, "nav_missing"), title="NAV not computed",
                            message=f"{as_of}: {nav.note}; drawdown checks skipped.", numbers={}))
    return alerts


@task(name="run-risk-checks", cache_policy=NO_CACHE)
def run_risk_checks(as_of: dt.date, marks: MarkResult, nav: NavResult) -> list[Alert]:
    alerts = risk_alerts(as_of, marks, nav, risk_params())
    get_run_logger().info("risk checks %s: %d finding(s) %s", as_of, len(alerts),
                          sorted({a.kind for a in alerts}))
    return alerts


# ---------------------------------------------------------------- 4. alerts


@task(name="store-alerts", cache_policy=NO_CACHE, **TRANSIENT)
def store_alerts(alerts: list[Alert]) -> list[str]:
    """Store first (one transaction); a rerun of the day stores nothing new. Returns the new keys."""
    with transaction(app_engine()) as session:
        new = store.store_alerts(session, alerts)
    get_run_logger().info("stored %d new alert(s) of %d", len(new), len(alerts))
    return new


def deliver(engine, notifier: Notifier, keys: list[str] | None = None) -> dict:
    """Send every alert not yet acknowledged to every target that wants it: at least once, each send
    carrying the alert's idempotency key (a resend after a timeout or a crash carries the same one)."""
    lease = get_settings().alert_lease_seconds
    counts = {"sent": 0, "failed": 0, "alerts": 0, "uncertain": 0}
    pending = store.alerts_to_send(engine, keys)
    pending.sort(key=lambda a: (-severity_rank(a.severity), a.id))
    for alert in pending:
        targets = notifier.targets_for(alert.severity, alert.kind)
        for target in targets:
            if not store.claim_delivery(engine, alert.id, target.key, target.label, MAX_DELIVERY_ATTEMPTS, lease):
                continue
            result = notifier.send(target, alert.title, alert.message, alert.severity,
                                   key=idempotency_key(alert.dedup_key))
            store.finish_delivery(engine, alert.id, target.key, result.outcome, result.error, MAX_DELIVERY_ATTEMPTS)
            counts[result.outcome] += 1
        store.settle_alert(engine, alert.id, [t.key for t in targets], any_targets=bool(notifier.targets))
        counts["alerts"] += 1
    return counts


NO_TARGETS = ("NO ALERT TARGETS CONFIGURED: QUANTOPS_ALERT_URLS is empty; alerts are stored (`quantops alerts "
              "list`, {n} waiting this run) but reach no one. Set it (README, Alerts) and check with "
              "`quantops status --send-test`.")


@task(name="send-pending-alerts", cache_policy=NO_CACHE, **TRANSIENT)
def send_pending_alerts() -> dict:
    """Send what is stored and not yet delivered (today's and any left by an earlier run). Never raises
    for a target that is down: the failure is recorded and retried on the next run."""
    notifier = Notifier.from_settings()
    counts = deliver(app_engine(), notifier)
    logger = get_run_logger()
    if not notifier.targets:
        logger.warning(NO_TARGETS.format(n=counts["alerts"]))  # once a run, not once an alert
        return counts
    logger.info("alerts: %d delivery(ies) sent, %d failed, %d uncertain (both resent next run)", counts["sent"],
                counts["failed"], counts["uncertain"])
    if counts["failed"] or counts["uncertain"]:
        logger.warning("%d alert delivery(ies) failed, %d timed out (may have arrived); see `quantops alerts list`",
                       counts["failed"], counts["uncertain"])
    return counts


def summary_alert(as_of: dt.date, marks: MarkResult, nav: NavResult, alerts: list[Alert],
                  books: Sequence[str] = ()) -> Alert:
    """``books``: one line per strategy (its stage and health), from the daily flow."""
    exits = [a for a in alerts if a.position_id is not None and a.kind != "unmarked"]
    lines = [f"Daily summary {as_of.isoformat()}"]
    if nav.point is not None:
        p = nav.point
        lines.append(f"NAV {p.nav:,.2f} | peak {p.peak:,.2f} | drawdown {p.drawdown:.2%}"
                     + (f" | realized vol {nav.realized_vol:.1%}" if nav.realized_vol is not None else ""))
    else:
        lines.append(f"NAV not computed: {nav.note}")
    lines.append(f"Open positions: {len(marks.positions)} (marked {len(marks.marks)}, unrealized P&L "
                 f"{marks.unrealized:,.2f})")
    lines.append(f"Exits due: {len({a.position_id for a in exits})}")
    lines += [f"  - {a.title}" for a in exits[:20]]
    if books:
        lines.append("Strategy books (stage: health):")
        lines += [f"  - {line}" for line in books]
    lines.append(f"Alerts today: {len(alerts)}")
    lines += [f"  - [{a.severity}] {a.title}" for a in alerts if a.position_id is None][:10]
    numbers = {
        "nav": round(nav.point.nav, 2) if nav.point else None,
        "drawdown": round(nav.point.drawdown, 6) if nav.point else None,
        "open_positions": len(marks.positions),
        "exits_due": len({a.position_id for a in exits}),
        "alerts": len(alerts),
    }
    return Alert(as_of=as_of, kind=SUMMARY_KIND, severity="info", dedup_key=dedup_key(as_of, SUMMARY_KIND),
                 title=f"quantops daily summary {as_of.isoformat()}", message="\n".join(lines), numbers=numbers)


@task(name="send-daily-summary", cache_policy=NO_CACHE, **TRANSIENT)
def send_daily_summary(as_of: dt.date, marks: MarkResult, nav: NavResult, alerts: list[Alert],
                       books: Sequence[str] = ()) -> dict:
    """Once per day: stored under the day's key, then delivered like any alert (a rerun sends nothing)."""
    engine = app_engine()
    summary = summary_alert(as_of, marks, nav, alerts, books)
    with transaction(engine) as session:
        store.store_alerts(session, [summary])
    counts = deliver(engine, Notifier.from_settings(), keys=[summary.dedup_key])
    get_run_logger().info("daily summary %s: %d sent, %d failed", as_of, counts["sent"], counts["failed"])
    return counts


# ---------------------------------------------------------------- 5. report


def _position_rows(marks: MarkResult, alerts: list[Alert]) -> list[dict]:
    by_position: dict[int, list[str]] = {}
    for a in alerts:
        if a.position_id is not None:
            by_position.setdefault(a.position_id, []).append(a.kind)
    rows = []
    for p in marks.positions:
        m = marks.marks.get(p.id)
        if isinstance(p, SpreadPosition):
            what = f"{p.underlying} {p.option_type} {p.short_leg.strike:g}/{p.long_leg.strike:g} {p.expiration}"
            entry = p.entry_credit
        else:
            what, entry = f"{p.symbol} {p.quantity:+g}", p.entry_price
        rows.append({
            "id": p.id, "strategy": p.strategy, "position": what, "entry": round(entry, 4),
            "mark": round(m.price, 4) if m else None, "source": m.source if m else "unmarked",
            "unrealized_pnl": round(m.unrealized_pnl, 2) if m else None, "dte": m.dte if m else None,
            "signals": ", ".join(by_position.get(p.id, [])),
        })
    return rows


@task(name="publish-portfolio-report", cache_policy=NO_CACHE)
def publish_report(as_of: dt.date, marks: MarkResult, nav: NavResult, alerts: list[Alert], new_keys: list[str],
                   delivery: dict) -> str:
    lines = [f"# Portfolio {as_of.isoformat()}", ""]
    if nav.point is not None:
        p = nav.point
        lines += ["| NAV | peak | drawdown | realized P&L since base | unrealized P&L | realized vol |",
                  "|---|---|---|---|---|---|",
                  (f"| {p.nav:,.2f} | {p.peak:,.2f} | {p.drawdown:.2%} | {p.realized_pnl:,.2f} | "
                  f"{p.unrealized_pnl:,.2f} | "
                  f"{'n/a' if nav.realized_vol is None else f'{nav.realized_vol:.1%}'} |"), ""]
    else:
        lines += [f"NAV not computed: {nav.note}", ""]
    lines.append(f"Open positions: **{len(marks.positions)}**, marked {len(marks.marks)} "
                 f"({', '.join(f'{k}: {v}' for k, v in sorted(marks.sources.items())) or 'none'}), "
                 f"unmarked {len(marks.unmarked)}.")
    lines += ["", f"## Alerts ({len(alerts)}, {len(new_keys)} new)", ""]
    if alerts:
        lines += ["| severity | kind | alert |", "|---|---|---|"]
        lines += [f"| {a.severity} | {a.kind} | {a.title} |"
                  for a in sorted(alerts, key=lambda a: -severity_rank(a.severity))[:50]]
    lines += ["", f"Deliveries this run: {delivery.get('sent', 0)} sent, {delivery.get('failed', 0)} failed."]
    markdown = "\n".join(lines)
    # Keyed per session: the artifacts page lists each session, not whichever one a backfill wrote last.
    day = as_of.isoformat()
    create_markdown_artifact(key=f"portfolio-report-{day}", markdown=markdown, description=f"portfolio {as_of}")
    rows = _position_rows(marks, alerts)
    if rows:
        create_table_artifact(key=f"portfolio-positions-{day}", table=rows, description=f"open positions {as_of}")
    return markdown


# ---------------------------------------------------------------- the steps, in order


def portfolio_steps(as_of: dt.date, books: Sequence[str] = ()) -> dict:
    """Called by the daily flow after market data: the portfolio steps 1-5 for one session. ``books``: the
    summary's line per strategy (stage and health)."""
    marks = mark_to_market(as_of)
    nav = compute_nav(as_of, marks)
    alerts = run_risk_checks(as_of, marks, nav)
    new_keys = store_alerts(alerts)
    delivery = send_pending_alerts()
    summary = send_daily_summary(as_of, marks, nav, alerts, books)
    publish_report(as_of, marks, nav, alerts, new_keys, delivery)
    return {
        "positions": len(marks.positions),
        "marked": len(marks.marks),
        "mark_sources": marks.sources,
        "nav": nav.point.nav if nav.point else None,
        "drawdown": nav.point.drawdown if nav.point else None,
        "alerts": len(alerts),
        "new_alerts": len(new_keys),
        "deliveries_sent": delivery["sent"] + summary["sent"],
        "deliveries_failed": delivery["failed"] + summary["failed"],
    }
