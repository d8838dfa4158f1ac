"""Registry command handlers: commands in, events appended. The only place that appends."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from services.registry import domain
from services.registry.code import issue_code
from shared.commands import CommandContext
from shared.errors import ConcurrencyConflict, Conflict, NotFound, StreamPosition, ValidationFailed
from shared.eventstore import Envelope, EventCatalog, EventStore


@dataclass(frozen=True)
class RegisterCommunity:
    name: str
    division_code: str
    major_type: str
    subtype: str
    households: int
    residents: int
    area_km2: Decimal


@dataclass(frozen=True)
class UpdateCommunityIndicators:
    code: str
    expected_version: int | None
    households: int
    residents: int
    area_km2: Decimal


class AlreadyRegistered(Conflict):
    slug = "already-registered"
    title = "This community is already registered"


class Handlers:
    def __init__(self, store: EventStore, catalog: EventCatalog) -> None:
        self.store = store
        self.catalog = catalog

    async def register_community(
        self, cmd: RegisterCommunity, ctx: CommandContext
    ) -> list[Envelope]:
        problems = domain.check_registration(
            name=cmd.name,
            division_code=cmd.division_code,
            major_type=cmd.major_type,
            subtype=cmd.subtype,
        )
        if problems:
            raise ValidationFailed("the community cannot be registered", errors=problems)
        code = issue_code(cmd.division_code, cmd.major_type)
        event = domain.CommunityRegistered(
            code=code,
            name=cmd.name,
            division_code=cmd.division_code,
            major_type=cmd.major_type,
            subtype=cmd.subtype,
            has_residents_committee=domain.has_residents_committee(cmd.major_type),
            service_centre_name=domain.service_centre_name(cmd.name, cmd.subtype),
            households=cmd.households,
            residents=cmd.residents,
            area_km2=cmd.area_km2,
        )
        try:
            return await self._append(code, StreamPosition(), event, ctx)
        except ConcurrencyConflict as exc:
            # A code is issued once and never reused: the stream exists, so does the community.
            raise AlreadyRegistered(f"community {code} is already registered") from exc

    async def update_indicators(
        self, cmd: UpdateCommunityIndicators, ctx: CommandContext
    ) -> list[Envelope]:
        community = await self.load(cmd.code)
        if cmd.expected_version is not None and cmd.expected_version != community.head.version:
            if replay := await self.store.events_of_command(ctx.command_id):
                return replay
            raise ConcurrencyConflict(
                domain.stream_id(cmd.code), cmd.expected_version, community.head.version
            )
        event = domain.CommunityIndicatorsUpdated(
            code=cmd.code,
            households=cmd.households,
            residents=cmd.residents,
            area_km2=cmd.area_km2,
        )
        return await self._append(cmd.code, community.head, event, ctx)

    async def load(self, code: str) -> domain.Community:
        envelopes = await self.store.read_stream(domain.stream_id(code))
        if not envelopes:
            raise NotFound(f"no community with code {code}")
        return domain.Community.from_history(code, [(e, self.catalog.decode(e)) for e in envelopes])

    async def _append(
        self,
        code: str,
        expected: StreamPosition,
        event: domain.DomainEvent,
        ctx: CommandContext,
    ) -> list[Envelope]:
        metadata = ctx.metadata(type(event).__name__, subject=code, division_code=code[:12])
        return await self.store.append(
            domain.stream_id(code),
            expected,
            [self.catalog.new_event(event, metadata)],
            command_id=ctx.command_id,
        )
