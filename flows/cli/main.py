"""The `quantops` command: one Typer app, each command group in its own module."""

from __future__ import annotations

import typer

from flows.cli.errors import OneLineErrors

app = typer.Typer(
    name="quantops",
    help="Run a systematic fund's strategies every day: data, marks, alerts, research.",
    cls=OneLineErrors,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# Command groups register themselves below (one line each).
from flows.cli import data, runs  # noqa: E402

app.add_typer(data.db_app, name="db")
app.add_typer(data.ingest_app, name="ingest")
from flows.cli import market  # noqa: E402  (live market data)

app.add_typer(market.data_app, name="data")
app.command("daily")(runs.daily_command)
app.command("backfill")(runs.backfill_command)
app.command("demo")(runs.demo_command)
app.command("serve")(runs.serve_command)
from flows.cli import tlt  # noqa: E402

app.add_typer(tlt.app, name="tlt", help="TLT credit-spread overlay: calibrate, evaluate, market-evaluate, optimize.")
from flows.cli import research  # noqa: E402

app.command("retrain")(research.retrain_command)
app.command("walk-forward")(research.walk_forward_command)
app.command("report")(research.report_command)
app.add_typer(research.models_app, name="models")
from flows.cli import portfolio  # noqa: E402  (portfolio operations)

app.add_typer(portfolio.positions_app, name="positions")
app.add_typer(portfolio.nav_app, name="nav")
app.add_typer(portfolio.alerts_app, name="alerts")
