"""`quantops strategy ...`: what an operator does to a strategy's book (re-arm it after its hard stop)."""

from __future__ import annotations

import typer

from flows.cli.render import make_console

console = make_console()
strategy_app = typer.Typer(help="Operate a strategy's book: re-arm it after its drawdown stop.",
                           no_args_is_help=True)


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
