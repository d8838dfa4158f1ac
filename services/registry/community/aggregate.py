"""The Community aggregate: a community as its events left it (grids included). Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from services.registry.community.events import (
    CommunityActivated,
    CommunityIndicatorsUpdated,
    CommunityRegistered,
    CommunityTierAssigned,
    Indicators,
    PartyOrganisationRecorded,
    ResidentsCommitteeEstablished,
    SizeFindingRaised,
    SizeFindingResolved,
)
from services.registry.conversion.events import CommunityConverted
from services.registry.grids.events import GRID_EVENT_TYPES
from services.registry.grids.grid_map import GridMap
from shared.errors import StreamPosition
from shared.eventstore import DomainEvent, Envelope
from shared.eventstore.store import head_of


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
    party: PartyOrganisationRecorded | None = None  # its party organisation, once recorded

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
        elif isinstance(event, PartyOrganisationRecorded):
            self.party = event
        elif event.event_type in _GRID_EVENTS:
            self.grids.apply(event)

    @property
    def division_code(self) -> str:
        assert self.registered is not None, "a loaded community is registered"
        return self.registered.division_code

    @property
    def registered_type(self) -> str:
        """The major type it was registered with (urban, rural, industrial)."""
        assert self.registered is not None, "a loaded community is registered"
        return self.registered.major_type

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
