"""The registry's HTTP contract: request and response bodies (the gateway publishes the same)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.registry.domain import TierDecisionFields, TrustArea
from services.registry.establishment import StepName
from services.registry.grids import GridFigures, GridKind, MicroGridKind
from shared.values import (
    Area,
    AreaKm2,
    Certificate,
    CommunityCode,
    Count,
    DivisionCode,
    Flag,
    Label,
    Name,
    Note,
    Share,
)
from shared.workflow import Document

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
    region: str | None = None
    tier: str | None = Field(default=None, description="一般, 较大 or 特大; see /explain")
    tier_score: Decimal | None = None
    policy_version: str | None = None
    version: int
    registered_at: datetime
    updated_at: datetime


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


class PolicyPackSummary(BaseModel):
    """A policy pack version as shipped, whether it is in force, and its publication."""

    region: str
    version: str
    name: str
    effective_from: date
    in_force: bool = Field(description="The version its region's decisions use today")
    content_sha256: str = Field(
        description="SHA-256 of the pack's canonical JSON (keys sorted, no spaces, UTF-8)"
    )
    published_at: datetime | None = Field(
        default=None, description="When PolicyPackPublished recorded it; null: not published"
    )
    published_sha256: str | None = Field(
        default=None, description="The content hash the publication recorded"
    )


class PolicyPackList(BaseModel):
    items: list[PolicyPackSummary]


class PolicyPackDocument(PolicyPackSummary):
    pack: dict[str, Any] = Field(description="The pack, every number with its seed source")


class CommandAccepted(BaseModel):
    """The command's events were recorded, but the read model had not caught up yet."""

    code: CommunityCode
    version: int


class MicroGridInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name = Field(examples=["勤勇小区1幢"])
    kind: MicroGridKind = Field(
        description="residential (50-80 households), enterprise 一企一格, park 一园一格,"
        " building 一楼一格"
    )
    households: Count = 0
    business_entities: Count = 0


class FiguresInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    households: Count = 0
    population: Count = 0
    area_km2: Area = Decimal(0)
    business_entities: Count = 0

    def figures(self) -> GridFigures:
        return GridFigures(**self.model_dump())


class CreateGridRequest(BaseModel):
    """A grid, with its micro-grids. Dedicated grids (专属网格): office_tower, market,
    demolition_site."""

    model_config = ConfigDict(extra="forbid")

    name: Name = Field(examples=["勤勇社区第一网格"])
    kind: GridKind
    figures: FiguresInput
    micro_grids: list[MicroGridInput] = Field(default=[], max_length=200)


class MicroGridResize(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Label
    households: Count
    business_entities: Count = 0


class ResizeGridRequest(BaseModel):
    """The grid's figures, all of them; optionally new figures for some of its micro-grids."""

    model_config = ConfigDict(extra="forbid")

    figures: FiguresInput
    micro_grids: list[MicroGridResize] = Field(default=[], max_length=200)


class MergeGridsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[CommunityCode] = Field(min_length=2, max_length=20)
    name: Name
    kind: GridKind | None = Field(default=None, description="Omit when the sources share one.")


class SplitPartInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    kind: GridKind
    figures: FiguresInput
    micro_grids: list[Label] = Field(
        default=[], max_length=200, description="Ids of the source's micro-grids."
    )


class SplitGridRequest(BaseModel):
    """The parts must divide the source exactly: figures add up, each micro-grid goes once."""

    model_config = ConfigDict(extra="forbid")

    parts: list[SplitPartInput] = Field(min_length=2, max_length=20)


class AssignToGridRequest(BaseModel):
    """Households, people or entities assigned to the grid: moved from `from_grid`, or new."""

    model_config = ConfigDict(extra="forbid")

    moved: FiguresInput
    from_grid: CommunityCode | None = None


class EstablishCommitteeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    committee_name: Name = Field(examples=["勤勇社区居民委员会"])


class MicroGridView(BaseModel):
    id: str
    name: str
    kind: str
    households: int
    business_entities: int


class GridView(BaseModel):
    grid: str = Field(description="17-digit grid code: the community's, serial 001-999")
    name: str
    kind: str
    dedicated: bool = Field(description="专属网格: office tower, market or demolition site")
    households: int
    population: int
    area_km2: Decimal
    business_entities: int
    active: bool
    closed_by: str | None = Field(description="GridsMerged or GridSplit, once closed")
    micro_grids: list[MicroGridView]


class CommunityGrids(BaseModel):
    code: CommunityCode
    grids: list[GridView] = Field(description="Active grids first, then closed ones.")


class CommunitySnapshot(CommunityView):
    """A community as it was at a moment (`as_of`), rebuilt from its events, grids included."""

    grids: list[GridView]


class ProposeEstablishmentRequest(IndicatorsInput, BoundaryInput):
    """方案申报: a town/street proposes an industrial community (seed 000 §二(一)4)."""

    name: Name = Field(examples=["澥浦工业社区"])
    subtype: Literal["工业社区", "楼宇社区"]
    division_code: DivisionCode = Field(
        description="An unused village-level number in the town, allocated to the community"
    )
    documents: list[Document] = Field(
        min_length=1, max_length=50, description="At least an info_sheet and a map"
    )
    actor_role: Label = Field(default="town", description="Who proposes: the town/street")


class EstablishmentStepRequest(BaseModel):
    """One step: its actor role, documents and outcome."""

    model_config = ConfigDict(extra="forbid")

    step: StepName
    actor_role: Label = Field(examples=["district_civil_affairs"])
    outcome: Label = Field(examples=["pass"])
    documents: list[Document] = Field(default=[], max_length=50)
    departments: list[Label] = Field(default=[], max_length=50, description="field_survey")
    note: Note = ""
    certificate_number: Certificate | None = Field(
        default=None, description="registration: 民办非企业单位 certificate"
    )


class EstablishmentView(BaseModel):
    proposal_id: str
    division_code: str
    name: str
    subtype: str
    status: str
    next_step: str | None = Field(description="The step the proposal waits for; null: ended")
    code: str | None = Field(description="Issued at approval")
    certificate_number: str | None
    steps: list[dict[str, Any]] = Field(description="Every step taken, oldest first")
    version: int
    proposed_at: datetime
    updated_at: datetime


class EstablishmentPage(BaseModel):
    items: list[EstablishmentView]
    next_cursor: str | None


class ProposeConversionRequest(BaseModel):
    """撤村建居 (seed 002 §三(一)): the town proposes converting a village community."""

    model_config = ConfigDict(extra="forbid")

    collective_assets_quantified: Flag = Field(
        description="集体经济组织 set up, 清产核资及股权量化 completed"
    )
    fully_demolished: Flag = Field(default=False, description="整村拆迁: must convert")
    documents: list[Document] = Field(min_length=1, max_length=50, description="conversion_plan")
    successor_name: Name | None = Field(default=None, description="Default: xx村 → xx社区")
    successor_subtype: Label = "城乡接合部社区"
    successor_division_code: DivisionCode | None = Field(
        default=None, description="Default: the village's division code"
    )
    actor_role: Label = "town"


class ConversionStepRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    step: Literal["consent", "civil_affairs_review", "approval", "filing"]
    actor_role: Label = Field(examples=["villagers_meeting"])
    outcome: Label = Field(examples=["consented"])
    documents: list[Document] = Field(default=[], max_length=50)
    note: Note = ""
    votes_for: Count | None = Field(default=None, description="consent: 户代表 in favour")
    votes_total: Count | None = Field(default=None, description="consent: votes cast")


class ConversionView(BaseModel):
    proposal_id: str
    code: str = Field(description="The village community")
    village_name: str
    successor_name: str
    status: str
    next_step: str | None
    successor_code: str | None = Field(description="Issued at approval")
    steps: list[dict[str, Any]]
    version: int
    proposed_at: datetime
    updated_at: datetime


class ConversionPage(BaseModel):
    items: list[ConversionView]
    next_cursor: str | None
