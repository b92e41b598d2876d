"""Turns the errors a user can cause into one line and a non-zero exit, never a traceback."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError, ProgrammingError
from typer.core import TyperGroup

from domain.errors import QuantopsError

# Typer vendors its own Click; its BadParameter derives from the ClickException it prints and exits on.
ClickException = next(c for c in __import__("typer").BadParameter.__mro__ if c.__name__ == "ClickException")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__


class OneLineErrors(TyperGroup):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except QuantopsError as exc:
            raise ClickException(str(exc)) from None
        except OperationalError as exc:
            raise ClickException(
                f"database unreachable or refused the operation: {_first_line(exc.orig or exc)}"
            ) from None
        except ProgrammingError as exc:
            raise ClickException(
                f"database schema is missing or out of date; run `quantops db upgrade` ({_first_line(exc.orig or exc)})"
            ) from None
