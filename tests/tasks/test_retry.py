"""What a database restart looks like to the retry policy (issue 15, case 3): retried; bad input is not."""

import psycopg
import pytest
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError

from domain.errors import DataMissing, InputError
from tasks.retry import is_transient, retry_transient


@pytest.mark.parametrize("exc", [
    psycopg.OperationalError("the database system is starting up"),
    OperationalError("SELECT 1", {}, psycopg.errors.AdminShutdown("terminating connection")),
    InterfaceError("SELECT 1", {}, psycopg.InterfaceError("connection already closed")),
    DisconnectionError("pool could not reconnect"),
    ConnectionRefusedError(111, "refused"),
])
def test_a_dropped_or_refused_connection_is_transient(exc):
    assert is_transient(exc)


@pytest.mark.parametrize("exc", [InputError("bad row"), DataMissing("XYZ close (none)"), ValueError("x")])
def test_bad_input_and_missing_data_are_not_retried(exc):
    assert not is_transient(exc)


def test_retry_transient_retries_then_returns_and_gives_up_on_bad_input():
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise psycopg.OperationalError("connection refused")
        return "ok"

    assert retry_transient(flaky, delays=[0, 0, 0]) == "ok" and len(calls) == 3
    with pytest.raises(InputError):
        retry_transient(lambda: (_ for _ in ()).throw(InputError("bad")), delays=[0, 0])
