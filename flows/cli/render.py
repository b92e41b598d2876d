"""Small helpers the commands share for showing things to a person (or a script).

Listings go through `show`: one list of rows, printed as a table, `--json` or `--csv`. Numbers keep one
format per kind everywhere (prices 2 decimals, money 2 decimals with separators in tables, percentages
2 decimals); JSON and CSV carry the numbers themselves, rounded to what the kind means (cents for money
and prices, 6 decimals for fractions).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from dataclasses import dataclass
from typing import Any

import typer
from rich.console import Console, ConsoleDimensions

PIPED_WIDTH = 1000  # a pipe or file has no width: never cut a line at rich's default of 80 columns


class _Console(Console):
    """Decides its width when it prints, from the stream it prints to: a terminal's width, or no limit for
    a pipe or file (rich would cut at 80 columns, or at a COLUMNS that libraries and test runners set)."""

    def _size(self) -> ConsoleDimensions:
        size = Console.size.fget(self)
        isatty = getattr(self.file, "isatty", None)
        if self._width is None and not (isatty and isatty()):
            return ConsoleDimensions(PIPED_WIDTH, size.height)
        return size

    size = property(_size, Console.size.fset)


def make_console(**options) -> Console:
    """A console that prints text as given: a file name or rule like `[low, high]` is not rich markup."""
    console = _Console(markup=False, highlight=False, **options)
    if "width" not in options:
        console._width = None  # rich fixed it from COLUMNS at creation: decide at print time instead
    return console


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


# --- listings -----------------------------------------------------------------------------------------

JSON_OPTION = typer.Option(False, "--json", help="Print the rows as JSON (a list of objects).")
CSV_OPTION = typer.Option(False, "--csv", help="Print the rows as CSV (header line first).")

KINDS = ("text", "int", "money", "price", "pct", "ratio", "date")
ROUND = {"money": 2, "price": 2, "pct": 6, "ratio": 4}


@dataclass(frozen=True)
class Column:
    """One column of a listing: `key` in the rows (and in JSON/CSV), `header` in the table."""

    key: str
    header: str = ""
    kind: str = "text"
    right: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.key}: kind must be one of {KINDS}")


def fmt_price(value: float | None) -> str:
    """The one format for a price (stock, ETF, option premium, spread value): 2 decimals."""
    return "" if value is None else f"{value:,.2f}"


def cell(value: Any, kind: str) -> str:
    """How a value reads in a table."""
    if value is None:
        return ""
    if kind == "money":
        return f"{value:,.2f}"
    if kind == "price":
        return fmt_price(value)
    if kind == "pct":
        return f"{value:.2%}"
    if kind == "ratio":
        return f"{value:.2f}"
    return str(value)


def plain(value: Any, kind: str) -> Any:
    """How a value travels in JSON/CSV: numbers rounded to what they mean, dates ISO."""
    if value is None:
        return None
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if kind in ROUND and isinstance(value, int | float):
        return round(float(value), ROUND[kind])
    if isinstance(value, float):
        return round(value, 6)
    return value


def output_format(as_json: bool, as_csv: bool) -> str:
    if as_json and as_csv:
        from domain.errors import InputError

        raise InputError("choose one of --json and --csv")
    return "json" if as_json else "csv" if as_csv else "table"


def show(rows: list[dict], columns: list[Column], *, title: str, fmt: str = "table",
         console: Console | None = None) -> None:
    """Print a listing as a rich table (`fmt` table), JSON or CSV; JSON/CSV go to stdout unstyled."""
    if fmt == "json":
        data = [{c.key: plain(r.get(c.key), c.kind) for c in columns} for r in rows]
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([c.key for c in columns])
        for r in rows:
            writer.writerow(["" if (v := plain(r.get(c.key), c.kind)) is None else v for c in columns])
        return
    from rich.table import Table

    table = Table(title=title)
    for c in columns:
        table.add_column(c.header or c.key, justify="right" if c.right or c.kind in ROUND else "left")
    for r in rows:
        table.add_row(*(cell(r.get(c.key), c.kind) for c in columns))
    (console or make_console()).print(table)
