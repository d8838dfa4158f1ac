"""An in-memory event store for handler unit tests: the PostgreSQL store's contract, no I/O.

It passes the same contract suite (tests/eventstore_contract.py) as `EventStore`: expected
version and hash checked, a command appends once and its retry gets the first events back,
several streams all or none, events sealed and hashed by the same code. One process, one
event loop: each call runs to its end without yielding, so no lock is needed. `conn` is
accepted and ignored (there is no transaction to join).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from shared.errors import ConcurrencyConflict, StreamPosition
from shared.eventstore.envelope import Envelope, NewEvent
from shared.eventstore.store import PendingAppend, head_of, seal


class MemoryEventStore:
    def __init__(self) -> None:
        self.streams: dict[str, list[Envelope]] = {}
        self.commands: dict[UUID, list[Envelope]] = {}  # command id → the events it appended
        self.transactions = 0
        self.position = 0

    async def append(
        self,
        stream_id: str,
        expected: StreamPosition,
        events: Sequence[NewEvent],
        *,
        command_id: UUID | None = None,
        conn: Any = None,
    ) -> list[Envelope]:
        return await self.append_together(
            [(stream_id, expected, events)], command_id=command_id, conn=conn
        )

    async def append_together(
        self,
        appends: Sequence[tuple[str, StreamPosition, Sequence[NewEvent]]],
        *,
        command_id: UUID | None,
        conn: Any = None,
    ) -> list[Envelope]:
        if command_id is not None and command_id in self.commands:
            return list(self.commands[command_id])
        for stream_id, expected, events in appends:
            if events and head_of(self.streams.get(stream_id, [])) != expected:
                raise ConcurrencyConflict(stream_id, expected.version)
        if not any(events for _, _, events in appends):
            return []
        self.transactions += 1
        transaction_id = self.transactions
        recorded: list[Envelope] = []
        for stream_id, expected, events in appends:
            placed = []
            for envelope in seal(stream_id, expected, events):
                self.position += 1
                placed.append(
                    envelope._replace(position=self.position, transaction_id=transaction_id)
                )
            self.streams.setdefault(stream_id, []).extend(placed)
            recorded += placed
        if command_id is not None:
            self.commands[command_id] = recorded
        return list(recorded)

    async def write_pending(self, pending: Sequence[PendingAppend], *, conn: Any = None) -> None:
        heads: dict[str, StreamPosition] = {}  # all or none: check every append first
        for p in pending:
            head = heads.get(p.stream_id) or head_of(self.streams.get(p.stream_id, []))
            if head != p.expected or (p.command_id is not None and p.command_id in self.commands):
                raise ConcurrencyConflict(p.stream_id, p.expected.version)
            heads[p.stream_id] = head_of(p.envelopes)
        self.transactions += 1
        command: list[Envelope] = []  # a pending without a command id joins the one before
        for p in pending:
            if p.command_id is not None:
                command = self.commands[p.command_id] = []
            for envelope in p.envelopes:
                self.position += 1
                placed = envelope._replace(position=self.position, transaction_id=self.transactions)
                self.streams.setdefault(p.stream_id, []).append(placed)
                command.append(placed)

    async def read_streams(
        self, stream_ids: Sequence[str], *, conn: Any = None
    ) -> dict[str, list[Envelope]]:
        return {s: list(self.streams.get(s, [])) for s in stream_ids}

    async def read_stream(
        self, stream_id: str, *, until: datetime | None = None, conn: Any = None
    ) -> list[Envelope]:
        return [
            e for e in self.streams.get(stream_id, []) if until is None or e.recorded_at <= until
        ]

    async def events_of_command(self, command_id: UUID, *, conn: Any = None) -> list[Envelope]:
        return list(self.commands.get(command_id, []))
