"""Community command handlers: load -> decide (community/decide.py) -> save through the
kernel's command pipeline (shared/pipeline.py), which alone appends.

`load_community`, `load_community_at` and `registration` are used by the other slices too:
a grid changes a community, an establishment and a conversion register one.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.registry.community import decide
from services.registry.community.aggregate import Community
from services.registry.community.commands import (
    AlreadyRegistered,
    CommunityEnded,
    EstablishResidentsCommittee,
    RecordPartyOrganisation,
    RegisterCommunity,
    UpdateCommunityIndicators,
)
from services.registry.community.events import community_stream
from services.registry.policy.packs import NoRegion, PolicyPack
from services.registry.recording import recorded
from shared.commands import CommandContext
from shared.community_code import issue_code
from shared.errors import (
    ConcurrencyConflict,
    FieldProblem,
    NotFound,
    StreamPosition,
    ValidationFailed,
)
from shared.eventstore import DomainEvent, Envelope, NewEvent
from shared.pipeline import Change, CommandPipeline, Refused
from shared.policy_publication import PolicyInForce
from shared.values import refusing_invalid_values


async def load_community(pipeline: CommandPipeline, code: str) -> Community:
    community, head = await pipeline.fold(community_stream(code), Community(code))
    if not head.version:
        raise NotFound(f"no community with code {code}")
    community.head = head
    return community


async def load_community_at(
    pipeline: CommandPipeline, code: str, expected_version: int | None, ctx: CommandContext
) -> Community | list[Envelope]:
    """The community to act on, checked against the version the client read (If-Match).

    On a mismatch, a retry of a command already recorded gets its events back (a list); any
    other command gets a ConcurrencyConflict. An ended community is a CommunityEnded.
    """
    community = await load_community(pipeline, code)
    if community.status == "converted":
        raise CommunityEnded(
            f"community {code} was converted into {community.successor}: act on that one"
        )
    if replay := await pipeline.check_expected(
        community_stream(code), expected_version, community.head, ctx
    ):
        return replay
    return community


async def save_to_community(
    pipeline: CommandPipeline,
    ctx: CommandContext,
    command: str,
    community: Community,
    events: Sequence[DomainEvent],
    pack: PolicyPack | None = None,
    **extra: str,
) -> list[Envelope]:
    """Record `events` on the community's stream, after the version it was loaded at."""
    new = recorded(pipeline, command, community.code, ctx, events, pack, **extra)
    return await pipeline.save(ctx, Change(community_stream(community.code), community.head, new))


async def registration(
    pipeline: CommandPipeline,
    policy: PolicyInForce[PolicyPack],
    cmd: RegisterCommunity,
    ctx: CommandContext,
    *,
    command: str = RegisterCommunity.command_type,
    status: str = "active",
    establishment: str | None = None,
    predecessor: str | None = None,
    committee_name: str | None = None,
) -> tuple[str, list[NewEvent]]:
    """The code a registration issues and the events that record it (with its tier and size
    findings), or a ValidationFailed with every reason it cannot be."""
    problems = decide.registration_problems(cmd)
    pack = None
    if not problems:
        try:
            pack = await policy.pack_for(cmd.division_code)
        except NoRegion as exc:
            problems.append(FieldProblem("division_code", str(exc)))
    if problems or pack is None:
        raise ValidationFailed("the community cannot be registered", errors=problems)
    code = issue_code(cmd.division_code, cmd.major_type)
    events = decide.register(
        cmd, code, pack, status=status, establishment=establishment, predecessor=predecessor,
        committee_name=committee_name,
    )  # fmt: skip
    return code, recorded(pipeline, command, code, ctx, events, pack)


class CommunityHandlers:
    def __init__(self, pipeline: CommandPipeline, policy: PolicyInForce[PolicyPack]) -> None:
        self.pipeline = pipeline
        self.policy = policy

    @refusing_invalid_values
    async def register_community(
        self, cmd: RegisterCommunity, ctx: CommandContext
    ) -> list[Envelope]:
        code, events = await registration(self.pipeline, self.policy, cmd, ctx)
        try:
            return await self.pipeline.save(
                ctx, Change(community_stream(code), StreamPosition(), events)
            )
        except ConcurrencyConflict as exc:
            # A code is issued once and never reused: the stream exists, so does the community.
            raise AlreadyRegistered(f"community {code} is already registered") from exc

    @refusing_invalid_values
    async def update_indicators(
        self, cmd: UpdateCommunityIndicators, ctx: CommandContext
    ) -> list[Envelope]:
        community = await load_community_at(self.pipeline, cmd.code, cmd.expected_version, ctx)
        if isinstance(community, list):
            return community  # a retry of a command already recorded
        pack = await self.policy.pack_for(community.division_code)
        events = decide.update_indicators(cmd, community, pack)
        return await save_to_community(
            self.pipeline, ctx, cmd.command_type, community, events, pack
        )

    @refusing_invalid_values
    async def establish_residents_committee(
        self, cmd: EstablishResidentsCommittee, ctx: CommandContext
    ) -> list[Envelope]:
        community = await load_community_at(self.pipeline, cmd.code, cmd.expected_version, ctx)
        if isinstance(community, list):
            return community
        pack = await self.policy.pack_for(community.division_code)
        decision = decide.establish_committee(cmd, community, pack)
        if isinstance(decision, Refused):
            return await self.pipeline.refuse(ctx, decision)
        return await save_to_community(
            self.pipeline, ctx, cmd.command_type, community, decision, pack
        )

    @refusing_invalid_values
    async def record_party_organisation(
        self, cmd: RecordPartyOrganisation, ctx: CommandContext
    ) -> list[Envelope]:
        """Record the community's party organisation; [] when it is already as recorded."""
        community = await load_community_at(self.pipeline, cmd.code, cmd.expected_version, ctx)
        if isinstance(community, list):
            return community
        events = decide.record_party_organisation(cmd, community)
        return await save_to_community(self.pipeline, ctx, cmd.command_type, community, events)
