"""Retry policy shared by tasks: retry what can heal by itself (database, network), never bad input."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, OperationalError

from domain.errors import QuantopsError

TRANSIENT_RETRIES = 3
TRANSIENT_DELAY_SECONDS = [2, 10, 30]


def only_transient(task, task_run, state) -> bool:
    """Prefect retry_condition_fn: bad input fails at once; a dropped connection is retried."""
    try:
        state.result()
    except QuantopsError:
        return False
    except (OperationalError, ConnectionError, TimeoutError, OSError):
        return True
    except DBAPIError as exc:
        return bool(getattr(exc, "connection_invalidated", False))
    except Exception:
        return False
    return False


TRANSIENT = dict(retries=TRANSIENT_RETRIES, retry_delay_seconds=TRANSIENT_DELAY_SECONDS, retry_condition_fn=only_transient)
