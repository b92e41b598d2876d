"""Retry policy shared by tasks: retry what can heal by itself (database, network), never bad input.

A PostgreSQL restart shows up as a refused connection (psycopg OperationalError, wrapped by SQLAlchemy),
a connection dropped mid-statement (DBAPIError with connection_invalidated, InterfaceError) or a pool
that could not reconnect (DisconnectionError). Code outside a task (the CLI's migration before a run)
uses `retry_transient` with the same delays.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError

from domain.errors import QuantopsError

TRANSIENT_RETRIES = 3
TRANSIENT_DELAY_SECONDS = [2, 10, 30]
T = TypeVar("T")


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, QuantopsError):
        return False
    if isinstance(exc, OperationalError | DisconnectionError | InterfaceError | ConnectionError | TimeoutError | OSError):
        return True
    if isinstance(exc, DBAPIError):
        return bool(getattr(exc, "connection_invalidated", False))
    try:
        import psycopg
    except ImportError:  # pragma: no cover - SQLite-only installs
        return False
    return isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError)


def only_transient(task, task_run, state) -> bool:
    """Prefect retry_condition_fn: bad input fails at once; a dropped connection is retried."""
    try:
        state.result()
    except Exception as exc:  # noqa: BLE001 - classified below
        return is_transient(exc)
    return False


def retry_transient(fn: Callable[[], T], delays: list[float] | None = None) -> T:
    """`fn()`, retried after each delay while it fails with a transient error (then the last one raises)."""
    for delay in [*(TRANSIENT_DELAY_SECONDS if delays is None else delays), None]:
        try:
            return fn()
        except Exception as exc:
            if delay is None or not is_transient(exc):
                raise
            time.sleep(delay)
    raise AssertionError("unreachable")


TRANSIENT = dict(retries=TRANSIENT_RETRIES, retry_delay_seconds=TRANSIENT_DELAY_SECONDS, retry_condition_fn=only_transient)
