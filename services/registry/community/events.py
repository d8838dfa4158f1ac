"""Community events: what happened to a community, on its stream `community-<code>`."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from shared.eventstore import DomainEvent
from shared.values import (
    AreaKm2,
    Certificate,
    CommunityCode,
    Count,
    DivisionCode,
    Label,
    Name,
    Note,
    Record,
    Share,
)


class Indicators(Record):
    """What a community's tier is scored on (seed 004 §一; industrial: seed 000 §二(一)5).

    Events that carry indicators inherit these fields. Fields added after version 1 of the
    events have defaults, so old events stay valid.
    """

    households: Count
    residents: Count
    area_km2: AreaKm2
    floating_population: Count = 0
    employed_population: Count = 0
    business_entities: Count = 0
    on_site_share: Share = Decimal(0)  # 职住一体占比, 0..1
    occupancy_share: Share = Decimal(0)  # 入住率 of a new residential area, 0..1

    def indicators(self) -> Indicators:
        return Indicators.model_validate(self.model_dump(include=set(Indicators.model_fields)))

    def as_decimals(self) -> dict[str, Decimal]:
        return {k: Decimal(v) for k, v in self.indicators().model_dump().items()}


class TrustArea(Record):
    """A part that does not adjoin an industrial community, held in its trust for now (暂为托管,
    seed 000 §二(一)2): recorded with the community, not counted in its own area."""

    name: Name
    area_km2: AreaKm2
    reason: Note = Field(min_length=2, max_length=500, description="确有需要: why it is held")


class CommunityRegistered(Indicators, DomainEvent):
    """A community was registered and its 17-digit code issued."""

    event_type = "CommunityRegistered"
    schema_version = 1

    code: CommunityCode
    name: Name
    division_code: DivisionCode
    major_type: str
    subtype: Label
    has_residents_committee: bool
    service_centre_name: str | None
    region: str | None = None  # the policy region the community belongs to
    # "approved": an industrial community approved by the district (code issued), active only
    # once registered as a 民办非企业单位 (seed 000 §二(一)4). Existing communities: "active".
    status: str = "active"
    establishment: str | None = Field(default=None, description="The proposal it came from")
    predecessor: str | None = Field(default=None, description="撤村建居: the village's code")
    committee_name: Name | None = Field(default=None, description="居民委员会 / 村民委员会")
    trust_areas: list[TrustArea] = Field(default_factory=list, description="托管 (industrial)")


class CommunityIndicatorsUpdated(Indicators, DomainEvent):
    """A community's indicators changed."""

    event_type = "CommunityIndicatorsUpdated"
    schema_version = 1

    code: str


class TierDecisionFields(BaseModel):
    """What a tier decision records; the event and the explain view both carry these."""

    tier: str
    previous_tier: str | None
    score: Decimal
    policy_region: str
    policy_version: str
    inputs: dict[str, str]
    contributions: dict[str, str]
    rule: str


class CommunityTierAssigned(TierDecisionFields, DomainEvent):
    """The community's scale tier was decided (or changed): a decision with its reasons."""

    event_type = "CommunityTierAssigned"
    schema_version = 1
    is_decision = True

    code: str


class SizeFindingRaised(DomainEvent):
    """The community breaks a size rule: an alert with the rule and the figures."""

    event_type = "SizeFindingRaised"
    schema_version = 1
    is_decision = True

    code: str
    rule: str
    subject: str | None = Field(
        default=None, description="A grid code or micro-grid id; null: the community itself."
    )
    indicator: str
    value: Decimal
    limit: str  # e.g. "households 6400 > 6000"
    policy_region: str
    policy_version: str
    source: str


class SizeFindingResolved(DomainEvent):
    """The community no longer breaks the rule."""

    event_type = "SizeFindingResolved"
    schema_version = 1
    is_decision = True

    code: str
    rule: str
    subject: str | None = None
    indicator: str
    value: Decimal
    policy_region: str
    policy_version: str


class CommunityActivated(DomainEvent):
    """An approved industrial community was registered (登记注册) and is now active."""

    event_type = "CommunityActivated"
    schema_version = 1

    code: str
    certificate_number: Certificate = Field(description="民办非企业单位 registration certificate")
    establishment: str


class ResidentsCommitteeEstablished(DomainEvent):
    """A residents' committee was set up (e.g. a new residential area reached 50% occupancy)."""

    event_type = "ResidentsCommitteeEstablished"
    schema_version = 1

    code: CommunityCode
    committee_name: Name


# A community party organisation by its form (seed 000 §二(三)1, §二(五)1): 党委 (a party
# committee), 总支 (a general branch) or 支部 (a branch).
PartyOrganisation = Literal["党委", "总支", "支部"]


class PartyOrganisationRecorded(DomainEvent):
    """The community's party organisation and how many party members it has, as recorded now
    (the funding service's party organisation and member activity lines, seed 000 §二(五)1)."""

    event_type = "PartyOrganisationRecorded"
    schema_version = 1

    code: CommunityCode
    party_organisation: PartyOrganisation
    party_members: Count


def community_stream(code: str) -> str:
    return f"community-{code}"


COMMUNITY_EVENT_TYPES: tuple[type[DomainEvent], ...] = (
    CommunityRegistered,
    CommunityIndicatorsUpdated,
    CommunityTierAssigned,
    SizeFindingRaised,
    SizeFindingResolved,
    ResidentsCommitteeEstablished,
    CommunityActivated,
    PartyOrganisationRecorded,
)
