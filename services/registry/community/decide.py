"""Community decisions: a command, the community's state and the policy pack in force give the
events to record, or every reason to refuse. Pure: no I/O (the handlers load and save).

Each decision records its inputs, pack and rule (ARCHITECTURE rule 5): a tier decision only
when the tier or the pack version deciding it changes, size findings only as they open or close.
"""

from __future__ import annotations

from decimal import Decimal

from services.registry.community.aggregate import Community
from services.registry.community.commands import (
    CommitteeExists,
    EstablishResidentsCommittee,
    RecordPartyOrganisation,
    RegisterCommunity,
    UpdateCommunityIndicators,
)
from services.registry.community.events import (
    CommunityIndicatorsUpdated,
    CommunityRegistered,
    CommunityTierAssigned,
    Indicators,
    PartyOrganisationRecorded,
    ResidentsCommitteeEstablished,
)
from services.registry.community.findings import breaches, finding_events
from services.registry.community.rules import (
    check_registration,
    has_residents_committee,
    service_centre_name,
)
from services.registry.community.tiers import decide_tier
from services.registry.policy.packs import PolicyPack
from shared.errors import FieldProblem
from shared.eventstore import DomainEvent
from shared.pipeline import Refused


def registration_problems(cmd: RegisterCommunity) -> list[FieldProblem]:
    """Every reason the registration is refused, whatever the pack (empty: it may proceed)."""
    problems = check_registration(
        name=cmd.name,
        division_code=cmd.division_code,
        major_type=cmd.major_type,
        subtype=cmd.subtype,
        area_contiguous=cmd.area_contiguous,
        holds_trust_areas=bool(cmd.trust_areas),
    )
    if not problems and cmd.has_residents_committee and not has_residents_committee(cmd.major_type):
        problems.append(
            FieldProblem(
                "has_residents_committee",
                "an industrial community has no residents' committee (seed 000 §二(一)1)",
            )
        )
    return problems


def register(
    cmd: RegisterCommunity,
    code: str,
    pack: PolicyPack,
    *,
    status: str = "active",
    establishment: str | None = None,
    predecessor: str | None = None,
    committee_name: str | None = None,
) -> list[DomainEvent]:
    """The registration of a community `registration_problems` accepted, with its tier and
    size findings under `pack`."""
    committee = (
        has_residents_committee(cmd.major_type)
        if cmd.has_residents_committee is None
        else cmd.has_residents_committee
    )
    registered = CommunityRegistered(
        code=code,
        name=cmd.name,
        division_code=cmd.division_code,
        major_type=cmd.major_type,
        subtype=cmd.subtype,
        has_residents_committee=committee,
        service_centre_name=service_centre_name(cmd.name, cmd.subtype),
        region=pack.region,
        status=status,
        establishment=establishment,
        predecessor=predecessor,
        committee_name=committee_name,
        trust_areas=list(cmd.trust_areas),
        **cmd.indicators.model_dump(),
    )
    indicators = registered.indicators()
    return [
        registered,
        tier_assignment(pack, registered, indicators, previous=None),
        *community_findings(pack, registered, indicators, committee, {}),
    ]


def update_indicators(
    cmd: UpdateCommunityIndicators, community: Community, pack: PolicyPack
) -> list[DomainEvent]:
    """New indicators, and the tier decision and findings they change."""
    registered = community.registered
    assert registered is not None
    updated = CommunityIndicatorsUpdated(code=cmd.code, **cmd.indicators.model_dump())
    tier = tier_assignment(pack, registered, updated.indicators(), previous=community.tier)
    events: list[DomainEvent] = [updated]
    if tier.tier != community.tier:  # a decision is recorded only when the tier changes
        events.append(tier)
    events += community_findings(
        pack, registered, updated.indicators(), community.has_residents_committee,
        community.open_findings,
    )  # fmt: skip
    return events


def establish_committee(
    cmd: EstablishResidentsCommittee, community: Community, pack: PolicyPack
) -> list[DomainEvent] | Refused:
    """A residents' committee set up, and the findings it resolves; never for an industrial
    community (seed 000 §二(一)1), and once."""
    registered, indicators = community.registered, community.indicators
    assert registered is not None and indicators is not None
    if not has_residents_committee(registered.major_type):
        return Refused(
            "an industrial community has no residents' committee (seed 000 §二(一)1)",
            [FieldProblem("code", "industrial community")],
        )
    if community.has_residents_committee:
        raise CommitteeExists(f"community {cmd.code} already has a residents' committee")
    established = ResidentsCommitteeEstablished(code=cmd.code, committee_name=cmd.committee_name)
    findings = community_findings(pack, registered, indicators, True, community.open_findings)
    return [established, *findings]


def record_party_organisation(
    cmd: RecordPartyOrganisation, community: Community
) -> list[DomainEvent]:
    """The party organisation as recorded now; nothing when it is what the community already
    has (a repeated recording changes nothing)."""
    recorded = PartyOrganisationRecorded(
        code=cmd.code, party_organisation=cmd.party_organisation, party_members=cmd.party_members
    )
    return [] if recorded == community.party else [recorded]


def reevaluate(community: Community, pack: PolicyPack) -> list[DomainEvent]:
    """The community re-decided under `pack`: a tier decision when its tier or the pack
    version of its current decision differs, findings as they open or close ([]: nothing
    changes, so a second run under one version appends nothing)."""
    registered, indicators = community.registered, community.indicators
    assert registered is not None and indicators is not None
    tier = tier_assignment(pack, registered, indicators, previous=community.tier)
    now = community.tier_decision
    same = now is not None and (now.tier, now.policy_region, now.policy_version) == (
        tier.tier, pack.region, pack.version,
    )  # fmt: skip
    events: list[DomainEvent] = [] if same else [tier]
    events += community_findings(
        pack, registered, indicators, community.has_residents_committee, community.open_findings
    )
    return events


def tier_assignment(
    pack: PolicyPack,
    registered: CommunityRegistered,
    indicators: Indicators,
    previous: str | None,
) -> CommunityTierAssigned:
    decision = decide_tier(pack, registered.major_type, indicators.as_decimals())
    return CommunityTierAssigned(
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
    registered: CommunityRegistered,
    indicators: Indicators,
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
