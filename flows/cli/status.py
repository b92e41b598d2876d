"""`quantops status`: is everything in order? One line per check, exit 1 when something needs attention.

Checks: the database and its schema revision, the last completed session and the sessions the daily
flow has not completed since, data freshness per series, alert targets (redacted; `--send-test` sends
one message to each), the Prefect API and the served deployments, the live model and the rollout stage of
each strategy and whether every config file validates. Meant for cron: `quantops status --quiet || page-someone`.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass

import typer

from flows.cli.errors import EXIT_ATTENTION
from flows.cli.render import JSON_OPTION, Column, make_console, show

console = make_console()
OK, WARN, FAIL = "ok", "attention", "failed"
# Series the daily flow needs, and how many sessions behind the last completed one they may be.
BAR_SERIES = ("SPY", "QQQ", "TLT", "^VIX")
YIELD_SERIES = ("DGS20", "DGS30")
YIELD_LAG_SESSIONS = 1  # FRED publishes a day's yields the next business day
MISSING_LISTED = 5


@dataclass
class Check:
    area: str
    status: str
    detail: str


def _sessions_behind(day: dt.date | None, last: dt.date) -> int | None:
    from domain.calendar import sessions_between

    if day is None:
        return None
    return max(len(sessions_between(day, last)) - 1, 0) if day <= last else 0


def check_database(url: str) -> tuple[list[Check], object | None]:
    from infra.db.engine import get_engine
    from infra.db.migrate import current_revision, head_revisions
    from flows.cli.render import database_label

    label = database_label(url)
    try:
        current = current_revision(url)
    except Exception as exc:  # noqa: BLE001 - any failure to connect is the finding itself
        first = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [exc.__class__.__name__])[0]
        return [Check("database", FAIL, f"{label}: unreachable ({first})")], None
    head = head_revisions()
    if current != head:
        return [Check("database", WARN, f"{label}: schema at {current or 'nothing'}, code expects {head}: "
                                        "run `quantops db upgrade`")], None
    return [Check("database", OK, f"{label}, schema revision {current} (latest)")], get_engine(url)


def check_sessions(engine, last: dt.date) -> list[Check]:
    from domain.calendar import sessions_between
    from infra.run_log import completed_days

    done = completed_days(engine, "daily", dt.date(1990, 1, 1), last)
    if not done:
        return [Check("sessions", WARN, f"last completed session {last}; the daily flow has never completed "
                                        "(`quantops daily` or `quantops backfill`)")]
    latest = max(done)
    missing = [d for d in sessions_between(latest, last) if d not in done]
    if not missing:
        return [Check("sessions", OK, f"last completed session {last}: daily flow done")]
    listed = ", ".join(str(d) for d in missing[:MISSING_LISTED]) + (" ..." if len(missing) > MISSING_LISTED else "")
    return [Check("sessions", WARN, f"last completed session {last}; daily flow last done {latest}; "
                                    f"{len(missing)} session(s) missing since: {listed} (`quantops backfill "
                                    f"--start {missing[0]} --end {missing[-1]}`)")]


def check_data(engine, last: dt.date) -> list[Check]:
    from sqlalchemy import func, select

    from infra.db.models.market import DailyBar, OptionQuote, YieldObservation

    with engine.connect() as conn:
        bars = dict(conn.execute(select(DailyBar.symbol, func.max(DailyBar.date)).group_by(DailyBar.symbol)).all())
        yields = dict(conn.execute(select(YieldObservation.series, func.max(YieldObservation.date))
                                   .group_by(YieldObservation.series)).all())
        options = dict(conn.execute(select(OptionQuote.underlying, func.max(OptionQuote.quote_date))
                                    .group_by(OptionQuote.underlying)).all())
    out = []
    for kind, found, wanted, lag in (("bars", bars, BAR_SERIES, 0), ("yields", yields, YIELD_SERIES, YIELD_LAG_SESSIONS)):
        for series in wanted:
            day = found.get(series)
            behind = _sessions_behind(day, last)
            if day is None:
                out.append(Check(f"data {series}", WARN, f"no {kind} stored"))
            elif behind > lag:
                out.append(Check(f"data {series}", WARN, f"{kind} up to {day}, {behind} session(s) behind {last}"))
            else:
                out.append(Check(f"data {series}", OK, f"{kind} up to {day}"))
    universe = [s for s in bars if s not in BAR_SERIES]
    if universe:
        stale = sorted(s for s in universe if _sessions_behind(bars[s], last) > 0)
        out.append(Check("data universe", WARN if stale else OK,
                         f"{len(universe)} other symbol(s), {len(stale)} not up to {last}"
                         + (f": {', '.join(stale[:MISSING_LISTED])}{' ...' if len(stale) > MISSING_LISTED else ''}"
                            if stale else "")))
    for underlying, day in sorted(options.items()):
        # Option chains come only where a vendor supplies them: informative, never an alarm on its own.
        out.append(Check(f"data {underlying} options", OK, f"chain up to {day}"))
    return out


def check_alerts(send_test: bool) -> list[Check]:
    from infra.notifications import Notifier

    notifier = Notifier.from_settings()
    if not notifier.targets:
        return [Check("alerts", WARN, "NO ALERT TARGETS CONFIGURED: alerts are stored but reach no one "
                                      "(set QUANTOPS_ALERT_URLS)")]
    out = []
    for target in notifier.targets:
        tags = ",".join(sorted(target.tags)) or "everything"
        if not send_test:
            out.append(Check("alert target", OK, f"{target.label} ({tags}); `--send-test` to try it"))
            continue
        result = notifier.send(target, "quantops test message", "A test from `quantops status --send-test`.")
        out.append(Check("alert target", OK if result.ok else FAIL,
                         f"{target.label} ({tags}): " + ("test message delivered" if result.ok else result.error)))
    return out


def check_prefect() -> list[Check]:
    api = os.environ.get("PREFECT_API_URL")
    if not api:
        return [Check("prefect", WARN, "PREFECT_API_URL is not set: flows run in ephemeral mode and nothing "
                                       "is scheduled (`prefect server start`, then `quantops serve`)")]
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.sorting import DeploymentSort

    try:
        # the server PREFECT_API_URL names, whatever profile or settings context the process runs in
        with SyncPrefectClient(api, api_key=os.environ.get("PREFECT_API_KEY")) as client:
            problem = client.api_healthcheck()
            if problem is not None:
                raise problem
            # limit and sort explicit: the sync client sends them as null otherwise and the server refuses (422)
            deployments = client.read_deployments(limit=200, sort=DeploymentSort.NAME_ASC)
            # by id: the sync client's read_flows sends null filters, which the server refuses as well
            flows = {d.flow_id: client.read_flow(d.flow_id).name for d in deployments}
    except Exception as exc:  # noqa: BLE001 - an unreachable API is the finding
        return [Check("prefect", FAIL, f"API {api} unreachable: {exc.__class__.__name__}: "
                                       f"{(str(exc).splitlines() or [''])[0][:200]}")]
    out = [Check("prefect", OK, f"API {api} healthy, {len(deployments)} deployment(s)")]
    if not deployments:
        out.append(Check("deployments", WARN, "none registered: run `quantops serve`"))
    for d in deployments:
        status = str(getattr(d.status, "value", d.status) or "unknown").lower()
        ready = status == "ready" and not d.paused
        what = f"{flows.get(d.flow_id, '?')}/{d.name}: {status}{', paused' if d.paused else ''}"
        out.append(Check("deployment", OK if ready else WARN, what + ("" if ready else " (is `quantops serve` running?)")))
    return out


def check_models(engine, last: dt.date) -> list[Check]:
    from infra.model_store import promoted_model

    out = []
    for strategy in _model_strategies():
        model = promoted_model(engine, strategy, last)
        if model is None:
            out.append(Check(f"model {strategy}", WARN, "no live model: the strategy does not trade "
                                                        f"(`quantops retrain --strategy {strategy}`)"))
        else:
            out.append(Check(f"model {strategy}", OK, f"live model {model.id} as of {model.as_of}"))
    return out


def check_stages(engine) -> list[Check]:
    """Each enabled strategy's effective stage (staged rollout): information, never attention."""
    from infra.stage_store import effective_stage, stage_history
    from infra.strategy_registry import load_registry

    out = []
    for entry in load_registry().enabled:
        stage = effective_stage(engine, entry.name, entry.start_stage)
        history = stage_history(engine, entry.name)
        since = ("config's stage" if history.empty else
                 f"{history['action'].iloc[-1]}d {history['at'].iloc[-1]:%Y-%m-%d}: {history['reason'].iloc[-1]}")
        counted = "not in the fund's NAV" if stage.share == 0 else f"{stage.label} of its P&L in the fund's NAV"
        out.append(Check(f"stage {entry.name}", OK, f"{stage.label} ({counted}; {since})"))
    return out


def _model_strategies() -> list[str]:
    from infra.strategy_registry import enabled_strategies

    return list(enabled_strategies())


def _configs() -> dict[str, Callable[[], object]]:
    from domain.promotion import PromotionGates
    from domain.tlt.backtest_data import BacktestConfig
    from domain.tlt.params import TltOverlayParams
    from infra.providers.config import load_market_data_config
    from infra.settings import get_settings
    from infra.strategy_config import load_strategy_config
    from infra.strategy_registry import build_strategy, enabled_strategies
    from infra.tlt_exit_rule import live_risk_params

    loaders: dict[str, Callable[[], object]] = {"risk": live_risk_params}  # with the TLT exit rule it applies
    loaders["market_data"] = lambda: load_market_data_config(get_settings().config_dir)
    loaders.update({name: (lambda name=name, cls=cls: load_strategy_config(name, cls))
                    for name, cls in (("promotion", PromotionGates), ("tlt_overlay", TltOverlayParams),
                                      ("tlt_backtest", BacktestConfig))})
    # strategy configs through the registry, never by name: building a strategy loads and validates its params
    loaders.update({name: (lambda name=name: build_strategy(name)) for name in enabled_strategies()})
    return loaders


def check_config() -> list[Check]:
    out = []
    for name, load in _configs().items():
        try:
            load()
        except Exception as exc:  # noqa: BLE001 - an invalid file is the finding
            out.append(Check(f"config {name}", FAIL, " ".join(str(exc).split())[:300]))
        else:
            out.append(Check(f"config {name}", OK, f"config/{name}.yaml valid"))
    return out


def run_checks(send_test: bool) -> list[Check]:
    from domain.calendar import last_completed_session
    from infra.settings import get_settings

    last = last_completed_session(dt.datetime.now(dt.timezone.utc))
    checks, engine = check_database(get_settings().resolved_database_url)
    if engine is not None:
        checks += check_sessions(engine, last) + check_data(engine, last)
    checks += check_alerts(send_test) + check_prefect()
    if engine is not None:
        checks += check_models(engine, last) + check_stages(engine)
    return checks + check_config()


COLUMNS = [Column("status"), Column("area", "check"), Column("detail")]


def status_command(
    send_test: bool = typer.Option(False, "--send-test", help="Send a test message to every alert target."),
    quiet: bool = typer.Option(False, "--quiet", help="Print only what needs attention."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Is everything in order? Database, sessions, data, alerts, Prefect, models, config (exit 1 if not)."""
    checks = run_checks(send_test)
    attention = [c for c in checks if c.status != OK]
    shown = attention if quiet else checks
    rows = [{"status": c.status, "area": c.area, "detail": c.detail} for c in shown]
    title = (f"{len(attention)} check(s) need attention" if attention else "everything in order") + \
        f" ({len(checks)} checks)"
    show(rows, COLUMNS, title=title, fmt="json" if as_json else "table", console=console)
    if attention:
        raise typer.Exit(EXIT_ATTENTION)
