"""Community commands (imperative, each with its stable name) and the conflicts they meet."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from services.registry.community.events import (
    Indicators,
    PartyOrganisation,
    TrustArea,
)
from shared.errors import (
    Conflict,
)


@dataclass(frozen=True)
class RegisterCommunity:
    command_type: ClassVar[str] = "RegisterCommunity"  # stable: the metadata's `command`
    name: str
    division_code: str
    major_type: str
    subtype: str
    indicators: Indicators
    # None: as the major type says (urban and rural yes, industrial never). An urban community
    # may start without one, e.g. a new residential area before 50% occupancy.
    has_residents_committee: bool | None = None
    # Industrial communities (seed 000 §二(一)2): the own area adjoins; other parts are held
    # in trust.
    area_contiguous: bool = True
    trust_areas: tuple[TrustArea, ...] = ()


@dataclass(frozen=True)
class UpdateCommunityIndicators:
    command_type: ClassVar[str] = "UpdateCommunityIndicators"  # stable: the metadata's `command`
    code: str
    expected_version: int | None
    indicators: Indicators


@dataclass(frozen=True)
class EstablishResidentsCommittee:
    command_type: ClassVar[str] = "EstablishResidentsCommittee"  # stable: the metadata's `command`
    code: str
    committee_name: str
    expected_version: int | None = None


@dataclass(frozen=True)
class RecordPartyOrganisation:
    command_type: ClassVar[str] = "RecordPartyOrganisation"  # stable: the metadata's `command`
    code: str
    party_organisation: PartyOrganisation
    party_members: int
    expected_version: int | None = None


class AlreadyRegistered(Conflict):
    slug = "already-registered"
    title = "This community is already registered"


class CommunityEnded(Conflict):
    slug = "community-ended"
    title = "The community has ended (converted into a successor)"


class CommitteeExists(Conflict):
    slug = "residents-committee-exists"
    title = "The community already has a residents' committee"
