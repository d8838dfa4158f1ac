"""The PostgreSQL event store passes the event-store contract (tests/eventstore_contract.py),
the same suite the in-memory store of the handler unit tests passes."""

from __future__ import annotations

import asyncpg
import pytest

from shared.eventstore import EventStore
from tests.eventstore_contract import EventStoreContract


class TestPostgresEventStore(EventStoreContract):
    @pytest.fixture
    def store(self, pool: asyncpg.Pool) -> EventStore:
        return EventStore(pool)
