"""Appending to and reading streams of the event log.

An append is one INSERT statement: it writes the whole batch, checks the caller's expected
version against the predecessor's (version, hash) in the same statement, and marks the command
id on the batch's first event so a command appends at most once. One statement means one round
trip and no table lock: writers to different streams never wait for each other.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeAlias
from uuid import UUID

import asyncpg
from opentelemetry import trace
from orjson import loads

from shared.errors import CommandAlreadyRecorded, ConcurrencyConflict, StreamPosition
from shared.eventstore.envelope import Envelope, NewEvent
from shared.eventstore.hashing import canonical_json, event_hash
from shared.observability import metrics
from shared.observability.tracing import tracing_enabled

Executor: TypeAlias = asyncpg.Connection | asyncpg.Pool
tracer = trace.get_tracer("wuding.eventstore")

ENVELOPE_COLUMNS = """position, transaction_id, event_id, stream_id,
    stream_version, event_type, schema_version, payload::text AS payload,
    metadata::text AS metadata, recorded_at, prev_hash, hash"""

_APPEND = """
INSERT INTO events (event_id, stream_id, stream_version, event_type, schema_version,
                    payload, metadata, recorded_at, command_id, prev_hash, hash)
SELECT e.event_id, $1, e.stream_version, e.event_type, e.schema_version, e.payload,
       e.metadata, e.recorded_at,
       CASE WHEN e.stream_version = $2 + 1 THEN $3::uuid END, e.prev_hash, e.hash
FROM unnest($4::uuid[], $5::int[], $6::text[], $7::int[], $8::json[], $9::json[],
            $10::timestamptz[], $11::bytea[], $12::bytea[])
     AS e(event_id, stream_version, event_type, schema_version, payload, metadata,
          recorded_at, prev_hash, hash)
WHERE (SELECT p.hash FROM events p WHERE p.stream_id = $1 AND p.stream_version = $2)
      IS NOT DISTINCT FROM $13
RETURNING event_id, position, transaction_id
"""

# The same for the common case of one event: a plain row is cheaper to plan and execute
# than unnest over arrays (docs/performance.md).
_APPEND_ONE = """
INSERT INTO events (event_id, stream_id, stream_version, event_type, schema_version,
                    payload, metadata, recorded_at, command_id, prev_hash, hash)
SELECT $4, $1, $5, $6, $7, $8::json, $9::json, $10, $3, $11, $12
WHERE (SELECT p.hash FROM events p WHERE p.stream_id = $1 AND p.stream_version = $2)
      IS NOT DISTINCT FROM $13
RETURNING event_id, position, transaction_id
"""


# Many appends (several commands, several streams) in one statement: a consumer's batch
# (shared/pipeline.py, StreamCache). Each stream's first row checks its predecessor's hash;
# its later rows' predecessors are in this statement, and the unique (stream_id,
# stream_version) index refuses a version another transaction took.
_WRITE_PENDING = """
WITH written AS (
INSERT INTO events (event_id, stream_id, stream_version, event_type, schema_version,
                    payload, metadata, recorded_at, command_id, prev_hash, hash)
SELECT e.event_id, e.stream_id, e.stream_version, e.event_type, e.schema_version,
       e.payload, e.metadata, e.recorded_at, e.command_id, e.prev_hash, e.hash
FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::int[], $6::json[],
            $7::json[], $8::timestamptz[], $9::uuid[], $10::bytea[], $11::bytea[],
            $12::bool[])
     AS e(event_id, stream_id, stream_version, event_type, schema_version, payload,
          metadata, recorded_at, command_id, prev_hash, hash, first)
WHERE NOT e.first
   OR (SELECT p.hash FROM events p
       WHERE p.stream_id = e.stream_id AND p.stream_version = e.stream_version - 1)
      IS NOT DISTINCT FROM e.prev_hash
RETURNING 1)
SELECT count(*) FROM written
"""


_EVENTS_OF_COMMAND = f"""
SELECT {ENVELOPE_COLUMNS} FROM events
WHERE transaction_id = (SELECT c.transaction_id FROM events c WHERE c.command_id = $1)
  AND position >= (SELECT c.position FROM events c WHERE c.command_id = $1)
  AND position < coalesce(
      (SELECT min(n.position) FROM events c JOIN events n USING (transaction_id)
       WHERE c.command_id = $1 AND n.position > c.position AND n.command_id IS NOT NULL),
      9223372036854775807)
ORDER BY position
"""


def envelopes_from_rows(rows: Iterable[asyncpg.Record]) -> list[Envelope]:
    """Rows selected with ENVELOPE_COLUMNS (same order as Envelope's fields) as Envelopes."""
    # Unpacked in the loop's target: no tuple copy and no indexing per row (readers build one
    # Envelope per event; ~10% of this function's time, docs/performance.md).
    return [
        Envelope(pos, txid, eid, stream, version, etype, schema, loads(payload), loads(meta),
                 recorded_at, prev_hash, digest)
        for pos, txid, eid, stream, version, etype, schema, payload, meta, recorded_at,
            prev_hash, digest in rows
    ]  # fmt: skip


class EventStore:
    """The service's event log. Pass `conn` to take part in a caller's transaction."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def append(
        self,
        stream_id: str,
        expected: StreamPosition,
        events: Sequence[NewEvent],
        *,
        command_id: UUID | None = None,
        conn: asyncpg.Connection | None = None,
    ) -> list[Envelope]:
        """Append `events` after `expected`; raise ConcurrencyConflict if the stream moved on.

        With `command_id`, a command appends at most once: a retry returns the first events.

        Must be the first write of its transaction (it is, when called without `conn`): the
        transaction's id is taken here, so a stream's later versions always carry later ids.
        """
        if not events:
            return []
        started = time.perf_counter()
        span = (
            tracer.start_as_current_span("eventstore.append", attributes={"stream": stream_id})
            if tracing_enabled()
            else nullcontext()
        )
        with span:
            sealed = _seal(stream_id, expected, events)
            if len(sealed) == 1:
                statement, args = _APPEND_ONE, _row(sealed[0])
            else:
                statement, args = _APPEND, list(_columns(sealed))
            executor: Executor = conn if conn is not None else self.pool
            try:
                rows = await executor.fetch(
                    statement, stream_id, expected.version, command_id, *args, expected.hash
                )
            except asyncpg.UniqueViolationError as exc:
                if conn is not None and conn.is_in_transaction():
                    # The caller's transaction is aborted: nothing more can run in it, so no
                    # replay is answered from here; the caller's retry finds the command
                    # recorded before it appends (CommandPipeline.save).
                    raise ConcurrencyConflict(stream_id, expected.version) from exc
                # A retried command gets the events it appended the first time.
                if command_id is not None and (replay := await self.events_of_command(command_id)):
                    return replay
                raise ConcurrencyConflict(stream_id, expected.version) from exc
            if not rows:
                raise ConcurrencyConflict(stream_id, expected.version)
        metrics.APPEND_SECONDS.observe(time.perf_counter() - started)
        placed = {row["event_id"]: row for row in rows}
        return [_placed(s.envelope, placed[s.envelope.event_id]) for s in sealed]

    async def append_together(
        self,
        appends: Sequence[tuple[str, StreamPosition, Sequence[NewEvent]]],
        *,
        command_id: UUID,
        conn: asyncpg.Connection | None = None,
    ) -> list[Envelope]:
        """One command's appends to several streams, in one transaction: all or none.

        For a decision that changes two aggregates at once (a workflow step and the community
        it creates or ends). Each stream keeps its own expected version; a retry of the same
        command returns the events of the first run. With `conn`, inside the caller's
        transaction.
        """
        if replay := await self.events_of_command(command_id, conn=conn):
            return replay
        if conn is None:
            async with self.pool.acquire() as own:
                return await self._append_together(appends, command_id, own)
        return await self._append_together(appends, command_id, conn)

    async def _append_together(
        self,
        appends: Sequence[tuple[str, StreamPosition, Sequence[NewEvent]]],
        command_id: UUID,
        conn: asyncpg.Connection,
    ) -> list[Envelope]:
        recorded: list[Envelope] = []
        async with conn.transaction():  # a savepoint inside a caller's transaction
            for i, (stream_id, expected, events) in enumerate(appends):
                recorded += await self.append(
                    stream_id, expected, events, command_id=command_id if i == 0 else None,
                    conn=conn,
                )  # fmt: skip
        return recorded

    async def write_pending(
        self, pending: Sequence[PendingAppend], *, conn: asyncpg.Connection | None = None
    ) -> None:
        """Write appends sealed earlier (`seal_pending`), all or none, in one statement (with
        `conn`, inside the caller's transaction); raise ConcurrencyConflict if any stream
        moved on since.

        Must be the transaction's first write, as `append` must.
        """
        if not pending:
            return
        if conn is None:
            async with self.pool.acquire() as own:
                return await self.write_pending(pending, conn=own)
        started = time.perf_counter()
        rows: list[tuple[_Sealed, str, UUID | None, bool]] = []
        streams: set[str] = set()
        for p in pending:
            for i, s in enumerate(p.sealed):
                rows.append((s, p.stream_id, p.command_id if i == 0 else None,
                             p.stream_id not in streams))  # fmt: skip
                streams.add(p.stream_id)
        columns = _columns([s for s, _, _, _ in rows])
        try:
            written = await conn.fetchval(
                _WRITE_PENDING, columns[0], [r[1] for r in rows], *columns[1:7],
                [r[2] for r in rows], columns[7], columns[8], [r[3] for r in rows],
            )  # fmt: skip
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name == "events_command_once":
                raise CommandAlreadyRecorded(_stream_of(exc, pending), 0) from exc
            raise ConcurrencyConflict(_stream_of(exc, pending), 0) from exc
        if written != len(rows):
            raise ConcurrencyConflict(pending[0].stream_id, pending[0].expected.version)
        metrics.APPEND_SECONDS.observe(time.perf_counter() - started)

    async def read_streams(
        self, stream_ids: Sequence[str], *, conn: Executor | None = None
    ) -> dict[str, list[Envelope]]:
        """Several streams in one query: each id given → its events in version order."""
        executor = conn if conn is not None else self.pool
        rows = await executor.fetch(
            f"SELECT {ENVELOPE_COLUMNS} FROM events WHERE stream_id = ANY($1::text[])"
            " ORDER BY stream_id, stream_version",
            list(stream_ids),
        )
        streams: dict[str, list[Envelope]] = {stream_id: [] for stream_id in stream_ids}
        for envelope in envelopes_from_rows(rows):
            streams[envelope.stream_id].append(envelope)
        return streams

    async def read_stream(
        self, stream_id: str, *, until: datetime | None = None, conn: Executor | None = None
    ) -> list[Envelope]:
        """A stream's events in version order; with `until`, only those recorded by then."""
        executor = conn if conn is not None else self.pool
        rows = await executor.fetch(
            f"SELECT {ENVELOPE_COLUMNS} FROM events WHERE stream_id = $1"
            " AND ($2::timestamptz IS NULL OR recorded_at <= $2) ORDER BY stream_version",
            stream_id,
            until,
        )
        return envelopes_from_rows(rows)

    async def events_of_command(
        self, command_id: UUID, *, conn: asyncpg.Connection | None = None
    ) -> list[Envelope]:
        """The events a command appended, if it did: replays answer from these."""
        # Only the command's first event carries the command id; the rest of its events (of
        # one stream, or of several with `append_together`) follow it in its transaction, up
        # to the next command's first event (a consumer's batch is one transaction of many).
        executor: Executor = conn if conn is not None else self.pool
        rows = await executor.fetch(_EVENTS_OF_COMMAND, command_id)
        return envelopes_from_rows(rows)


def head_of(envelopes: Sequence[Envelope]) -> StreamPosition:
    """The expected position for the next append after these events of one stream."""
    if not envelopes:
        return StreamPosition()
    return StreamPosition(envelopes[-1].stream_version, envelopes[-1].hash)


@dataclass(frozen=True, slots=True)
class _Sealed:
    """A new event with its id, version, time and hash, and the exact JSON that was hashed."""

    envelope: Envelope
    payload_json: str
    metadata_json: str


@dataclass(frozen=True, slots=True)
class PendingAppend:
    """One command's events for one stream, sealed now and written later with others
    (`EventStore.write_pending`): a consumer's batch writes all its appends at once."""

    stream_id: str
    expected: StreamPosition
    sealed: list[_Sealed]
    command_id: UUID | None

    @property
    def envelopes(self) -> list[Envelope]:
        return [s.envelope for s in self.sealed]


def seal_pending(
    stream_id: str, expected: StreamPosition, events: Sequence[NewEvent],
    command_id: UUID | None,
) -> PendingAppend:  # fmt: skip
    """The append `EventStore.append` would make, sealed (ids, versions, hashes) but unwritten."""
    return PendingAppend(stream_id, expected, _seal(stream_id, expected, events), command_id)


def _stream_of(exc: asyncpg.UniqueViolationError, pending: Sequence[PendingAppend]) -> str:
    """The stream a unique violation names in its detail, if one of ours (for the message)."""
    detail = getattr(exc, "detail", "") or ""
    return next((p.stream_id for p in pending if p.stream_id in detail), "(batch)")


def new_event_id() -> UUID:
    """A UUIDv7 (RFC 9562): time-ordered, so event-id index inserts land at the index's end.

    48 bits of Unix milliseconds, then 74 random bits from `random` (seeded by the OS at
    start); uuid4's os.urandom call per event cost more than the rest of sealing.
    """
    value = (time.time_ns() // 1_000_000) << 80 | _random_bits(74)
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 9562 variant
    return UUID(int=value)


def _random_bits(n: int) -> int:
    bits = random.getrandbits(n)
    # Keep the 4 version bits and 2 variant bits out of the random part: spread 74 bits
    # around them (12 above the variant, 62 below).
    return ((bits >> 62) << 64) | (bits & ((1 << 62) - 1))


def seal(stream_id: str, expected: StreamPosition, events: Sequence[NewEvent]) -> list[Envelope]:
    """The new events as they will be stored, before the log gives them a position."""
    return [s.envelope for s in _seal(stream_id, expected, events)]


def _seal(stream_id: str, expected: StreamPosition, events: Sequence[NewEvent]) -> list[_Sealed]:
    """Give each new event its id, version, time and chained hash."""
    sealed: list[_Sealed] = []
    prev_hash = expected.hash
    recorded_at = datetime.now(UTC)
    for offset, event in enumerate(events, start=1):
        event_id = new_event_id()
        version = expected.version + offset
        payload_json = canonical_json(event.payload)
        metadata_json = canonical_json(event.metadata)
        digest = event_hash(
            prev_hash=prev_hash,
            event_id=event_id,
            stream_id=stream_id,
            stream_version=version,
            event_type=event.event_type,
            schema_version=event.schema_version,
            payload_json=payload_json,
            metadata_json=metadata_json,
            recorded_at=recorded_at,
        )
        envelope = Envelope(
            position=0,
            transaction_id=0,
            event_id=event_id,
            stream_id=stream_id,
            stream_version=version,
            event_type=event.event_type,
            schema_version=event.schema_version,
            payload=event.payload,
            metadata=event.metadata,
            recorded_at=recorded_at,
            prev_hash=prev_hash,
            hash=digest,
        )
        sealed.append(_Sealed(envelope, payload_json.decode(), metadata_json.decode()))
        prev_hash = digest
    return sealed


def _placed(e: Envelope, row: asyncpg.Record) -> Envelope:
    """The sealed envelope with the position and transaction id the database gave it."""
    return e._replace(position=row["position"], transaction_id=row["transaction_id"])


def _row(s: _Sealed) -> list[object]:
    e = s.envelope
    return [
        e.event_id, e.stream_version, e.event_type, e.schema_version, s.payload_json,
        s.metadata_json, e.recorded_at, e.prev_hash, e.hash,
    ]  # fmt: skip


def _columns(sealed: list[_Sealed]) -> list[list[object]]:
    envelopes = [s.envelope for s in sealed]
    return [
        [e.event_id for e in envelopes],
        [e.stream_version for e in envelopes],
        [e.event_type for e in envelopes],
        [e.schema_version for e in envelopes],
        [s.payload_json for s in sealed],
        [s.metadata_json for s in sealed],
        [e.recorded_at for e in envelopes],
        [e.prev_hash for e in envelopes],
        [e.hash for e in envelopes],
    ]
