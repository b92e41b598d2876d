"""`quantops db ...` and `quantops ingest ...`: schema and vendor files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from flows.cli.errors import exit_code_for
from flows.cli.render import database_label, make_console
from infra.settings import get_settings

console = make_console()
errors = make_console(stderr=True, soft_wrap=True)
db_app = typer.Typer(help="Application database.", no_args_is_help=True)
ingest_app = typer.Typer(help="Validate and load vendor files (a file with any bad row writes nothing).",
                         no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the application database to the latest schema."""
    from infra.db.migrate import upgrade

    url = get_settings().resolved_database_url
    revision = upgrade(url)
    console.print(f"database {database_label(url)} at revision {revision}", soft_wrap=True)


def _ingest(kind: str, files: list[Path], quarantine: bool, **options) -> None:
    # alembic, pandas and pandera: imported here, not at start-up.
    from domain.errors import InputError
    from infra.db.engine import app_engine
    from infra.db.migrate import upgrade
    from infra.ingest import ingest_file

    engine = app_engine()
    upgrade(get_settings().resolved_database_url)
    codes = []
    for path in files:
        try:
            report = ingest_file(engine, kind, path, today=dt.date.today(), quarantine=quarantine, **options)
        except InputError as exc:
            codes.append(exit_code_for(exc))
            errors.print(f"error: {exc}")
            continue
        console.print(report.describe(), soft_wrap=True, highlight=False)
        if report.quarantined:
            console.print(f"  {report.quarantined} bad row(s) kept in the quarantine table", highlight=False)
    if codes:
        # Data rejected (3) when any file broke a rule, else bad input (2, e.g. file not found).
        raise typer.Exit(code=max(codes))


QUARANTINE = typer.Option(False, "--quarantine", help="Load the good rows; keep each bad row and its rule aside.")


@ingest_app.command("bars")
def ingest_bars(
    files: list[Path] = typer.Argument(..., help="CSV files (date/open/high/low/close/volume [+adj_close])."),
    symbol: str | None = typer.Option(None, "--symbol", help="Symbol, when the file has no symbol column."),
    quarantine: bool = QUARANTINE,
) -> None:
    """Daily bars; the symbol comes from --symbol, a symbol/ticker column, or the file name."""
    _ingest("bars", files, quarantine, symbol=symbol)


@ingest_app.command("yields")
def ingest_yields(
    files: list[Path] = typer.Argument(..., help="FRED CSV files `observation_date,<SERIES>` in percent."),
    quarantine: bool = QUARANTINE,
) -> None:
    """Treasury yields (FRED); blank values are holidays."""
    _ingest("yields", files, quarantine)


@ingest_app.command("options")
def ingest_options(
    files: list[Path] = typer.Argument(..., help="Option chain CSV files (implied_vol in percent)."),
    underlying: str | None = typer.Option(None, "--underlying", help="Underlying symbol, e.g. TLT."),
    quarantine: bool = QUARANTINE,
) -> None:
    """End-of-day option quotes."""
    _ingest("options", files, quarantine, underlying=underlying)
