"""Deployments that `quantops serve` keeps running: schedules in New York time, one daily run at a time."""

from __future__ import annotations

from prefect.schedules import Cron

NEW_YORK = "America/New_York"
DAILY_CRON = "30 18 * * 1-5"  # 18:30 after the close, Monday-Friday; the flow itself skips holidays
QUARTERLY_CRON = "0 20 1-7 1,4,7,10 1-5"  # first weekdays of a quarter; the flow runs only on its first session


def build_deployments() -> list:
    """The RunnerDeployments served by `quantops serve` (import-light so tests can inspect them)."""
    from flows.backfill import backfill
    from flows.daily import daily

    deployments = [
        daily.to_deployment(
            name="daily",
            schedules=[Cron(DAILY_CRON, timezone=NEW_YORK)],
            concurrency_limit=1,
            description="Market data, mark-to-market, risk checks, alerts and signals after the close.",
            tags=["quantops", "daily"],
        ),
        backfill.to_deployment(
            name="backfill",
            description="Re-run the daily flow for every session between start and end (resumable).",
            concurrency_limit=1,
            tags=["quantops", "backfill"],
        ),
    ]
    deployments += _research_deployments()
    return deployments


def _research_deployments() -> list:
    """retrain-<name> (quarterly) and walk-forward-<name> (on demand) for every enabled strategy."""
    from flows.retrain import retrain
    from flows.walk_forward import walk_forward
    from infra.strategy_registry import enabled_strategies, strategy_entry

    deployments = []
    for name in enabled_strategies():
        # a strategy without a walk-forward (tlt_overlay: a calibration, validated by its rolling backtest)
        # gets its quarterly retrain only
        validated = strategy_entry(name).strategy_class().walk_forward
        deployments.append(retrain.to_deployment(
            name=f"retrain-{name}",
            schedules=[Cron(QUARTERLY_CRON, timezone=NEW_YORK, day_or=False)],
            # the cron fires on up to five weekdays (1 January included); the flow keeps only the first session
            parameters={"strategy": name, "only_on_quarter_start": True},
            concurrency_limit=1,
            description=f"Quarterly retrain of {name}" + (" with walk-forward validation" if validated else "")
                        + "; promotes only models that pass their gates.",
            tags=["quantops", "research", name],
        ))
        if validated:
            deployments.append(walk_forward.to_deployment(
                name=f"walk-forward-{name}",
                parameters={"strategy": name},
                description=f"Walk-forward validation of {name} over a date range, stored with per-fold metrics.",
                tags=["quantops", "research", name],
            ))
    return deployments


def serve_all() -> None:
    from prefect import serve

    from flows.automations import ensure_automations
    from infra.settings import get_settings

    # monitoring that outlives this process: failed/crashed runs, a daily run not done by 19:30 New York
    for automation in ensure_automations(get_settings().alert_url_list):
        print(f"automation {automation.name!r}: {len(automation.actions)} notification target(s)")
    serve(*build_deployments(), pause_on_shutdown=False)
