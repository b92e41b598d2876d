"""The daily flow: after the close, for one XNYS session. Later steps hang off the marked blocks."""

from __future__ import annotations

import datetime as dt

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from domain.book.rules import Rules
from domain.calendar import is_session, last_completed_session
from domain.errors import RunFailed
from domain.risk.book_alerts import book_alerts
from tasks.run_log import record_run
from flows.market_data import market_data
from infra.strategy_registry import enabled_strategies, strategy_entry
from tasks.research import load_strategy
from tasks.books import step_book_task
from tasks.signals import decide_task, summarize_targets
from flows.hooks import FAILURE_HOOKS  # portfolio steps: failed/crashed runs alert
from flows.run_names import artifact_key, daily_name
from tasks.daily_report import write_daily_report
from tasks.health import book_health
from tasks.portfolio import portfolio_steps, risk_params, send_pending_alerts, store_alerts


def resolve_as_of(as_of: dt.date | str | None) -> dt.date:
    if as_of is None:
        return last_completed_session(dt.datetime.now(dt.timezone.utc))
    return as_of if isinstance(as_of, dt.date) else dt.date.fromisoformat(str(as_of))


@flow(name="daily", flow_run_name=daily_name, log_prints=True, **FAILURE_HOOKS)
def daily(as_of: dt.date | None = None) -> dict:
    """Run the day's steps for `as_of` (default: the last completed session). Non-sessions are skipped."""
    logger = get_run_logger()
    day = resolve_as_of(as_of)
    if not is_session(day):
        logger.info("%s is not an XNYS trading session: skipped", day)
        return {"as_of": str(day), "status": "skipped"}
    summary: dict = {"as_of": str(day), "status": "completed"}
    summary["market_data"] = market_data(day)

    # strategies: decide-<name> then step-book-<name> per enabled strategy of config/strategies.yaml (first,
    # so the fund's NAV below counts today's P&L of the books that are live or at a fraction of capital)
    summary["signals"] = strategy_steps(day)
    summary["book_alerts"], health = book_alert_steps(day, summary["signals"])
    summary["health"] = health

    # portfolio steps: mark to market, NAV, risk checks, alerts (store then send), summary (with each
    # strategy's stage and health), report
    summary["portfolio"] = portfolio_steps(day, _book_lines(summary["signals"], health))

    # the fund report (HTML under QUANTOPS_HOME/reports/, linked from its artifact)
    summary["report"] = write_daily_report(day, [s["strategy"] for s in summary["signals"]])

    failed = [s for s in summary["signals"] if s["status"] == "failed"]
    if failed:  # the others were stepped and reported; the day is not complete and the failure hook alerts
        raise RunFailed("daily " + str(day) + ": strategy step failed: "
                        + "; ".join(f"{s['strategy']}: {s['error']}" for s in failed))
    record_run("daily", day, "completed")
    create_markdown_artifact(key=artifact_key("daily-summary", day), markdown=_markdown(summary),
                             description=f"daily {day}")
    return summary


def strategy_steps(day: dt.date) -> list[dict]:
    """The per-strategy daily step, in registry order: decide (Targets at today's close, stored), then the
    book step (the strategy's rules on its stored paper book: orders, fills, positions, equity).
    A strategy whose step fails does not stop the others: it is reported as failed (and the flow fails once
    every strategy has had its turn)."""
    results = []
    for name in enabled_strategies():
        try:
            strategy, entry = load_strategy(name), strategy_entry(name)
            targets = decide_task(name)(name, strategy, day, entry.capital)
            rules = strategy.rules()
            # production's re-arm after the hard stop is the registry's (default: operator), not the backtest's
            rules = entry.production_rules(rules) if isinstance(rules, Rules) else rules
            book = step_book_task(name)(name, targets, rules, entry.capital, entry.stage, entry.fraction)
        except Exception as exc:  # noqa: BLE001 - one strategy's failure must not starve the others
            first = (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]
            get_run_logger().error("%s: %s: %s", name, exc.__class__.__name__, first)
            results.append({"strategy": name, "status": "failed", "error": f"{exc.__class__.__name__}: {first}"})
            continue
        results.append({**summarize_targets(name, targets), "book": book})
    return results


def book_alert_steps(day: dt.date, steps: list[dict]) -> tuple[int, dict[str, dict]]:
    """Stops, time stops, throttle steps, the drawdown stop and the history rules of the books, and their
    health (rolling Calmar, correlation with the market, model confidence, realised costs) as alerts, stored
    then sent. Returns the number of alerts and each stepped strategy's stage and health."""
    stepped = [s for s in steps if (s.get("book") or {}).get("status") == "stepped"]
    alerts = [a for s in stepped for a in book_alerts(s["strategy"], day, s["book"]["event_details"])]
    params = risk_params().health  # each condition alerts once per episode, and when it clears
    health = {s["strategy"]: book_health(s["strategy"], day, params, s["book"].get("market")) for s in stepped}
    alerts += [a for h in health.values() for a in h.pop("alerts")]
    if alerts:
        store_alerts(alerts)
        send_pending_alerts()
    return len(alerts), health


def _book_lines(signals: list[dict], health: dict[str, dict]) -> list[str]:
    """The daily summary's line per strategy: its stage and each health check's state and figure."""
    lines = []
    for s in signals:
        h = health.get(s["strategy"])
        if h is None:
            lines.append(f"{s['strategy']}: not stepped ({s['status']})")
        else:
            lines.append(f"{s['strategy']} ({h['stage']}): {h['text']}")
    return lines


def _markdown(summary: dict) -> str:
    lines = [f"# Daily run {summary['as_of']}", ""]
    if summary.get("report"):
        lines += [f"Fund report: [{summary['report']}](file://{summary['report']})", ""]
    rows = summary.get("market_data", {}).get("rows", {})
    written = summary.get("market_data", {}).get("written", {})
    lines += ["| data | rows | new or changed |", "|---|---|---|"]
    lines += [f"| {k} | {rows.get(k, 0)} | {written.get(k, 0)} |" for k in ("bars", "yields", "options")]
    for signal in summary.get("signals", []):
        if signal.get("status") == "decided":
            held = signal["weights"] or signal["leg_weights"]
            what = ", ".join(f"{k} {v:.3f}" for k, v in held.items()) or f"{signal['spreads']} spread(s)"
            lines.append(f"\n**{signal['strategy']}** ({signal['kind']}): {what} wanted for the next session "
                         f"(filters: {', '.join(signal['filters']) or 'none'})")
            lines += _proposal_lines(signal)
            lines.append(_book_line(signal.get("book") or {}))
            h = summary.get("health", {}).get(signal["strategy"])
            if h:
                lines.append(f"stage {h['stage']}; health: {h['text']}")
        else:
            lines.append(f"\n**{signal['strategy']}**: {signal['status']}")
    return "\n".join(lines)


def _proposal_lines(signal: dict) -> list[str]:
    """The top option spread proposals (each an order for the next session), or why there are none."""
    if signal.get("kind") != "spreads":
        return []
    if not signal.get("proposals"):
        return [f"no proposals: {signal.get('note') or 'none passes the screen'}"]
    lines = ["", "| proposal | expiry | credit | POP | contracts |", "|---|---|---|---|---|"]
    lines += [f"| sell {p['spread']} | {p['expiration']} | {p['credit']:.2f} | {p['pop']:.1%} | {p['contracts']} |"
              for p in signal["proposals"]]
    return lines + ["", f"Accepted trades: `quantops positions add --strategy {signal['strategy']} --type put|call "
                        "--short-strike ... --long-strike ... --expiration ... --credit ... --contracts ...` (the daily "
                        "marks and exit rules follow them from then on)."]


def _book_line(book: dict) -> str:
    if book.get("status") == "proposed":
        return f"book: {book['orders']} spread order(s) proposed for the next session (`quantops orders`)"
    if book.get("status") != "stepped":
        return f"book: {book.get('status', 'not stepped')}"
    held = ", ".join(f"{k} {v:.3f}" for k, v in book["weights"].items()) or "flat"
    return (f"book ({book.get('stage', 'paper')}): {held} after its rules (rules: {', '.join(book['filters']) or 'none'}); equity "
            f"{book['equity']:,.2f}, P&L {book['pnl']:+,.2f}, drawdown {100 * book['drawdown']:.2f}%, "
            f"{book['orders']} order(s), events: {', '.join(book['events']) or 'none'}")
