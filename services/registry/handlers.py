"""Registry command handlers: load → decide → save through the kernel's command pipeline
(shared/pipeline.py), which alone appends."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar, Protocol, TypeVar
from uuid import uuid5

from services.registry import domain
from services.registry.code import issue_code
from services.registry.findings import breaches, finding_events
from services.registry.policy import NoRegion, PolicyBook, PolicyPack
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
from shared.eventstore import DomainEvent, Envelope, EventCatalog, NewEvent
from shared.eventstore.store import head_of
from shared.pipeline import Change, CommandPipeline, Store
from shared.values import refusing_invalid_values


class Case(Protocol):
    def apply(self, event: DomainEvent) -> None: ...


CaseT = TypeVar("CaseT", bound=Case)


@dataclass(frozen=True)
class RegisterCommunity:
    command_type: ClassVar[str] = "RegisterCommunity"  # stable: the metadata's `command`
    name: str
    division_code: str
    major_type: str
    subtype: str
    indicators: domain.Indicators
    # None: as the major type says (urban and rural yes, industrial never). An urban community
    # may start without one, e.g. a new residential area before 50% occupancy.
    has_residents_committee: bool | None = None
    # Industrial communities (seed 000 §二(一)2): the own area adjoins; other parts are held
    # in trust.
    area_contiguous: bool = True
    trust_areas: tuple[domain.TrustArea, ...] = ()


@dataclass(frozen=True)
class UpdateCommunityIndicators:
    command_type: ClassVar[str] = "UpdateCommunityIndicators"  # stable: the metadata's `command`
    code: str
    expected_version: int | None
    indicators: domain.Indicators


class AlreadyRegistered(Conflict):
    slug = "already-registered"
    title = "This community is already registered"


class CommunityEnded(Conflict):
    slug = "community-ended"
    title = "The community has ended (converted into a successor)"


class CommitteeExists(Conflict):
    slug = "residents-committee-exists"
    title = "The community already has a residents' committee"


class PackVersionChanged(Conflict):
    slug = "policy-pack-version-changed"
    title = "This pack version was published with other content"


class PackNotPublished(Conflict):
    slug = "policy-pack-not-published"
    title = "Publish the policy pack version before re-evaluating with it"


@dataclass(frozen=True)
class Reevaluation:
    pack: str  # region@version
    communities: int  # re-decided
    changed: int  # those that got new events (a tier or pack version changed, a finding)


class Handlers:
    def __init__(
        self,
        store: Store,
        catalog: EventCatalog,
        policies: PolicyBook | None = None,
        pipeline: CommandPipeline | None = None,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.policies = policies or PolicyBook.shipped()
        self.pipeline = pipeline or CommandPipeline(store, catalog)

    @refusing_invalid_values
    async def register_community(
        self, cmd: RegisterCommunity, ctx: CommandContext
    ) -> list[Envelope]:
        code, events = await self.registration(cmd, ctx)
        try:
            return await self.save(code, StreamPosition(), events, ctx)
        except ConcurrencyConflict as exc:
            # A code is issued once and never reused: the stream exists, so does the community.
            raise AlreadyRegistered(f"community {code} is already registered") from exc

    async def registration(
        self,
        cmd: RegisterCommunity,
        ctx: CommandContext,
        *,
        command: str = RegisterCommunity.command_type,
        status: str = "active",
        establishment: str | None = None,
        predecessor: str | None = None,
        committee_name: str | None = None,
    ) -> tuple[str, list[NewEvent]]:
        """The code a registration issues and the events that record it (with its tier and
        size findings), or a ValidationFailed with every reason it cannot be."""
        problems = domain.check_registration(
            name=cmd.name,
            division_code=cmd.division_code,
            major_type=cmd.major_type,
            subtype=cmd.subtype,
            area_contiguous=cmd.area_contiguous,
            holds_trust_areas=bool(cmd.trust_areas),
        )
        committee = domain.has_residents_committee(cmd.major_type) if not problems else False
        if cmd.has_residents_committee is not None and not problems:
            if cmd.has_residents_committee and not committee:
                problems.append(
                    FieldProblem(
                        "has_residents_committee",
                        "an industrial community has no residents' committee (seed 000 §二(一)1)",
                    )
                )
            committee = cmd.has_residents_committee
        pack = None
        if not problems:
            try:
                pack = await self.pack_for(cmd.division_code)
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
            has_residents_committee=committee,
            service_centre_name=domain.service_centre_name(cmd.name, cmd.subtype),
            region=pack.region,
            status=status,
            establishment=establishment,
            predecessor=predecessor,
            committee_name=committee_name,
            trust_areas=list(cmd.trust_areas),
            **cmd.indicators.model_dump(),
        )
        tier = tier_assignment(pack, registered, registered.indicators(), previous=None)
        decisions: list[DomainEvent] = [
            tier,
            *community_findings(pack, registered, registered.indicators(), committee, {}),
        ]
        return code, [self.new_event(registered, command, code, ctx)] + [
            self.new_event(d, command, code, ctx, pack) for d in decisions
        ]

    @refusing_invalid_values
    async def update_indicators(
        self, cmd: UpdateCommunityIndicators, ctx: CommandContext
    ) -> list[Envelope]:
        community = await self.load_at(cmd.code, cmd.expected_version, ctx)
        if isinstance(community, list):
            return community
        updated = domain.CommunityIndicatorsUpdated(code=cmd.code, **cmd.indicators.model_dump())
        name = cmd.command_type
        events = [self.new_event(updated, name, cmd.code, ctx)]
        registered = community.registered
        assert registered is not None
        pack = await self.pack_for(registered.division_code)
        tier = tier_assignment(pack, registered, updated.indicators(), previous=community.tier)
        decisions: list[DomainEvent] = []
        if tier.tier != community.tier:  # a decision is recorded only when the tier changes
            decisions.append(tier)
        decisions += community_findings(
            pack, registered, updated.indicators(), community.has_residents_committee,
            community.open_findings,
        )  # fmt: skip
        events += [self.new_event(d, name, cmd.code, ctx, pack) for d in decisions]
        return await self.save(cmd.code, community.head, events, ctx)

    async def publish_pack(self, region: str, ctx: CommandContext) -> list[Envelope]:
        """Record that the region's pack version in force is published (once per version)."""
        pack = self.policies.in_force(region)
        stream = domain.policy_stream_id(region)
        history = await self.pipeline.load(stream)
        digest = pack.content_sha256()
        for earlier in history:
            if earlier.payload["version"] != pack.version:
                continue
            if earlier.payload["content_sha256"] == digest:
                return []  # once per version
            # Decisions name a pack by version: one version must mean one content forever.
            raise PackVersionChanged(
                f"{pack.ref} was published with content sha256 {earlier.payload['content_sha256']}"
                f" and its file now hashes to {digest}: publish changed rules as a new version"
            )
        published = domain.PolicyPackPublished(
            region=region,
            version=pack.version,
            effective_from=pack.effective_from.isoformat(),
            name=pack.name,
            content_sha256=digest,
        )
        event = self.pipeline.new_event(
            published, "PublishPolicyPack", ctx, subject=stream, policy_pack=pack.ref
        )
        return await self.pipeline.save(ctx, Change(stream, head_of(history), [event]))

    async def reevaluate(self, region: str, codes: list[str], ctx: CommandContext) -> Reevaluation:
        """Re-decide tier and size findings of `codes` under the published pack in force.

        Explicit and recorded, and idempotent under one pack version: a community gets a new
        tier decision (naming the pack, the publication that caused it and the reason) only
        when its tier or the pack version of its current decision differs; findings only as
        they open or close. A second run under the same version appends nothing, whatever
        its command id; re-running the same command (same id) replays.
        """
        latest = self.policies.in_force(region)
        pack, publication = await self.published_pack(region)
        if publication is None or pack.version != latest.version:
            raise PackNotPublished(
                f"{latest.ref} is in force but was not published:"
                f" run `wuding policy publish --region {region}` first"
            )
        changed, ended = 0, 0
        for code in codes:
            community = await self.load(code)
            if community.status == "converted":  # ended: its successor is decided instead
                ended += 1
                continue
            registered, indicators = community.registered, community.indicators
            assert registered is not None and indicators is not None
            tier = tier_assignment(pack, registered, indicators, previous=community.tier)
            now = community.tier_decision
            same = now is not None and (now.tier, now.policy_region, now.policy_version) == (
                tier.tier, pack.region, pack.version,
            )  # fmt: skip
            decisions: list[DomainEvent] = [] if same else [tier]
            decisions += community_findings(
                pack, registered, indicators, community.has_residents_committee,
                community.open_findings,
            )  # fmt: skip
            if not decisions:
                continue
            step = CommandContext(
                actor_id=ctx.actor_id,
                actor_kind=ctx.actor_kind,
                correlation_id=ctx.correlation_id or str(ctx.command_id),
                command_id=uuid5(ctx.command_id, code),
            )
            extra = {"reason": "re-evaluation", "causation_id": str(publication.event_id)}
            events = [
                self.new_event(d, "ReevaluateCommunities", code, step, pack, **extra)
                for d in decisions
            ]
            await self.save(code, community.head, events, step)
            changed += 1
        return Reevaluation(pack.ref, len(codes) - ended, changed)

    async def pack_for(self, division_code: str) -> PolicyPack:
        """The pack a decision on this division uses now (see `published_pack`)."""
        pack, _ = await self.published_pack(self.policies.region_of(division_code))
        return pack

    async def published_pack(self, region: str) -> tuple[PolicyPack, Envelope | None]:
        """The pack a decision in `region` uses now, read from the log at decision time: the
        latest published version in force, never a file that is merely present; with its
        publication (None: the region's baseline, before its first publication)."""
        publications = await self.pipeline.load(domain.policy_stream_id(region))
        by_version = {str(e.payload["version"]): e for e in publications}
        published = {v: str(e.payload["content_sha256"]) for v, e in by_version.items()}
        pack = self.policies.deciding(region, published)
        if pack is None:
            raise PackVersionChanged(
                f"no published pack version of {region} is in force with the content it was"
                " published with: restore the published files, or publish a new version"
            )
        return pack, by_version.get(pack.version)

    @refusing_invalid_values
    async def establish_residents_committee(
        self, code: str, committee_name: str, expected_version: int | None, ctx: CommandContext
    ) -> list[Envelope]:
        community = await self.load_at(code, expected_version, ctx)
        if isinstance(community, list):
            return community
        registered, indicators = community.registered, community.indicators
        assert registered is not None and indicators is not None
        if not domain.has_residents_committee(registered.major_type):
            raise ValidationFailed(
                "an industrial community has no residents' committee (seed 000 §二(一)1)",
                errors=[FieldProblem("code", "industrial community")],
            )
        if community.has_residents_committee:
            raise CommitteeExists(f"community {code} already has a residents' committee")
        event = domain.ResidentsCommitteeEstablished(code=code, committee_name=committee_name)
        pack = await self.pack_for(registered.division_code)
        findings = community_findings(pack, registered, indicators, True, community.open_findings)
        name = "EstablishResidentsCommittee"
        events = [self.new_event(event, name, code, ctx)] + [
            self.new_event(f, name, code, ctx, pack) for f in findings
        ]
        return await self.save(code, community.head, events, ctx)

    async def load_at(
        self, code: str, expected_version: int | None, ctx: CommandContext
    ) -> domain.Community | list[Envelope]:
        """The community, checked against the version the client read (If-Match).

        On a mismatch, a retry of a command already recorded gets its events back (a list);
        any other command gets a ConcurrencyConflict.
        """
        community = await self.load(code)
        if community.status == "converted":
            raise CommunityEnded(
                f"community {code} was converted into {community.successor}: act on that one"
            )
        stream = domain.stream_id(code)
        if replay := await self.pipeline.check_expected(
            stream, expected_version, community.head, ctx
        ):
            return replay
        return community

    async def load_case(self, stream: str, case: CaseT, what: str) -> tuple[list[Envelope], CaseT]:
        """A workflow case (establishment, conversion) as its stream left it."""
        envelopes = await self.pipeline.load(stream)
        if not envelopes:
            raise NotFound(f"no {what}")
        for e in envelopes:
            case.apply(self.catalog.decode(e))
        return envelopes, case

    async def load(self, code: str) -> domain.Community:
        envelopes = await self.pipeline.load(domain.stream_id(code))
        if not envelopes:
            raise NotFound(f"no community with code {code}")
        return domain.Community.from_history(code, [(e, self.catalog.decode(e)) for e in envelopes])

    def new_event(
        self,
        event: DomainEvent,
        command: str,
        code: str,
        ctx: CommandContext,
        pack: PolicyPack | None = None,
        **extra: str,
    ) -> NewEvent:
        """An event on community `code`'s stream (or a case named by it), recorded by `command`."""
        return self.pipeline.new_event(
            event, command, ctx, subject=code, division_code=code[:12],
            policy_pack=pack.ref if pack else None, **extra,
        )  # fmt: skip

    async def save(
        self, code: str, expected: StreamPosition, events: list[NewEvent], ctx: CommandContext
    ) -> list[Envelope]:
        return await self.pipeline.save(ctx, Change(domain.stream_id(code), expected, events))


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


def community_findings(
    pack: PolicyPack,
    registered: domain.CommunityRegistered,
    indicators: domain.Indicators,
    has_residents_committee: bool,
    open_findings: dict[tuple[str, str | None], str],
) -> list[DomainEvent]:
    """Findings on the community itself (subject None): raise the new, resolve the cleared."""
    values = indicators.as_decimals()
    broken = breaches(pack, registered.major_type, values, has_residents_committee)
    return finding_events(
        registered.code, pack, broken, open_findings, {None},
        lambda indicator, _: values.get(indicator, Decimal(0)),
    )  # fmt: skip
