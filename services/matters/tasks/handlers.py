"""The push: a district system's task for a community, checked against its list now."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import asyncpg

from services.matters.lists.decide import CommunityList
from services.matters.lists.events import list_stream
from services.matters.tasks.decide import PushTask, decide_push
from services.matters.tasks.events import TaskRefused, task_stream
from shared.commands import CommandContext
from shared.errors import FieldProblem, NotFound, StreamPosition, ValidationFailed
from shared.eventstore import Envelope
from shared.pipeline import Change, CommandPipeline
from shared.stream_locks import locked
from shared.values import refusing_invalid_values


class MatterNotOnList(ValidationFailed):
    """A 422 naming the rule: the push was recorded as refused and changed nothing else."""

    slug = "matter-not-on-list"
    title = "清单之外无事项: the task names no matter on the community's list"


class TaskHandlers:
    def __init__(
        self,
        pool: asyncpg.Pool,
        pipeline: CommandPipeline,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.pool = pool
        self.pipeline = pipeline
        self.clock = clock

    @refusing_invalid_values
    async def push(self, cmd: PushTask, ctx: CommandContext) -> list[Envelope]:
        """TaskPushed, or TaskRefused recorded and MatterNotOnList raised. A retry of the same
        command gets the first answer, whatever the list says now.

        The check holds a shared lock on the list (shared/stream_locks.py) until the task is
        recorded: an exit or an admission changing the list waits for it, so a push is either
        decided before a change of the list or after it, never on a list already changed."""
        stream = list_stream(cmd.code)
        async with locked(self.pool, self.pipeline, reading=[stream]) as pipeline:
            listed, _ = await pipeline.fold(stream, CommunityList())
            if listed.division_code is None:
                raise NotFound(f"matters knows no community {cmd.code}")
            task_id = str(ctx.command_id)
            decided = decide_push(cmd, task_id, listed, self.clock())
            new = pipeline.new_event(
                decided, cmd.command_type, ctx, subject=cmd.code,
                division_code=listed.division_code, runways=decided.runway or "",
            )  # fmt: skip
            recorded = await pipeline.save(
                ctx, Change(task_stream(task_id), StreamPosition(), [new])
            )
        # Raised once the refusal is committed: it is recorded, and nothing else changed.
        refused = self.pipeline.catalog.decode(recorded[0])
        if isinstance(refused, TaskRefused):
            raise MatterNotOnList(
                refused.reason,
                errors=[FieldProblem("matter_id", f"{refused.rule}: {refused.reason}")],
            )
        return recorded
