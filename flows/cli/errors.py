"""Turns the errors a user can cause into one line and a non-zero exit, never a traceback."""

from __future__ import annotations

import typer
from sqlalchemy.exc import OperationalError, ProgrammingError
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
        except OperationalError as exc:
            raise fail(f"database unreachable or refused the operation: {_first_line(exc.orig or exc)}") from None
        except ProgrammingError as exc:
            raise fail(
                f"database schema is missing or out of date; run `quantops db upgrade` ({_first_line(exc.orig or exc)})"
            ) from None
