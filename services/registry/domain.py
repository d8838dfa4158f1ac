"""Registry domain: community events, the Community aggregate and the registration rules.

Pure: no I/O. Rules return field-level problems rather than raising, so a caller sees every
reason at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, Field

from services.registry.conversion import CommunityConverted
from services.registry.grids import GRID_EVENT_TYPES, GridMap
from shared.errors import FieldProblem, StreamPosition
from shared.eventstore import DomainEvent, Envelope
from shared.eventstore.store import head_of
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
    is_digits,
)

# GB/T 2260 province-level prefixes: the first two digits of every county code.
PROVINCE_PREFIXES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 "
    "61 62 63 64 65 71 81 82".split()
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

    code: str


class SizeFindingRaised(DomainEvent):
    """The community breaks a size rule: an alert with the rule and the figures."""

    event_type = "SizeFindingRaised"
    schema_version = 1

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


class PolicyPackPublished(DomainEvent):
    """A policy pack version was put in force for its region (stream `policy-<region>`).

    Nothing is re-scored by this alone: re-evaluation is a separate, recorded command.
    """

    event_type = "PolicyPackPublished"
    schema_version = 1

    region: str
    version: str
    effective_from: str
    name: str
    content_sha256: str = Field(description="SHA-256 of the pack as published")


def policy_stream_id(region: str) -> str:
    return f"policy-{region}"


EVENT_TYPES: tuple[type[DomainEvent], ...] = (
    CommunityRegistered,
    CommunityIndicatorsUpdated,
    CommunityTierAssigned,
    SizeFindingRaised,
    SizeFindingResolved,
    ResidentsCommitteeEstablished,
    CommunityActivated,
    PolicyPackPublished,
    *GRID_EVENT_TYPES,
)


def stream_id(code: str) -> str:
    return f"community-{code}"


@cache
def catalogue() -> dict[str, Any]:
    """Types and subtypes (policy data, see catalogue.json)."""
    text = (resources.files("services.registry") / "catalogue.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@dataclass
class Community:
    """A community as its events left it."""

    code: str
    head: StreamPosition = field(default_factory=StreamPosition)
    registered: CommunityRegistered | None = None
    indicators: Indicators | None = None
    tier: str | None = None
    tier_decision: CommunityTierAssigned | None = None
    has_residents_committee: bool = False
    status: str = "active"  # approved (not yet registered), active, or converted (ended)
    successor: str | None = None
    # Open size findings: (rule, subject) → indicator.
    open_findings: dict[tuple[str, str | None], str] = field(default_factory=dict)
    grids: GridMap = field(default_factory=GridMap)

    @classmethod
    def from_history(cls, code: str, events: list[tuple[Envelope, DomainEvent]]) -> Community:
        community = cls(code)
        for _, event in events:
            community.apply(event)
        community.head = head_of([envelope for envelope, _ in events])
        return community

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, CommunityRegistered):
            self.registered = event
            self.indicators = event.indicators()
            self.has_residents_committee = event.has_residents_committee
            self.status = event.status
        elif isinstance(event, CommunityActivated):
            self.status = "active"
        elif isinstance(event, CommunityConverted):
            self.status, self.successor = "converted", event.successor_code
        elif isinstance(event, CommunityIndicatorsUpdated):
            self.indicators = event.indicators()
        elif isinstance(event, CommunityTierAssigned):
            self.tier, self.tier_decision = event.tier, event
        elif isinstance(event, SizeFindingRaised):
            self.open_findings[(event.rule, event.subject)] = event.indicator
        elif isinstance(event, SizeFindingResolved):
            self.open_findings.pop((event.rule, event.subject), None)
        elif isinstance(event, ResidentsCommitteeEstablished):
            self.has_residents_committee = True
        elif event.event_type in _GRID_EVENTS:
            self.grids.apply(event)

    def figure(self, indicator: str, subject: str | None) -> Decimal:
        """An indicator's value now, for the community (subject None) or one of its grids."""
        if subject is None:
            return (
                self.indicators.as_decimals().get(indicator, Decimal(0))
                if self.indicators
                else Decimal(0)
            )
        for grid in self.grids.grids.values():
            if grid.spec.grid == subject:
                return (
                    Decimal(getattr(grid.spec.figures, indicator, 0)) if grid.active else Decimal(0)
                )
            if subject in grid.micro_grids:
                return Decimal(getattr(grid.micro_grids[subject], indicator, 0))
        return Decimal(0)


_GRID_EVENTS = frozenset(t.event_type for t in GRID_EVENT_TYPES)


def check_registration(
    *,
    name: str,
    division_code: str,
    major_type: str,
    subtype: str,
    area_contiguous: bool = True,
    holds_trust_areas: bool = False,
) -> list[FieldProblem]:
    """Every reason a registration is refused (empty: it may proceed)."""
    problems = check_division_code(division_code)
    problems += check_contiguity(major_type, area_contiguous, holds_trust_areas)
    cat = catalogue()
    if major_type not in cat["major_types"]:
        known = ", ".join(cat["major_types"])
        problems.append(FieldProblem("major_type", f"unknown major type; one of: {known}"))
    spec = cat["subtypes"].get(subtype)
    if spec is None:
        known = "、".join(cat["subtypes"])
        problems.append(FieldProblem("subtype", f"unknown subtype; one of: {known}"))
    elif spec["major_type"] != major_type:
        problems.append(
            FieldProblem("subtype", f"{subtype} belongs to major type {spec['major_type']}")
        )
    elif spec.get("name_suffix") and not name.endswith(spec["name_suffix"]):
        problems.append(
            FieldProblem(
                "name",
                f"an industrial community of subtype {subtype} must be named"
                f" 'XX{spec['name_suffix']}' (seed 000 §二(一)2)",
            )
        )
    return problems


def check_contiguity(
    major_type: str, area_contiguous: bool, holds_trust_areas: bool
) -> list[FieldProblem]:
    """An industrial community's own area adjoins (原则上不得由不接壤的区域组成); a part that
    does not may only be held in trust (可暂为托管), seed 000 §二(一)2. The seeds set no such
    rule for urban and rural communities, so trust areas are an industrial matter only."""
    if major_type == "industrial" and not area_contiguous:
        return [
            FieldProblem(
                "area_contiguous",
                "an industrial community may not be made of areas that do not adjoin"
                " (seed 000 §二(一)2): register the contiguous area and list a part that does"
                " not adjoin under trust_areas (暂为托管)",
            )
        ]
    if major_type in {"urban", "rural"} and holds_trust_areas:
        return [
            FieldProblem(
                "trust_areas",
                "holding a non-adjoining area in trust (托管) applies to industrial communities"
                " (seed 000 §二(一)2)",
            )
        ]
    return []


def check_division_code(division_code: str) -> list[FieldProblem]:
    if not is_digits(division_code, 12):
        return [FieldProblem("division_code", "must be the 12-digit statistical division code")]
    problems = []
    if division_code[:2] not in PROVINCE_PREFIXES:
        problems.append(
            FieldProblem("division_code", f"{division_code[:2]} is not a GB/T 2260 province code")
        )
    if division_code[6:9] == "000":
        problems.append(FieldProblem("division_code", "digits 7-9 (town/street) must not be 000"))
    if division_code[9:12] == "000":
        problems.append(
            FieldProblem("division_code", "digits 10-12 (village-level unit) must not be 000")
        )
    return problems


def service_centre_name(name: str, subtype: str) -> str | None:
    """ "XX工业社区(党群)服务中心" for industrial subtypes (seed 000 §二(一)2)."""
    spec = catalogue()["subtypes"].get(subtype, {})
    suffix, centre = spec.get("name_suffix"), spec.get("service_centre_suffix")
    if not suffix or not centre:
        return None
    return name[: -len(suffix)] + centre


def has_residents_committee(major_type: str) -> bool:
    """An industrial community has no residents' committee (seed 000 §二(一)1)."""
    return bool(catalogue()["major_types"][major_type]["has_residents_committee"])
