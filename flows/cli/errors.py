"""Turns the errors a user can cause into one line and a non-zero exit, never a traceback."""

from __future__ import annotations

import sys

import typer
from typer.core import TyperGroup

from domain.errors import QuantopsError

EXIT_BAD_INPUT = 1


def fail(message: str) -> typer.Exit:
    """Print `error: message` as one line on stderr; the caller raises the returned Exit."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_BAD_INPUT)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__


class OneLineErrors(TyperGroup):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except QuantopsError as exc:
            raise fail(" ".join(str(exc).split())) from None
        except Exception as exc:
            pydantic = sys.modules.get("pydantic")
            if pydantic is not None and isinstance(exc, pydantic.ValidationError):  # a QUANTOPS_* setting
                raise fail("; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())) from None
            # sqlalchemy is imported only by the commands that use the database (start-up time), so its
            # errors are recognised only once it is loaded.
            sa = sys.modules.get("sqlalchemy.exc")
            # SQLite says a missing table is an OperationalError; PostgreSQL a ProgrammingError.
            if sa is not None and isinstance(exc, sa.OperationalError) and "no such table" in str(exc.orig):
                raise fail(f"database schema is missing; run `quantops db upgrade` ({_first_line(exc.orig)})") from None
            if sa is not None and isinstance(exc, sa.OperationalError):
                raise fail(f"database unreachable or refused the operation: {_first_line(exc.orig or exc)}") from None
            if sa is not None and isinstance(exc, sa.ProgrammingError):
                raise fail(
                    f"database schema is missing or out of date; run `quantops db upgrade` "
                    f"({_first_line(exc.orig or exc)})"
                ) from None
            raise
