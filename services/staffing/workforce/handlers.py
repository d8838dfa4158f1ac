"""Position control and workforce handlers: load, decide (workforce/decide.py), save.

A command that moves a worker into or out of a position appends to the worker's stream and
the community's together (all or none); each stream's version guards its own state, so two
district clerks cannot fill one vacancy, nor place one worker twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import asyncpg

from services.staffing.grids.decide import CommunityGrids, worker_leaves
from services.staffing.policy import staffing_policy
from services.staffing.quota.events import community_stream
from services.staffing.quota.packs import StaffingBook, StaffingPack
from services.staffing.workforce import decide as rules
from services.staffing.workforce.commands import (
    AbolishPosition,
    AppraiseWorker,
    AuthorisePosition,
    DepartWorker,
    EndLeave,
    EraseWorker,
    PlaceWorker,
    RecordPay,
    RecordQualification,
    RecruitWorker,
    StartLeave,
    WorkerRecord,
)
from services.staffing.workforce.decide import CommunityPositions, Worker
from services.staffing.workforce.events import worker_stream
from services.staffing.workforce.ids import worker_id
from shared.commands import CommandContext
from shared.errors import FieldProblem, NotFound, StreamPosition, ValidationFailed
from shared.eventstore import DomainEvent, Envelope, NewEvent
from shared.eventstore.store import head_of
from shared.id_card import id_number_problem
from shared.personal_data import PersonalVault
from shared.pipeline import Change, CommandPipeline, Refused
from shared.values import refusing_invalid_values


class WorkforceHandlers:
    def __init__(
        self,
        pipeline: CommandPipeline,
        pool: asyncpg.Pool,
        book: StaffingBook | None = None,
        vault: PersonalVault | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.pool = pool
        self.policy = staffing_policy(pipeline.load, book)
        self.vault = vault or PersonalVault()

    @refusing_invalid_values
    async def authorise(self, cmd: AuthorisePosition, ctx: CommandContext) -> list[Envelope]:
        community, head = await self._community(cmd.code)
        assert community.division_code is not None
        pack = await self.policy.covering(community.division_code)
        decision = rules.authorise(community, cmd.code, cmd.post, cmd.effective_from, pack)
        if isinstance(decision, Refused):
            return await self.pipeline.refuse(ctx, decision)
        new = self._new(decision, cmd.command_type, ctx, cmd.code, pack)
        return await self.pipeline.save(ctx, Change(community_stream(cmd.code), head, [new]))

    @refusing_invalid_values
    async def abolish(self, cmd: AbolishPosition, ctx: CommandContext) -> list[Envelope]:
        code = cmd.position_id[:17]
        community, head = await self._community(code)
        event = rules.abolish(community, code, cmd.position_id, cmd.effective_from, cmd.reason)
        new = self._new(event, cmd.command_type, ctx, code)
        return await self.pipeline.save(ctx, Change(community_stream(code), head, [new]))

    @refusing_invalid_values
    async def recruit(self, cmd: RecruitWorker, ctx: CommandContext) -> list[Envelope]:
        """Into the division's reserve pool. The personal fields are sealed under a new key
        kept in the append's transaction (shared/personal_data.py)."""
        if replay := await self.pipeline.replay(ctx):
            return replay
        if problem := id_number_problem(cmd.id_number):
            raise ValidationFailed(
                "not an identity card number", errors=[FieldProblem("id_number", problem)]
            )
        if await self.policy.covering(cmd.division_code) is None:
            reason = "no staffing policy region covers it"
            raise ValidationFailed(reason, errors=[FieldProblem("division_code", reason)])
        wid = worker_id(cmd.division_code, ctx.command_id)
        sealed, key = self.vault.seal(wid, {"name": cmd.name, "id_number": cmd.id_number})
        event = rules.recruit(Worker(), wid, cmd.division_code, cmd.effective_from, sealed)
        new = self._new(event, cmd.command_type, ctx, wid, division_code=cmd.division_code)
        async with self.pool.acquire() as conn, conn.transaction():
            recorded = await self.pipeline.on(conn).save(
                ctx, Change(worker_stream(wid), head_of([]), [new])
            )
            await self.vault.keep(conn, wid, key)
        self._wake()
        return recorded

    @refusing_invalid_values
    async def place(self, cmd: PlaceWorker, ctx: CommandContext) -> list[Envelope]:
        """Assign from the pool, or transfer: the worker and each community touched, together."""
        worker, worker_head = await self._worker(cmd.worker_id)
        code = cmd.position_id[:17]
        target, target_head = await self._community(code)
        decision: Sequence[DomainEvent] | Refused
        if cmd.transfer:
            decision = rules.transfer(worker, target, cmd.position_id, cmd.effective_from)
        else:
            decision = rules.assign(worker, target, cmd.position_id, cmd.effective_from)
        if isinstance(decision, Refused):
            return await self.pipeline.refuse(ctx, decision)
        heads = {code: target_head}
        worker_event, *community_events = decision
        if worker.code is not None and worker.code not in heads and cmd.transfer:
            # Moving to another community: the worker leaves the old one's grid teams.
            heads[worker.code], leaving = await self._leaving(
                worker.code, cmd.worker_id, cmd.effective_from, "transferred"
            )
            community_events += leaving
        return await self.pipeline.save(
            ctx,
            Change(worker_stream(cmd.worker_id), worker_head,
                   [self._new(worker_event, cmd.command_type, ctx, cmd.worker_id, worker=worker)]),
            *await self._community_changes(community_events, heads, cmd.command_type, ctx),
        )  # fmt: skip

    @refusing_invalid_values
    async def depart(self, cmd: DepartWorker, ctx: CommandContext) -> list[Envelope]:
        worker, head = await self._worker(cmd.worker_id)
        departed, vacated = rules.depart(worker, cmd.effective_from, cmd.reason)
        changes = []
        if vacated is not None:
            head_there, leaving = await self._leaving(
                vacated.code, cmd.worker_id, cmd.effective_from, "departed"
            )
            changes = await self._community_changes(
                [vacated, *leaving], {vacated.code: head_there}, cmd.command_type, ctx
            )
        new = self._new(departed, cmd.command_type, ctx, cmd.worker_id, worker=worker)
        return await self.pipeline.save(
            ctx, Change(worker_stream(cmd.worker_id), head, [new]), *changes
        )

    @refusing_invalid_values
    async def record(self, cmd: WorkerRecord, ctx: CommandContext) -> list[Envelope]:
        """Leave, return, appraisal, pay, qualification: one event on the worker's stream."""
        worker, head = await self._worker(cmd.worker_id)
        pack = await self.policy.covering(worker.division_code)
        event: DomainEvent
        match cmd:
            case StartLeave():
                event = rules.start_leave(worker, cmd.effective_from, cmd.until, cmd.reason)
            case EndLeave():
                event = rules.end_leave(worker, cmd.effective_from)
            case AppraiseWorker():
                assert pack is not None  # a worker is only recruited where a pack decides
                event = rules.appraise(worker, cmd.year, cmd.result, pack)
            case RecordPay():
                event = rules.record_pay(worker, cmd.year, cmd.annual_pay_fen)
            case RecordQualification():
                event = rules.qualify(worker, cmd.level, cmd.effective_from)
        new = self._new(event, cmd.command_type, ctx, cmd.worker_id, pack, worker=worker)
        return await self.pipeline.save(ctx, Change(worker_stream(cmd.worker_id), head, [new]))

    async def erase(self, cmd: EraseWorker, ctx: CommandContext) -> list[Envelope]:
        """WorkerErased and the key's destruction commit together: the erasure is itself an
        audited event, and nothing sealed for the worker opens afterwards."""
        async with self.pool.acquire() as conn, conn.transaction():
            pipeline = self.pipeline.on(conn)
            worker, head = await pipeline.fold(worker_stream(cmd.worker_id), Worker())
            if worker.status is None:
                raise NotFound(f"no worker {cmd.worker_id}")
            event = rules.erase(worker, cmd.reason)
            new = self._new(event, cmd.command_type, ctx, cmd.worker_id, worker=worker)
            recorded = await pipeline.save(ctx, Change(worker_stream(cmd.worker_id), head, [new]))
            await self.vault.erase(conn, cmd.worker_id)
        self._wake()
        return recorded

    async def _community(self, code: str) -> tuple[CommunityPositions, StreamPosition]:
        community, head = await self.pipeline.fold(community_stream(code), CommunityPositions())
        if community.division_code is None:
            raise NotFound(f"staffing knows no community {code}")
        return community, head

    async def _leaving(
        self, code: str, wid: str, day: date, reason: str
    ) -> tuple[StreamPosition, list[DomainEvent]]:
        """The community's head, and the grid team events of `wid` leaving it."""
        grids, positions = CommunityGrids(), CommunityPositions()
        head = await self.pipeline.fold_many(community_stream(code), grids, positions)
        pack = await self.policy.covering(code[:12])
        return head, worker_leaves(grids, code, wid, day, reason, pack)

    async def _worker(self, wid: str) -> tuple[Worker, StreamPosition]:
        worker, head = await self.pipeline.fold(worker_stream(wid), Worker())
        if worker.status is None:
            raise NotFound(f"no worker {wid}")
        return worker, head

    async def _community_changes(
        self, events: Sequence[DomainEvent], heads: dict[str, StreamPosition], command: str,
        ctx: CommandContext,
    ) -> list[Change]:  # fmt: skip
        """The community events of one command, one Change per community stream."""
        by_code: dict[str, list[NewEvent]] = {}
        packs: dict[str, StaffingPack | None] = {}  # the policy stream read once a division
        for e in events:
            code = str(getattr(e, "code"))  # noqa: B009 - every community event names it
            if code[:12] not in packs:
                packs[code[:12]] = await self.policy.covering(code[:12])
            by_code.setdefault(code, []).append(self._new(e, command, ctx, code, packs[code[:12]]))
        return [Change(community_stream(c), heads[c], new) for c, new in by_code.items()]

    def _new(
        self, event: DomainEvent, command: str, ctx: CommandContext, subject: str,
        pack: StaffingPack | None = None, *, worker: Worker | None = None,
        division_code: str | None = None,
    ) -> NewEvent:  # fmt: skip
        """The event with its metadata; its division is the worker's, or the community's."""
        division = division_code or (worker.division_code if worker else subject[:12])
        return self.pipeline.new_event(
            event, command, ctx, subject=subject, division_code=division,
            policy_pack=pack.ref if pack is not None and event.is_decision else None,
        )  # fmt: skip

    def _wake(self) -> None:
        if self.pipeline.wake is not None:
            self.pipeline.wake()
