"""The in-memory event store passes the event-store contract (tests/eventstore_contract.py)."""

from __future__ import annotations

import pytest

from shared.eventstore.memory import MemoryEventStore
from tests.eventstore_contract import EventStoreContract


class TestMemoryEventStore(EventStoreContract):
    @pytest.fixture
    def store(self) -> MemoryEventStore:
        return MemoryEventStore()
