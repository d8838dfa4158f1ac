"""Reactions to other services' events: `EVENT_HANDLERS`, run inside the inbox's transaction.

A service declares a `Subscription`: a consumer name, the topics it reads and its
`EVENT_HANDLERS`, a map from an incoming event's stable type (`CommunityRegistered`) to an
`async (event, pipeline) -> None` that issues a command on the service's command pipeline.
The pipeline it gets is bound to the inbox's connection, so the events the reaction appends
and the inbox row that marks the incoming event processed commit together or not at all: a
redelivery finds the row and changes nothing, a failure leaves neither. Types the map does not
name are marked processed and change nothing (a topic carries every event of its service).
`ServiceRuntime` runs each subscription's consumer under its supervisor.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from uuid import UUID, uuid5

import asyncpg

from shared.cloudevents import IncomingEvent
from shared.commands import CommandContext
from shared.inbox import EventHandler
from shared.pipeline import CommandPipeline

Reaction = Callable[[IncomingEvent, CommandPipeline], Awaitable[None]]
REACTIONS = UUID("0b9f6d2e-4c1a-4f7e-8d3b-6a5e2c1f9a07")


@dataclass(frozen=True)
class Subscription:
    name: str  # the consumer group, and the inbox's `consumer`
    topics: Sequence[str]
    handlers: Mapping[str, Reaction]  # a service's EVENT_HANDLERS


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


def inbox_handler(handlers: Mapping[str, Reaction], pipeline: CommandPipeline) -> EventHandler:
    """The InboxConsumer handler running `handlers` on the inbox's connection."""

    async def handle(conn: asyncpg.Connection, event: IncomingEvent) -> None:
        reaction = handlers.get(event.type)
        if reaction is not None:
            await reaction(event, pipeline.on(conn))

    return handle
