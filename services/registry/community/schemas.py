"""HTTP bodies of the community routes (the gateway publishes the same)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.registry.community.events import PartyOrganisation, TierDecisionFields, TrustArea
from services.registry.grids.schemas import GridView
from shared.values import (
    AreaKm2,
    CommunityCode,
    Count,
    DivisionCode,
    Flag,
    Label,
    Name,
    Share,
)

EXAMPLE_REGISTRATION = {
    "name": "庄市街道勤勇社区",
    "division_code": "330211004001",
    "major_type": "urban",
    "subtype": "老城区社区",
    "households": 2860,
    "residents": 7420,
    "area_km2": "1.35",
}


class IndicatorsInput(BaseModel):
    """A community's indicators as a district system sends them."""

    model_config = ConfigDict(extra="forbid")

    households: Count
    residents: Count
    area_km2: AreaKm2 = Field(examples=["1.25"])
    floating_population: Count = 0
    employed_population: Count = Field(default=0, description="Industrial communities.")
    business_entities: Count = Field(default=0, description="Industrial communities.")
    on_site_share: Share = Field(default=Decimal(0), description="职住一体占比 (industrial).")
    occupancy_share: Share = Field(
        default=Decimal(0), description="入住率 of a new residential area (seeds 001, 002 §二(三))."
    )


INDICATOR_FIELDS = frozenset(IndicatorsInput.model_fields)


class BoundaryInput(BaseModel):
    """An industrial community's area adjoins; a part that does not is held in trust (托管)."""

    area_contiguous: Flag = Field(
        default=True,
        description="false refuses an industrial community (seed 000 §二(一)2): list a part"
        " that does not adjoin under trust_areas instead",
    )
    trust_areas: list[TrustArea] = Field(
        default=[], max_length=20, description="Parts held in trust (暂为托管), industrial only"
    )


class RegisterCommunityRequest(IndicatorsInput, BoundaryInput):
    """Register an existing community; the platform issues its 17-digit code."""

    name: Name = Field(examples=["庄市街道勤勇社区"])
    division_code: DivisionCode
    major_type: Literal["urban", "rural", "industrial"]
    subtype: Label = Field(examples=["老城区社区"])
    has_residents_committee: Flag | None = Field(
        default=None,
        description="Omit: as the type says. false: an urban community whose residents'"
        " committee is not set up yet (a new residential area before 50% occupancy).",
    )


class UpdateIndicatorsRequest(IndicatorsInput):
    """The community's indicators, all of them (a replacement, not a patch of single fields)."""


class EstablishCommitteeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    committee_name: Name = Field(examples=["勤勇社区居民委员会"])


class PartyOrganisationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    party_organisation: PartyOrganisation = Field(
        description="党委, 总支 or 支部: the form of the community's party organisation"
    )
    party_members: Count = Field(description="Its party members now", examples=[86])


class CommunityView(BaseModel):
    code: CommunityCode
    name: str
    division_code: DivisionCode
    major_type: str
    subtype: str
    has_residents_committee: bool
    service_centre_name: str | None
    households: int
    residents: int
    area_km2: Decimal
    floating_population: int = 0
    employed_population: int = 0
    business_entities: int = 0
    on_site_share: Decimal = Decimal(0)
    occupancy_share: Decimal = Decimal(0)
    status: str = Field(
        default="active",
        description="active, or approved (an industrial community not yet registered)",
    )
    establishment: str | None = Field(default=None, description="The proposal it came from")
    predecessor: str | None = Field(default=None, description="撤村建居: the village it was")
    successor: str | None = Field(default=None, description="撤村建居: what it became")
    committee_name: str | None = None
    trust_areas: list[TrustArea] = Field(default=[], description="Parts held in trust (托管)")
    party_organisation: str | None = Field(default=None, description="党委, 总支 or 支部")
    party_members: int = 0
    region: str | None = None
    tier: str | None = Field(default=None, description="一般, 较大 or 特大; see /explain")
    tier_score: Decimal | None = None
    policy_version: str | None = None
    version: int
    registered_at: datetime
    updated_at: datetime


class CommunitySnapshot(CommunityView):
    """A community as it was at a moment (`as_of`), rebuilt from its events, grids included."""

    grids: list[GridView]


class CommandAccepted(BaseModel):
    """The command's events were recorded, but the read model had not caught up yet."""

    code: CommunityCode
    version: int


class TierDecisionView(TierDecisionFields):
    """One recorded tier decision: the inputs, the policy pack and the rule that fired."""

    decided_at: datetime
    event_id: str
    stream_version: int


class Explanation(BaseModel):
    code: CommunityCode
    tier: str
    current: TierDecisionView
    history: list[TierDecisionView] = Field(description="Every tier decision, oldest first.")


class SizeFindingView(BaseModel):
    rule: str
    subject: str | None = Field(
        default=None, description="The grid or micro-grid it concerns; null: the community."
    )
    indicator: str
    value: Decimal
    limit: str
    source: str
    policy_region: str
    policy_version: str
    raised_at: datetime
    resolved_at: datetime | None


class SizeFindings(BaseModel):
    code: CommunityCode
    open: list[SizeFindingView]
    resolved: list[SizeFindingView]


class HistoryEntry(BaseModel):
    """One event of a community's stream, for lineage and audit."""

    stream_version: int
    event_type: str
    schema_version: int
    event_id: str
    recorded_at: datetime
    actor: str | None
    actor_kind: str | None
    correlation_id: str | None
    policy_pack: str | None = Field(description="region@version, where a rule decided")
    hash: str
    chain_ok: bool = Field(description="The event's hash and its link to the previous hold.")
    chain_problems: list[str]


class CommunityHistory(BaseModel):
    code: CommunityCode
    events: list[HistoryEntry]


class CommunityPage(BaseModel):
    items: list[CommunityView]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )
