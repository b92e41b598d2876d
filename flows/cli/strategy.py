"""`quantops strategy ...`: what an operator does to a strategy: re-arm its book after its hard stop, move
it up or down the rollout ladder (paper -> 10% -> 50% -> 100% of its capital), show the stage history."""

from __future__ import annotations

import typer
from rich.table import Table

from flows.cli.errors import EXIT_ATTENTION, fail
from flows.cli.render import make_console

console = make_console()
strategy_app = typer.Typer(help="Operate a strategy: re-arm its book after its drawdown stop; promote or demote "
                                "it on the rollout ladder; its stage history.", no_args_is_help=True)


@strategy_app.command("rearm")
def rearm_command(
    name: str = typer.Argument(..., help="Strategy whose stopped book may trade again."),
    reason: str = typer.Option(..., "--reason", help="Why trading may resume (stored with the time)."),
) -> None:
    """Re-arm a book stopped by its drawdown stop (`rearm: operator`, production's policy): the current
    equity becomes the throttle's peak, and the next daily step trades again. Stored with time and reason."""
    from infra.book_store import record_rearm
    from infra.db.engine import app_engine

    done = record_rearm(app_engine(), name, reason)
    console.print(f"{name} re-armed at {done['at']:%Y-%m-%d %H:%M:%S %Z} after the close of {done['after_day']} "
                  f"(drawdown {done['drawdown']:.2%}, stopped {done['stopped_sessions']} session(s)): {done['reason']}",
                  highlight=False)


def _moved(done: dict) -> str:
    after = f"after the close of {done['after_day']}" if done["after_day"] else "before its first session"
    return (f"{done['strategy']}: {done['from'].label} -> {done['to'].label} of its capital, from the next step "
            f"({after}); {done['reason']}")


@strategy_app.command("promote")
def promote_command(
    name: str = typer.Argument(..., help="Strategy to move one rung up the rollout ladder."),
    reason: str = typer.Option("", "--reason", help="Why (stored with the checks' figures and the time)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Run the checks and print them; write nothing."),
) -> None:
    """One rung up the ladder (paper -> 10% -> 50% -> 100% by default; `rollout:` in strategies.yaml) if
    the checks pass: sessions at the current stage, and the annualised tracking error of the book's daily
    returns against the newest walk-forward run having them all. Refused (exit 1, nothing written)
    with the failed checks and their figures otherwise. --dry-run: the checks only (exit 1 if one fails)."""
    from infra.db.engine import app_engine
    from infra.stage_store import PromotionRefused, promote, promotion_decision
    from infra.strategy_registry import strategy_entry

    entry = strategy_entry(name)
    if dry_run:
        decision, _ = promotion_decision(app_engine(), entry)
        target = decision.target.label if decision.target is not None else "none (top of the ladder)"
        console.print(f"{name}: {decision.current.label} -> {target} (dry run, nothing written)")
        for c in decision.checks:
            console.print(f"  {'pass' if c.passed else 'FAIL'}  {c.detail}")
        if not decision.allowed:
            raise typer.Exit(EXIT_ATTENTION)
        return
    try:
        done = promote(app_engine(), entry, reason)
    except PromotionRefused as exc:
        raise fail(str(exc), EXIT_ATTENTION) from None
    checks = done["checks"]
    te = checks["tracking_error"]
    console.print(_moved(done))
    console.print(f"checks: {int(checks['sessions']['value'])} session(s) at {done['from'].label} "
                  f"(>= {int(checks['sessions']['limit'])}); tracking error {te['value']:.2%} "
                  f"(<= {te['limit']:.2%}) vs walk-forward run {checks['walk_forward_run']}")


@strategy_app.command("demote")
def demote_command(
    name: str = typer.Argument(..., help="Strategy to pull back."),
    reason: str = typer.Option(..., "--reason", help="Why (stored with the time)."),
    to_paper: bool = typer.Option(False, "--to-paper", help="Straight back to paper, not one rung down."),
) -> None:
    """One rung down the ladder (or straight to paper with --to-paper), without checks: an operator can
    always pull a strategy back. Applies from the next step."""
    from infra.db.engine import app_engine
    from infra.stage_store import demote
    from infra.strategy_registry import strategy_entry

    console.print(_moved(demote(app_engine(), strategy_entry(name), reason, to_paper)))


@strategy_app.command("stages")
def stages_command(
    name: str | None = typer.Argument(None, help="One strategy (default: every registered one)."),
) -> None:
    """Each strategy's stage now (config's, or its last promotion/demotion) and the history of changes."""
    from domain.rollout import Stage
    from infra.db.engine import app_engine
    from infra.stage_store import effective_stage, stage_history
    from infra.strategy_registry import load_registry

    registry, engine = load_registry(), app_engine()
    entries = [registry.entry(name)] if name is not None else list(registry)
    now = Table(title="stages now (the effective stage: config's, or the last change)")
    for col in ("strategy", "stage", "config's", "ladder", "min sessions", "max tracking error"):
        now.add_column(col)
    for e in entries:
        p = e.rollout
        now.add_row(e.name, effective_stage(engine, e.name, e.start_stage).label, e.start_stage.label,
                    " -> ".join(["paper", *(f"{s:.0%}" for s in p.ladder)]), ", ".join(map(str, p.min_sessions)),
                    f"{p.max_tracking_error:.2%}")
    console.print(now)
    history = stage_history(engine, name)
    if history.empty:
        console.print("no stage change stored: each strategy is at its config's stage "
                      "(`quantops strategy promote NAME`)")
        return
    table = Table(title="stage history")
    for col in ("strategy", "at", "action", "from", "to", "after close", "by", "checks", "reason"):
        table.add_column(col)
    for r in history.itertuples():
        checks = r.checks or {}
        figures = ", ".join(f"{k.replace('_', ' ')} {_figure(k, v['value'])} (limit {_figure(k, v['limit'])})"
                            for k, v in checks.items() if isinstance(v, dict) and "value" in v)
        table.add_row(r.strategy, f"{r.at:%Y-%m-%d %H:%M}", r.action,
                      Stage.at_share(r.previous_fraction if r.previous_stage != "paper" else 0).label,
                      Stage.at_share(r.fraction if r.stage != "paper" else 0).label, str(r.after_day or ""), r.by,
                      figures or "none (operator)", r.reason)
    console.print(table)


def _figure(name: str, value) -> str:
    if value is None:
        return "n/a"
    return f"{value:.2%}" if name == "tracking_error" else f"{value:g}"
