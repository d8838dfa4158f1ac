"""The append-only, hash-chained event store on asyncpg, and its gapless reader."""

from shared.eventstore.catalog import DomainEvent, EventCatalog
from shared.eventstore.envelope import Checkpoint, Envelope, NewEvent
from shared.eventstore.reader import read_after
from shared.eventstore.store import EventStore

__all__ = [
    "Checkpoint",
    "DomainEvent",
    "Envelope",
    "EventCatalog",
    "EventStore",
    "NewEvent",
    "read_after",
]
