"""Turns the errors a user can cause into one line and a non-zero exit, never a traceback."""

from __future__ import annotations

import click
from sqlalchemy.exc import OperationalError, ProgrammingError
from typer.core import TyperGroup

from domain.errors import QuantopsError


class OneLineErrors(TyperGroup):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except QuantopsError as exc:
            raise click.ClickException(str(exc)) from None
        except OperationalError as exc:
            raise click.ClickException(
                f"database unreachable or refused the operation: {exc.orig.__class__.__name__}: "
                f"{str(exc.orig).splitlines()[0] if exc.orig else ''}"
            ) from None
        except ProgrammingError as exc:
            raise click.ClickException(
                "database schema is missing or out of date; run `quantops db upgrade` "
                f"({str(exc.orig).splitlines()[0] if exc.orig else exc.__class__.__name__})"
            ) from None
