"""The `quantops` command: one Typer app whose command groups are imported only when used.

`quantops --help` and `quantops positions list` must start in well under a second, but the commands
together need pandas, scipy, alembic, matplotlib and prefect (several seconds of imports). So the top
level knows each command by name, module and one line of help, and imports the module only when that
command runs (or its own --help / completion is asked for). Add a command with one line in COMMANDS.
"""

from __future__ import annotations

import importlib

import typer
from typer.core import TyperCommand

from flows.cli.errors import OneLineErrors
from flows.cli.numbers import finite_floats

# name: (module, attribute, one line of help). The attribute is a typer.Typer (a group of commands)
# or a function (one command). Listed in the order `--help` shows them.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "demo": ("flows.cli.runs", "demo_command",
             "Create the embedded database, load the bundled sample and backfill its last 20 sessions."),
    "status": ("flows.cli.status", "status_command",
               "Is everything in order? Database, sessions, data, alerts, Prefect, models, config (exit 1 if not)."),
    "db": ("flows.cli.data", "db_app", "Application database."),
    "ingest": ("flows.cli.data", "ingest_app",
               "Validate and load vendor files (a file with any bad row writes nothing)."),
    "data": ("flows.cli.market", "data_app",
             "Market data from the live providers (see QUANTOPS_DATA_SOURCE): fetch history, repair."),
    "daily": ("flows.cli.runs", "daily_command", "Run the daily flow for one date."),
    "backfill": ("flows.cli.runs", "backfill_command",
                 "Run the daily flow for every XNYS session in a range, in order."),
    "positions": ("flows.cli.portfolio", "positions_app",
                  "Option spreads and stock/ETF positions: add, list, close."),
    "nav": ("flows.cli.portfolio", "nav_app",
            "NAV: set an external NAV (e.g. the administrator's), show the daily NAV."),
    "alerts": ("flows.cli.portfolio", "alerts_app", "Stored alerts and their delivery status."),
    "orders": ("flows.cli.books", "orders_app",
               "Orders of the strategies' books for the next session (table or --csv); record actual fills."),
    "book": ("flows.cli.books", "book_command", "Positions, NAV and P&L of a strategy's (paper) book."),
    "strategy": ("flows.cli.strategy", "strategy_app",
                 ("Operate a strategy: re-arm its book after its drawdown stop; promote/demote it on the rollout "
                  "ladder (paper, 10%, 50%, 100%); its stages.")),
    "tlt": ("flows.cli.tlt", "app",
            "TLT credit-spread overlay: calibrate, evaluate, market-evaluate, optimize, backtest."),
    "retrain": ("flows.cli.research", "retrain_command",
                "Fit on everything up to --as-of, validate walk-forward, store the model, promote it if it passes."),
    "walk-forward": ("flows.cli.research", "walk_forward_command",
                     "Quarterly expanding walk-forward; per-fold and overall out-of-sample metrics, stored."),
    "report": ("flows.cli.research", "report_command",
               "HTML tearsheet of the latest stored walk-forward run (and the same as a Prefect artifact)."),
    "models": ("flows.cli.research", "models_app", "Trained models: list them, promote one by hand."),
    "folds": ("flows.cli.research", "folds_command",
              "Per-fold out-of-sample metrics of the latest stored walk-forward run (each fold's own return)."),
    "serve": ("flows.cli.runs", "serve_command",
              "Serve the deployments (daily 18:30 New York, backfill, quarterly retrain) to a Prefect server."),
}


def _load(name: str):
    module_name, attribute, short_help = COMMANDS[name]
    target = getattr(importlib.import_module(module_name), attribute)
    if isinstance(target, typer.Typer):
        if target.info.help is None:
            target.info.help = short_help
        return finite_floats(typer.main.get_group(target))
    single = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    single.command(name)(target)
    return finite_floats(typer.main.get_command(single))


def _placeholder(name: str) -> TyperCommand:
    """What `--help` and completion list for a command not imported yet: its name and one line."""
    return TyperCommand(name, help=COMMANDS[name][2])


class LazyCommands(OneLineErrors):
    """The top-level group: imports a command's module only when that command is resolved."""

    _listing = False

    def list_commands(self, ctx) -> list[str]:
        loaded = list(self.commands)
        return loaded + [n for n in COMMANDS if n not in self.commands]

    def get_command(self, ctx, cmd_name: str):
        if cmd_name in self.commands or cmd_name not in COMMANDS:
            return self.commands.get(cmd_name)
        if self._listing:
            return _placeholder(cmd_name)
        command = _load(cmd_name)
        if command is not None:
            self.commands[cmd_name] = command
        return command

    def _listing_only(self, method, *args):
        self._listing = True
        try:
            return method(*args)
        finally:
            self._listing = False

    def format_help(self, ctx, formatter) -> None:
        return self._listing_only(super().format_help, ctx, formatter)

    def shell_complete(self, ctx, incomplete: str):
        return self._listing_only(super().shell_complete, ctx, incomplete)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"quantops {version('quantops')}")
        raise typer.Exit()


app = typer.Typer(
    name="quantops",
    help="Run a systematic fund's strategies every day: data, marks, alerts, research.",
    cls=LazyCommands,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
)


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the installed version and exit."),
) -> None:
    """Run a systematic fund's strategies every day: data, marks, alerts, research."""


__all__ = ["app", "COMMANDS"]
