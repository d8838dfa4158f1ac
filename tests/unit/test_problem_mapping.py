"""shared/http.py `problem_for`: the one mapping from an exception to the problem a caller gets."""

from __future__ import annotations

import asyncpg
import orjson
import pytest
from aiokafka.errors import KafkaConnectionError

from services.gateway.forward import ServiceUnavailable
from shared.errors import NotFound
from shared.http import problem_for

DOWN = [
    ConnectionRefusedError(111, "Connect call failed"),
    ConnectionResetError(),
    TimeoutError(),  # asyncpg's pool acquire timeout, asyncio.timeout
    OSError("Multiple exceptions: ..."),  # asyncpg connecting to several addresses
    asyncpg.CannotConnectNowError("the database system is starting up"),
    asyncpg.AdminShutdownError("terminating connection due to administrator command"),
    asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
    asyncpg.InterfaceError("cannot perform operation: connection is closed"),
    # Seen by the fault tier once in 12 runs, as PostgreSQL was killed mid-query:
    asyncpg.InternalClientError("cannot switch to state 15; another operation (2) is in progress"),
    asyncpg.InterfaceError(
        "cannot call Connection.fetch(): connection has been released back to the pool"
    ),
    asyncpg.TooManyConnectionsError("sorry, too many clients already"),
    KafkaConnectionError("no broker"),
    ServiceUnavailable("the registry service did not answer"),
]


@pytest.mark.parametrize("exc", DOWN, ids=lambda e: type(e).__name__)
def test_a_dependency_that_is_down_is_a_503_with_retry_after(exc: Exception) -> None:
    """Guards issue 8 §3: each of these, met during a PostgreSQL or broker restart, was a 500."""
    response = problem_for(exc)
    body = orjson.loads(bytes(response.body))
    assert response.status_code == 503 and int(response.headers["retry-after"]) > 0
    assert response.media_type == "application/problem+json"
    assert body["status"] == 503 and body["type"].endswith("unavailable")
    assert "Connect call failed" not in body["detail"]  # the type only, never the message


def test_a_bug_is_still_a_500_and_a_refusal_its_own_status() -> None:
    assert problem_for(ValueError("bug")).status_code == 500
    assert problem_for(asyncpg.UniqueViolationError("dup")).status_code == 500
    # asyncpg's InterfaceError is also its class for programming errors: those stay 500s.
    wrong_call = asyncpg.InterfaceError("the server expects 1 argument for this query, 2 were")
    assert problem_for(wrong_call).status_code == 500
    assert problem_for(asyncpg.DataError("invalid input for query argument $1")).status_code == 500
    refused = problem_for(NotFound("no such community"))
    assert refused.status_code == 404 and "retry-after" not in refused.headers
