"""Registry command handlers: commands in, events appended. The only place that appends."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from services.registry import domain
from services.registry.code import issue_code
from services.registry.findings import breaches
from services.registry.policy import NoRegion, PolicyPack, pack_for
from services.registry.tiers import decide_tier
from shared.commands import CommandContext
from shared.errors import (
    ConcurrencyConflict,
    Conflict,
    FieldProblem,
    NotFound,
    StreamPosition,
    ValidationFailed,
)
from shared.eventstore import DomainEvent, Envelope, EventCatalog, EventStore, NewEvent


@dataclass(frozen=True)
class RegisterCommunity:
    name: str
    division_code: str
    major_type: str
    subtype: str
    indicators: domain.Indicators


@dataclass(frozen=True)
class UpdateCommunityIndicators:
    code: str
    expected_version: int | None
    indicators: domain.Indicators


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
        pack = None
        if not problems:
            try:
                pack = pack_for(cmd.division_code)
            except NoRegion as exc:
                problems.append(FieldProblem("division_code", str(exc)))
        if problems or pack is None:
            raise ValidationFailed("the community cannot be registered", errors=problems)
        code = issue_code(cmd.division_code, cmd.major_type)
        registered = domain.CommunityRegistered(
            code=code,
            name=cmd.name,
            division_code=cmd.division_code,
            major_type=cmd.major_type,
            subtype=cmd.subtype,
            has_residents_committee=domain.has_residents_committee(cmd.major_type),
            service_centre_name=domain.service_centre_name(cmd.name, cmd.subtype),
            region=pack.region,
            **cmd.indicators.model_dump(),
        )
        tier = tier_assignment(pack, registered, registered.indicators(), previous=None)
        decisions: list[DomainEvent] = [
            tier,
            *size_findings(pack, registered, registered.indicators(), open_rules=set()),
        ]
        events = [self._new(registered, code, ctx)] + [
            self._new(d, code, ctx, pack) for d in decisions
        ]
        try:
            return await self._append(code, StreamPosition(), events, ctx)
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
        updated = domain.CommunityIndicatorsUpdated(code=cmd.code, **cmd.indicators.model_dump())
        events = [self._new(updated, cmd.code, ctx)]
        registered = community.registered
        assert registered is not None
        pack = pack_for(registered.division_code)
        tier = tier_assignment(pack, registered, updated.indicators(), previous=community.tier)
        decisions: list[DomainEvent] = []
        if tier.tier != community.tier:  # a decision is recorded only when the tier changes
            decisions.append(tier)
        decisions += size_findings(
            pack, registered, updated.indicators(), open_rules=community.open_findings
        )
        events += [self._new(d, cmd.code, ctx, pack) for d in decisions]
        return await self._append(cmd.code, community.head, events, ctx)

    async def load(self, code: str) -> domain.Community:
        envelopes = await self.store.read_stream(domain.stream_id(code))
        if not envelopes:
            raise NotFound(f"no community with code {code}")
        return domain.Community.from_history(code, [(e, self.catalog.decode(e)) for e in envelopes])

    def _new(
        self, event: DomainEvent, code: str, ctx: CommandContext, pack: PolicyPack | None = None
    ) -> NewEvent:
        extra = {"policy_pack": pack.ref} if pack else {}
        metadata = ctx.metadata(
            type(event).__name__, subject=code, division_code=code[:12], **extra
        )
        return self.catalog.new_event(event, metadata)

    async def _append(
        self, code: str, expected: StreamPosition, events: list[NewEvent], ctx: CommandContext
    ) -> list[Envelope]:
        return await self.store.append(
            domain.stream_id(code), expected, events, command_id=ctx.command_id
        )


def tier_assignment(
    pack: PolicyPack,
    registered: domain.CommunityRegistered,
    indicators: domain.Indicators,
    previous: str | None,
) -> domain.CommunityTierAssigned:
    decision = decide_tier(pack, registered.major_type, indicators.as_decimals())
    return domain.CommunityTierAssigned(
        code=registered.code,
        tier=decision.tier,
        previous_tier=previous,
        score=decision.score,
        policy_region=pack.region,
        policy_version=pack.version,
        inputs=decision.inputs,
        contributions=decision.contributions,
        rule=decision.rule,
    )


def size_findings(
    pack: PolicyPack,
    registered: domain.CommunityRegistered,
    indicators: domain.Indicators,
    open_rules: set[str],
) -> list[DomainEvent]:
    """Raise a finding for each rule newly broken; resolve each open one no longer broken."""
    broken = {b.rule.id: b for b in breaches(pack, registered.major_type, indicators.as_decimals())}
    values = indicators.as_decimals()
    raised: list[DomainEvent] = [
        domain.SizeFindingRaised(
            code=registered.code,
            rule=rule_id,
            indicator=b.rule.indicator,
            value=b.value,
            limit=b.limit_text,
            policy_region=pack.region,
            policy_version=pack.version,
            source=b.rule.source,
        )
        for rule_id, b in sorted(broken.items())
        if rule_id not in open_rules
    ]
    rules = {r.id: r for r in pack.size_rules}
    resolved: list[DomainEvent] = [
        domain.SizeFindingResolved(
            code=registered.code,
            rule=rule_id,
            indicator=rules[rule_id].indicator,
            value=values.get(rules[rule_id].indicator, Decimal(0)),
            policy_region=pack.region,
            policy_version=pack.version,
        )
        for rule_id in sorted(open_rules - broken.keys())
        if rule_id in rules
    ]
    return raised + resolved
