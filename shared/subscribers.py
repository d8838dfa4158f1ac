"""Reactions to other services' events: `EVENT_HANDLERS`, run inside the inbox's transaction.

A service declares a `Subscription`: a consumer name, the topics it reads and its
`EVENT_HANDLERS`, a map from an incoming event's stable type (`CommunityRegistered`) to an
`async (event, pipeline) -> None` that issues a command on the service's command pipeline.
The pipeline it gets is bound to the inbox's connection, so the events the reaction appends
and the inbox row that marks the incoming event processed commit together or not at all: a
redelivery finds the row and changes nothing, a failure leaves neither. Types the map does not
name are marked processed and change nothing (a topic carries every event of its service).
`ServiceRuntime` runs each subscription's consumer under its supervisor.

A batch's reactions read and write together: `stream_of` names the stream a reaction to an
event folds, so the batch reads all of them in one query before its first event, and the
appends the reactions decide are written in one statement after its last
(shared/pipeline.py, StreamCache; docs/performance.md, "Staffing catching up").
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from uuid import UUID, uuid5

import asyncpg

from shared.cloudevents import IncomingEvent
from shared.commands import CommandContext
from shared.pipeline import CommandPipeline

Reaction = Callable[[IncomingEvent, CommandPipeline], Awaitable[None]]
REACTIONS = UUID("0b9f6d2e-4c1a-4f7e-8d3b-6a5e2c1f9a07")


@dataclass(frozen=True)
class Subscription:
    name: str  # the consumer group, and the inbox's `consumer`
    topics: Sequence[str]
    handlers: Mapping[str, Reaction]  # a service's EVENT_HANDLERS
    # The stream a reaction to the event folds (None: none), read for a whole batch at once.
    stream_of: Callable[[IncomingEvent], str | None] = lambda event: None


@dataclass(frozen=True)
class ReactionContext(CommandContext):
    """A command issued in reaction to another service's event: caused by that event."""

    caused_by: str = ""

    def causation(self) -> str:
        return self.caused_by


def reaction_context(event: IncomingEvent, consumer: str) -> CommandContext:
    """The context of the command `consumer` issues in reaction to `event`: its id derives from
    the event's (a redelivery is the same command), its causation is the event, its correlation
    the event's."""
    return ReactionContext(
        actor_id=consumer,
        actor_kind="system",
        correlation_id=event.headers.get("ce_correlationid") or str(event.event_id),
        command_id=uuid5(REACTIONS, f"{consumer}/{event.event_id}"),
        caused_by=str(event.event_id),
    )


class ReactionHandler:
    """The InboxConsumer handler (a shared/inbox.py BatchHandler) running a subscription's
    reactions on the inbox's connection."""

    def __init__(self, subscription: Subscription, pipeline: CommandPipeline) -> None:
        self.subscription = subscription
        self.pipeline = pipeline

    async def __call__(self, conn: asyncpg.Connection, event: IncomingEvent) -> None:
        reaction = self.subscription.handlers.get(event.type)
        if reaction is not None:
            await reaction(event, self.pipeline.on(conn))

    async def begin(self, conn: asyncpg.Connection, events: Sequence[IncomingEvent]) -> None:
        """Read every stream the batch's reactions fold, in one query."""
        streams = [
            stream
            for event in events
            if event.type in self.subscription.handlers
            and (stream := self.subscription.stream_of(event)) is not None
        ]
        await self.pipeline.on(conn).preload(streams)

    async def end(self, conn: asyncpg.Connection) -> None:
        """Write every append the batch's reactions deferred, in one statement."""
        await self.pipeline.on(conn).flush()
