"""Small helpers the commands share for showing things to a person."""

from __future__ import annotations

import datetime as dt

import typer
from rich.console import Console


def make_console(**options) -> Console:
    """A console that prints text as given: a file name or rule like `[low, high]` is not rich markup."""
    return Console(markup=False, highlight=False, **options)


def database_label(url: str) -> str:
    """Where the database is, with any password hidden."""
    from sqlalchemy.engine import make_url  # sqlalchemy only where a database is used (start-up time)

    from infra.db.engine import normalise_url

    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite file {parsed.database}"
    return parsed.render_as_string(hide_password=True)


def parse_date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option) from None
