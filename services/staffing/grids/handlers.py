"""Grid team handlers: grids followed from the registry's topic, team members by command."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pydantic import ValidationError

from services.staffing.grids.decide import CommunityGrids, Member, join, leave, observe_grid
from services.staffing.policy import staffing_policy
from services.staffing.quota.events import community_stream
from services.staffing.quota.handlers import CONSUMER, observed_stream
from services.staffing.quota.packs import StaffingBook, StaffingPack, TeamRole
from services.staffing.workforce.decide import CommunityPositions, Worker
from services.staffing.workforce.events import worker_stream
from shared.cloudevents import IncomingEvent
from shared.commands import CommandContext
from shared.errors import NotFound, StreamPosition
from shared.eventstore import DomainEvent, Envelope, NewEvent
from shared.inbox import PoisonEvent
from shared.pipeline import Change, CommandPipeline, Refused
from shared.registry_view import observed_code
from shared.subscribers import reaction_context
from shared.values import refusing_invalid_values

# The registry's grid events staffing follows (a resize or a member count changes no team).
GRID_FOLLOWED_TYPES = ("GridCreated", "GridsMerged", "GridSplit", "MicroGridAdded")


@dataclass(frozen=True)
class JoinTeam:
    command_type = "JoinGridTeam"
    code: str
    grid: str
    member: Member
    effective_from: date


@dataclass(frozen=True)
class LeaveTeam:
    command_type = "LeaveGridTeam"
    code: str
    grid: str
    role: TeamRole
    member: str
    effective_from: date
    reason: str


class GridObserver:
    """The reaction to the registry's grid events (shared/subscribers.py)."""

    def __init__(self, book: StaffingBook | None = None) -> None:
        self.book = book or StaffingBook.shipped()

    async def observe(self, event: IncomingEvent, pipeline: CommandPipeline) -> None:
        """ObserveGrids: follow a registry grid event (on the inbox's transaction)."""
        code, stream = observed_code(event), observed_stream(event)
        grids, positions = CommunityGrids(), CommunityPositions()
        head = await pipeline.fold_many(stream, grids, positions)
        if positions.division_code is None:
            return  # a community staffing has not seen registered
        pack = await staffing_policy(pipeline.load, self.book).covering(positions.division_code)
        try:
            decided = observe_grid(code, event.type, event.data, grids, pack)
        except (ValidationError, KeyError, TypeError) as exc:
            raise PoisonEvent(f"{event.type} {event.event_id}: not a registry grid event") from exc
        ctx = reaction_context(event, CONSUMER)
        new = [_new(pipeline, e, "ObserveGrids", ctx, code, pack) for e in decided]
        await pipeline.save(ctx, Change(stream, head, new))


class GridHandlers:
    """Team commands: a member joins or leaves a grid's team."""

    def __init__(self, pipeline: CommandPipeline, book: StaffingBook | None = None) -> None:
        self.pipeline = pipeline
        self.policy = staffing_policy(pipeline.load, book)

    @refusing_invalid_values
    async def join(self, cmd: JoinTeam, ctx: CommandContext) -> list[Envelope]:
        grids, positions, head, pack = await self._community(cmd.code)
        assert pack is not None  # a community with grids is in a region
        worker = None
        if cmd.member.worker_id is not None:
            worker, _ = await self.pipeline.fold(worker_stream(cmd.member.worker_id), Worker())
            if worker.status is None:
                raise NotFound(f"no worker {cmd.member.worker_id}")
        decided = join(grids, positions, worker, cmd.code, cmd.grid, cmd.member,
                       cmd.effective_from, pack)  # fmt: skip
        if isinstance(decided, Refused):
            return await self.pipeline.refuse(ctx, decided)
        return await self._save(ctx, cmd.command_type, cmd.code, head, pack, decided)

    @refusing_invalid_values
    async def leave(self, cmd: LeaveTeam, ctx: CommandContext) -> list[Envelope]:
        grids, _, head, pack = await self._community(cmd.code)
        decided = leave(grids, cmd.code, cmd.grid, cmd.role, cmd.member, cmd.effective_from,
                        cmd.reason, pack)  # fmt: skip
        return await self._save(ctx, cmd.command_type, cmd.code, head, pack, decided)

    async def _community(
        self, code: str
    ) -> tuple[CommunityGrids, CommunityPositions, StreamPosition, StaffingPack | None]:
        grids, positions = CommunityGrids(), CommunityPositions()
        head = await self.pipeline.fold_many(community_stream(code), grids, positions)
        if positions.division_code is None:
            raise NotFound(f"staffing knows no community {code}")
        return grids, positions, head, await self.policy.covering(positions.division_code)

    async def _save(
        self, ctx: CommandContext, command: str, code: str, head: StreamPosition,
        pack: StaffingPack | None, decided: list[DomainEvent],
    ) -> list[Envelope]:  # fmt: skip
        new = [_new(self.pipeline, e, command, ctx, code, pack) for e in decided]
        return await self.pipeline.save(ctx, Change(community_stream(code), head, new))


def _new(
    pipeline: CommandPipeline, event: DomainEvent, command: str, ctx: CommandContext, code: str,
    pack: StaffingPack | None,
) -> NewEvent:  # fmt: skip
    return pipeline.new_event(
        event, command, ctx, subject=code, division_code=code[:12],
        policy_pack=pack.ref if pack is not None and event.is_decision else None,
    )  # fmt: skip
