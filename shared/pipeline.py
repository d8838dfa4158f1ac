"""The command pipeline: the one way a command reads its state and appends (a unit of work).

A handler loads what it decides on, decides, and saves; the pipeline does the rest once for
every service: it checks the version the client read, replays a repeated command id (a retry
gets the events of the first run back), writes the metadata (the *command's* stable name,
actor, district, causation, policy pack), appends (on a connection the caller holds, such as
the inbox's, so the effect commits or rolls back with it) and wakes the relay and projectors.
After eventsourcing's `Application.save`, cosmicpython's unit of work and
EventSourcing.NetCore's `GetAndUpdate`. Nothing else calls `store.append`
(tests/unit/test_pipeline.py checks it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar
from uuid import UUID

import asyncpg

from shared.commands import CommandContext
from shared.errors import ConcurrencyConflict, FieldProblem, StreamPosition, ValidationFailed
from shared.eventstore.catalog import DomainEvent, EventCatalog
from shared.eventstore.envelope import Envelope, NewEvent
from shared.eventstore.store import PendingAppend, head_of, seal_pending


class Store(Protocol):
    """What the pipeline needs of an event store: PostgreSQL's or the in-memory one."""

    async def append(
        self,
        stream_id: str,
        expected: StreamPosition,
        events: Sequence[NewEvent],
        *,
        command_id: UUID | None = None,
        conn: asyncpg.Connection | None = None,
    ) -> list[Envelope]: ...

    async def append_together(
        self,
        appends: Sequence[tuple[str, StreamPosition, Sequence[NewEvent]]],
        *,
        command_id: UUID,
        conn: asyncpg.Connection | None = None,
    ) -> list[Envelope]: ...

    async def read_stream(
        self, stream_id: str, *, until: Any = None, conn: Any = None
    ) -> list[Envelope]: ...

    async def events_of_command(
        self, command_id: UUID, *, conn: asyncpg.Connection | None = None
    ) -> list[Envelope]: ...

    async def read_streams(
        self, stream_ids: Sequence[str], *, conn: Any = None
    ) -> dict[str, list[Envelope]]: ...

    async def write_pending(
        self, pending: Sequence[PendingAppend], *, conn: Any = None
    ) -> None: ...


class State(Protocol):
    """What a command decides on: an aggregate, or a workflow case, folded from its events."""

    def apply(self, event: DomainEvent) -> None: ...


StateT = TypeVar("StateT", bound=State)


@dataclass(frozen=True)
class Refused:
    """A decision not to act, with every reason at once (a 422 with field-level problems).

    Decisions return it rather than raise, so a caller sees all reasons; a command that meets
    a conflicting state (a 409: the community has ended, the committee exists) raises that
    conflict instead.
    """

    title: str
    problems: list[FieldProblem]


@dataclass(frozen=True)
class Change:
    """New events for one stream, after the position they were decided on."""

    stream_id: str
    expected: StreamPosition
    events: Sequence[NewEvent]


class StreamCache:
    """The streams one transaction read and appended, decoded: a consumer's batch folds each
    community's stream once, not once per event (shared/inbox.py sets it for a batch). An
    entry is replaced, never changed, so `mark`/`reset` undo an event rolled back to its
    savepoint.

    `deferred`: saves are sealed and kept in `pending`, and the batch writes them all in one
    statement at its end (`CommandPipeline.flush`): a batch of 500 reactions is one write, not
    500. Only a batch without savepoints defers (a savepoint cannot undo what is not written).
    """

    def __init__(self, *, deferred: bool = False) -> None:
        self.streams: dict[str, tuple[tuple[Envelope, DomainEvent], ...]] = {}
        self.deferred = deferred
        self.pending: list[PendingAppend] = []
        self.commands: dict[UUID, list[Envelope]] = {}  # command id → its pending events

    def mark(self) -> dict[str, tuple[tuple[Envelope, DomainEvent], ...]]:
        return dict(self.streams)

    def reset(self, mark: dict[str, tuple[tuple[Envelope, DomainEvent], ...]]) -> None:
        self.streams = mark


# The cache of the transaction a consumer's batch runs in (None outside one).
BATCH_CACHE: ContextVar[StreamCache | None] = ContextVar("wuding_batch_cache", default=None)


class CommandPipeline:
    """Load → (the handler decides) → save, for one service's store and catalogue.

    `on(conn)` is the same pipeline inside a transaction the caller holds: it reads and
    appends on `conn` and leaves the wake-up to whoever commits.
    """

    def __init__(
        self,
        store: Store,
        catalog: EventCatalog,
        wake: Callable[[], None] | None = None,
        conn: asyncpg.Connection | None = None,
        cache: StreamCache | None = None,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.wake = wake
        self.conn = conn
        self.cache = cache

    def on(self, conn: asyncpg.Connection) -> CommandPipeline:
        """This pipeline on `conn`, with the batch's stream cache when a consumer set one."""
        return CommandPipeline(self.store, self.catalog, None, conn, BATCH_CACHE.get())

    async def load(self, stream_id: str) -> list[Envelope]:
        """A stream's events as stored (its head is `head_of` them)."""
        return [envelope for envelope, _ in await self._decoded(stream_id)]

    async def fold(self, stream_id: str, state: StateT) -> tuple[StateT, StreamPosition]:
        """`state` with every event of the stream applied, and the stream's head (version 0:
        no such stream)."""
        return state, await self.fold_many(stream_id, state)

    async def fold_many(self, stream_id: str, *states: State) -> StreamPosition:
        """Every state given, folded from the one stream (views of it by several slices), and
        the stream's head."""
        decoded = await self._decoded(stream_id)
        for _, event in decoded:
            for state in states:
                state.apply(event)
        return _head(decoded)

    async def _decoded(self, stream_id: str) -> tuple[tuple[Envelope, DomainEvent], ...]:
        if self.cache is not None and stream_id in self.cache.streams:
            return self.cache.streams[stream_id]
        envelopes = await self.store.read_stream(stream_id, conn=self.conn)
        decoded = tuple((e, self.catalog.decode(e)) for e in envelopes)
        if self.cache is not None:
            self.cache.streams[stream_id] = decoded
        return decoded

    async def preload(self, stream_ids: Sequence[str]) -> None:
        """Read the streams a batch will fold into its cache, in one query (no-op without one)."""
        if self.cache is None:
            return
        missing = [s for s in dict.fromkeys(stream_ids) if s not in self.cache.streams]
        if not missing:
            return
        for stream_id, envelopes in (
            await self.store.read_streams(missing, conn=self.conn)
        ).items():
            self.cache.streams[stream_id] = tuple((e, self.catalog.decode(e)) for e in envelopes)

    async def flush(self) -> None:
        """Write the batch's deferred saves in one statement; ConcurrencyConflict if a stream
        moved on since it was read (another writer: the batch runs again)."""
        if self.cache is None or not self.cache.pending:
            return
        await self.store.write_pending(self.cache.pending, conn=self.conn)
        self.cache.pending, self.cache.commands = [], {}

    def _remember(self, recorded: Sequence[Envelope]) -> None:
        """Appended events join the cached streams they extend (a stream not cached is read
        from the transaction when next needed)."""
        if self.cache is None:
            return
        for envelope in recorded:
            cached = self.cache.streams.get(envelope.stream_id)
            last = cached[-1][0].stream_version if cached else 0
            if cached is not None and envelope.stream_version > last:  # not a replay
                pair = (envelope, self.catalog.decode(envelope))
                self.cache.streams[envelope.stream_id] = (*cached, pair)

    async def replay(self, ctx: CommandContext) -> list[Envelope]:
        """The events this command appended the first time, if it did ([] if not)."""
        return await self.store.events_of_command(ctx.command_id, conn=self.conn)

    async def check_expected(
        self, stream_id: str, expected_version: int | None, head: StreamPosition,
        ctx: CommandContext,
    ) -> list[Envelope] | None:  # fmt: skip
        """None when the client read `head` (or named no version, If-Match absent); a retry of
        a command already recorded gets its events back; anything else is a conflict."""
        if expected_version is None or expected_version == head.version:
            return None
        if replay := await self.replay(ctx):
            return replay
        raise ConcurrencyConflict(stream_id, expected_version, head.version)

    async def refuse(self, ctx: CommandContext, refused: Refused) -> list[Envelope]:
        """A command that cannot be carried out now: the events of the first attempt when this
        is a retry of one already recorded (the state moved on since), else every reason."""
        if replay := await self.replay(ctx):
            return replay
        raise ValidationFailed(refused.title, errors=refused.problems)

    def new_event(
        self,
        event: DomainEvent,
        command: str,
        ctx: CommandContext,
        *,
        subject: str,
        division_code: str | None = None,
        policy_pack: str | None = None,
        **extra: str,
    ) -> NewEvent:
        """`event` with its metadata: `command` is the command's stable name (RegisterCommunity),
        never the event's; `subject` the Kafka key; a rule's decision names its pack."""
        metadata = ctx.metadata(
            command, subject=subject, division_code=division_code, policy_pack=policy_pack,
            **extra,
        )  # fmt: skip
        return self.catalog.new_event(event, metadata)

    async def save(self, ctx: CommandContext, *changes: Change) -> list[Envelope]:
        """Append the changes, all or none, once per command id; then wake the readers."""
        changes = tuple(c for c in changes if c.events)
        if not changes:
            return []
        if self.cache is not None and self.cache.deferred:
            return await self._defer(ctx, changes)
        if self.conn is not None and (
            replay := await self.store.events_of_command(ctx.command_id, conn=self.conn)
        ):
            # In the caller's transaction a unique violation would abort it: a command
            # recorded before (a reaction to an event seen again) is answered from the log.
            return replay
        if len(changes) == 1:
            (c,) = changes
            recorded = await self.store.append(
                c.stream_id, c.expected, c.events, command_id=ctx.command_id, conn=self.conn
            )
        else:
            recorded = await self.store.append_together(
                [(c.stream_id, c.expected, c.events) for c in changes],
                command_id=ctx.command_id, conn=self.conn,
            )  # fmt: skip
        self._remember(recorded)
        if self.wake is not None:
            self.wake()
        return recorded

    async def _defer(self, ctx: CommandContext, changes: Sequence[Change]) -> list[Envelope]:
        """`save` in a deferring batch: checked against the cached heads now, sealed, written
        by `flush`. The envelopes returned are not yet placed (position 0)."""
        assert self.cache is not None
        if (first := self.cache.commands.get(ctx.command_id)) is not None:
            return first  # the same command twice: its first save stands, as append's replay
        sealed: list[PendingAppend] = []
        for i, c in enumerate(changes):
            head = _head(await self._decoded(c.stream_id))
            if head != c.expected:
                raise ConcurrencyConflict(c.stream_id, c.expected.version, head.version)
            command_id = ctx.command_id if i == 0 else None
            sealed.append(seal_pending(c.stream_id, c.expected, c.events, command_id))
        self.cache.pending += sealed
        recorded = [envelope for p in sealed for envelope in p.envelopes]
        self.cache.commands[ctx.command_id] = recorded
        self._remember(recorded)
        return recorded


def _head(decoded: Sequence[tuple[Envelope, DomainEvent]]) -> StreamPosition:
    """`head_of` a decoded stream."""
    return head_of([decoded[-1][0]] if decoded else [])
