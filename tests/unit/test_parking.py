"""What a reader parks and what it retries (shared/parking.py).

Guards issue 8 §1: an event that fails the same way every time must be parked, not retried
for ever; a fault of the moment must be retried, never parked.
"""

from __future__ import annotations

import asyncpg
import pytest

from shared.parking import describe, is_transient


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionRefusedError(),
        TimeoutError(),
        asyncpg.CannotConnectNowError("starting up"),
        asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
        asyncpg.SerializationError("could not serialize access"),
        asyncpg.DeadlockDetectedError("deadlock detected"),
    ],
)
def test_a_fault_of_the_moment_is_retried(exc: Exception) -> None:
    assert is_transient(exc)


@pytest.mark.parametrize(
    "exc",
    [
        asyncpg.CheckViolationError("violates check constraint"),
        asyncpg.CharacterNotInRepertoireError("invalid byte sequence for encoding UTF8: 0x00"),
        asyncpg.DataError("invalid input for query argument $2"),  # an InterfaceError too
        KeyError("code"),
        ValueError("bad decimal"),
    ],
)
def test_what_fails_the_same_way_every_time_is_parked(exc: Exception) -> None:
    assert not is_transient(exc)


def test_the_recorded_error_is_one_line_without_nul() -> None:
    error = describe(asyncpg.CheckViolationError("new row violates\nDETAIL: Failing row (坏\x00)"))
    assert error == "CheckViolationError: new row violates"
    assert "\x00" not in describe(ValueError("a\x00b"))
