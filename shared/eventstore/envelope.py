"""The event envelope: what the log stores around every domain event."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event about to be appended: type, schema version, payload and metadata."""

    event_type: str
    schema_version: int
    payload: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)


class Envelope(NamedTuple):
    """A recorded event, exactly as stored (payload possibly upcast on read).

    A NamedTuple rather than a frozen dataclass: readers build one per row, and a frozen
    dataclass's __init__ costs several times more.
    """

    position: int
    transaction_id: int
    event_id: UUID
    stream_id: str
    stream_version: int
    event_type: str
    schema_version: int
    payload: dict[str, Any]
    metadata: dict[str, Any]
    recorded_at: datetime
    prev_hash: bytes | None
    hash: bytes

    @property
    def checkpoint(self) -> Checkpoint:
        return Checkpoint(self.transaction_id, self.position)

    @property
    def subject(self) -> str:
        """Whom the event is about (a community code); it keys Kafka messages."""
        return str(self.metadata.get("subject") or self.stream_id)

    def with_payload(self, payload: dict[str, Any], schema_version: int) -> Envelope:
        return self._replace(payload=payload, schema_version=schema_version)


@dataclass(frozen=True, slots=True, order=True)
class Checkpoint:
    """A reader's place in commit order: (transaction id, position), compared as a tuple."""

    transaction_id: int = 0
    position: int = 0

    def token(self) -> str:
        return f"{self.transaction_id}:{self.position}"

    @classmethod
    def parse(cls, token: str) -> Checkpoint:
        txid, _, position = token.partition(":")
        return cls(int(txid), int(position))
