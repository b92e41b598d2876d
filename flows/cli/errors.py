"""Turns the errors a user can meet into one line and a distinct exit code, never a traceback.

Exit codes (README, "Exit codes"): a script or cron job can tell what went wrong without parsing text.
"""

from __future__ import annotations

import sys

import typer
from typer.core import TyperGroup

from domain.errors import DataRejected, QuantopsError, RunFailed, ServiceDown

EXIT_OK = 0
EXIT_ATTENTION = 1      # `quantops status`: something needs attention (also Python's own code for a crash)
EXIT_BAD_INPUT = 2      # bad option, value, file or command (click's usage errors use 2 too)
EXIT_DATA_REJECTED = 3  # a data file broke validation rules; nothing was written
EXIT_SERVICE_DOWN = 4   # the database server, the Prefect API or another outside service did not answer
EXIT_RUN_FAILED = 5     # a flow run started but did not complete (see its Prefect run and alert)

EXIT_CODES = {
    EXIT_OK: "success",
    EXIT_ATTENTION: "quantops status: something needs attention",
    EXIT_BAD_INPUT: "bad input: an option, value, file or command that cannot be used as given",
    EXIT_DATA_REJECTED: "data rejected: a file broke validation rules; nothing written",
    EXIT_SERVICE_DOWN: "an outside service is down: database server, Prefect API",
    EXIT_RUN_FAILED: "a flow run failed",
}


def exit_code_for(exc: QuantopsError) -> int:
    if isinstance(exc, DataRejected):
        return EXIT_DATA_REJECTED
    if isinstance(exc, ServiceDown):
        return EXIT_SERVICE_DOWN
    if isinstance(exc, RunFailed):
        return EXIT_RUN_FAILED
    return EXIT_BAD_INPUT


def fail(message: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    """Print `error: message` as one line on stderr; the caller raises the returned Exit."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _setting_error(error: dict) -> str:
    """`QUANTOPS_TASK_WORKERS: Input should be ...`; the value itself is not shown (it may be a secret)."""
    rule = error["msg"].removeprefix("Value error, ")
    if not error["loc"] or rule.startswith("QUANTOPS_"):  # our validators name the variable themselves
        return rule
    return f"QUANTOPS_{str(error['loc'][0]).upper()}: {rule}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__


class OneLineErrors(TyperGroup):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except QuantopsError as exc:
            raise fail(" ".join(str(exc).split()), exit_code_for(exc)) from None
        except Exception as exc:
            pydantic = sys.modules.get("pydantic")
            if pydantic is not None and isinstance(exc, pydantic.ValidationError):  # a QUANTOPS_* setting
                raise fail("; ".join(_setting_error(e) for e in exc.errors())) from None
            # sqlalchemy is imported only by the commands that use the database (start-up time), so its
            # errors are recognised only once it is loaded.
            sa = sys.modules.get("sqlalchemy.exc")
            # SQLite says a missing table is an OperationalError; PostgreSQL a ProgrammingError.
            if sa is not None and isinstance(exc, sa.OperationalError) and "no such table" in str(exc.orig):
                raise fail(f"database schema is missing; run `quantops db upgrade` ({_first_line(exc.orig)})") from None
            if sa is not None and isinstance(exc, sa.OperationalError):
                raise fail(f"database unreachable or refused the operation: {_first_line(exc.orig or exc)}",
                           EXIT_SERVICE_DOWN) from None
            if sa is not None and isinstance(exc, sa.ProgrammingError):
                raise fail(
                    f"database schema is missing or out of date; run `quantops db upgrade` "
                    f"({_first_line(exc.orig or exc)})"
                ) from None
            raise
