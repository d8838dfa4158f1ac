"""Admission command handlers: load -> decide (decide.py) -> save.

A handover and an exit change the case and every target community's list in one transaction,
under exclusive locks on those lists (shared/stream_locks.py): a push checked against a list
holds a shared lock on it, so it is decided wholly before the change or wholly after it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from uuid import uuid5

import asyncpg

from services.matters.admission import decide
from services.matters.admission.events import AdmissionApplied, admission_stream
from services.matters.admission.workflow import Admission, admission_of
from services.matters.lists.decide import CommunityList
from services.matters.lists.events import MatterAdmitted, MatterExited, list_stream
from shared.commands import CommandContext
from shared.errors import NotFound, StreamPosition
from shared.eventstore import DomainEvent, Envelope, NewEvent
from shared.pipeline import Change, CommandPipeline, Refused
from shared.stream_locks import locked
from shared.values import refusing_invalid_values


async def lists_of(
    pipeline: CommandPipeline, codes: Iterable[str]
) -> tuple[dict[str, CommunityList], dict[str, StreamPosition]]:
    states, heads = {}, {}
    for code in codes:
        states[code], heads[code] = await pipeline.fold(list_stream(code), CommunityList())
    return states, heads


async def case_of(pipeline: CommandPipeline, admission_id: str) -> tuple[Admission, StreamPosition]:
    case, head = await pipeline.fold(admission_stream(admission_id), Admission())
    if case.applied is None:
        raise NotFound(f"no admission {admission_id}")
    return case, head


class AdmissionHandlers:
    def __init__(
        self,
        pool: asyncpg.Pool,
        pipeline: CommandPipeline,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.pool = pool
        self.pipeline = pipeline
        self.clock = clock

    def _case_event(
        self, pipeline: CommandPipeline, event: DomainEvent, command: str, ctx: CommandContext,
        applied: AdmissionApplied,
    ) -> list[NewEvent]:  # fmt: skip
        runways = ",".join(sorted({i.runway for i in applied.items}))
        return [
            pipeline.new_event(
                event, command, ctx, subject=applied.admission_id,
                division_code=applied.division_code, runways=runways,
            )
        ]  # fmt: skip

    @refusing_invalid_values
    async def apply(self, cmd: decide.Apply, ctx: CommandContext) -> list[Envelope]:
        admission_id = f"{cmd.division_code}-{uuid5(ctx.command_id, 'admission').hex[:8]}"
        lists, _ = await lists_of(self.pipeline, cmd.target_communities)
        applied = decide.applied(cmd, admission_id, lists, self.clock())
        if isinstance(applied, Refused):
            return await self.pipeline.refuse(ctx, applied)
        events = self._case_event(self.pipeline, applied, cmd.command_type, ctx, applied)
        return await self.pipeline.save(
            ctx, Change(admission_stream(admission_id), StreamPosition(), events)
        )

    async def _step(
        self,
        admission_id: str,
        ctx: CommandContext,
        command: str,
        decision: Callable[[Admission], DomainEvent | Refused],
    ) -> list[Envelope]:
        case, head = await case_of(self.pipeline, admission_id)
        event = decision(case)
        if isinstance(event, Refused):
            return await self.pipeline.refuse(ctx, event)
        assert case.applied is not None
        events = self._case_event(self.pipeline, event, command, ctx, case.applied)
        return await self.pipeline.save(ctx, Change(admission_stream(admission_id), head, events))

    @refusing_invalid_values
    async def convene(self, cmd: decide.Convene, ctx: CommandContext) -> list[Envelope]:
        return await self._step(
            cmd.admission_id, ctx, cmd.command_type, lambda c: decide.convened(cmd, c)
        )

    @refusing_invalid_values
    async def judge(self, cmd: decide.Judge, ctx: CommandContext) -> list[Envelope]:
        return await self._step(
            cmd.admission_id, ctx, cmd.command_type, lambda c: decide.judged(cmd, c)
        )

    @refusing_invalid_values
    async def conclude(self, cmd: decide.Decide, ctx: CommandContext) -> list[Envelope]:
        return await self._step(
            cmd.admission_id, ctx, cmd.command_type, lambda c: decide.decided(cmd, c)
        )

    @refusing_invalid_values
    async def sign_handover(self, cmd: decide.SignHandover, ctx: CommandContext) -> list[Envelope]:
        """HandoverSigned on the case and MatterAdmitted on each open target list, together."""
        targets = (await case_of(self.pipeline, cmd.admission_id))[0].targets()
        streams = [admission_stream(cmd.admission_id), *map(list_stream, targets)]
        async with locked(self.pool, self.pipeline, changing=streams) as pipeline:
            case, head = await case_of(pipeline, cmd.admission_id)
            lists, heads = await lists_of(pipeline, targets)
            decided = decide.handover_signed(cmd, case, lists, self.clock())
            if isinstance(decided, Refused):
                return await pipeline.refuse(ctx, decided)
            signed, admitted = decided
            assert case.applied is not None
            changes = [
                Change(
                    admission_stream(cmd.admission_id), head,
                    self._case_event(pipeline, signed, cmd.command_type, ctx, case.applied),
                ),
                *self._list_changes(pipeline, admitted, heads, cmd.command_type, ctx),
            ]  # fmt: skip
            return await pipeline.save(ctx, *changes)

    @refusing_invalid_values
    async def exit(self, cmd: decide.ExitMatter, ctx: CommandContext) -> list[Envelope]:
        """准入退出: MatterExitRecorded on the case and MatterExited on each list it is on."""
        admission_id, item = admission_of(cmd.matter_id)
        signed = (await case_of(self.pipeline, admission_id))[0].handed_over.get(item)
        if signed is None:
            raise NotFound(f"no admitted matter {cmd.matter_id} on any list")
        streams = [admission_stream(admission_id), *map(list_stream, signed.entered)]
        async with locked(self.pool, self.pipeline, changing=streams) as pipeline:
            case, head = await case_of(pipeline, admission_id)
            lists, heads = await lists_of(pipeline, signed.entered)
            decided = decide.exit_recorded(cmd, case, item, lists, self.clock())
            if isinstance(decided, Refused):
                return await pipeline.refuse(ctx, decided)
            recorded, exited = decided
            assert case.applied is not None
            changes = [
                Change(
                    admission_stream(admission_id), head,
                    self._case_event(pipeline, recorded, cmd.command_type, ctx, case.applied),
                ),
                *self._list_changes(pipeline, exited, heads, cmd.command_type, ctx),
            ]  # fmt: skip
            return await pipeline.save(ctx, *changes)

    def _list_changes(
        self, pipeline: CommandPipeline, events: Sequence[MatterAdmitted | MatterExited],
        heads: dict[str, StreamPosition], command: str, ctx: CommandContext,
    ) -> list[Change]:  # fmt: skip
        """One change per community list: its event, keyed and sliced by the community."""
        return [
            Change(
                list_stream(e.code), heads[e.code],
                [pipeline.new_event(
                    e, command, ctx, subject=e.code, division_code=e.division_code,
                    runways=e.matter.runway if isinstance(e, MatterAdmitted) else e.runway,
                )],
            )
            for e in events
        ]  # fmt: skip
