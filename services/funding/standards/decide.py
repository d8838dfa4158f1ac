"""Budget-line decisions: pure. Funding's new view of a community (from a registry event), its
state and the pack in → the events to append (none when nothing changed for funding)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from services.funding.standards.events import (
    BudgetLineSet,
    CommunityFacts,
    FundingCommunityObserved,
    MatterFundingStopped,
)
from services.funding.standards.packs import FundingPack
from services.funding.standards.rules import budget_lines
from shared.eventstore import DomainEvent
from shared.registry_view import followed_types, view_after
from shared.values import BEIJING


def budget_year(moment: datetime) -> int:
    """The budget year a moment falls in: the calendar year in Beijing."""
    return moment.astimezone(BEIJING).year


@dataclass
class CommunityFunding:
    """A community's stream in funding's log, folded."""

    facts: CommunityFacts | None = None
    lines: dict[tuple[int, str], BudgetLineSet] = field(default_factory=dict)  # (year, line)
    stopped: dict[str, int] = field(default_factory=dict)  # a matter's line → from which year

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, FundingCommunityObserved):
            fields = event.model_dump(include=set(CommunityFacts.model_fields))
            self.facts = CommunityFacts(**fields)
        elif isinstance(event, BudgetLineSet):
            self.lines[(event.year, event.line)] = event
        elif isinstance(event, MatterFundingStopped):
            self.stopped[event.line] = event.stops_from_year

    def lines_of(self, year: int) -> list[BudgetLineSet]:
        return [e for (y, _), e in sorted(self.lines.items()) if y == year]


def decide(
    facts: CommunityFacts, state: CommunityFunding, pack: FundingPack | None, year: int
) -> list[DomainEvent]:
    """The view if it changed, and a BudgetLineSet for each line of `year` whose amount or
    deciding pack differs from the last one recorded."""
    events: list[DomainEvent] = []
    if facts != state.facts:
        events.append(FundingCommunityObserved(**facts.model_dump()))
    if pack is None:
        return events
    for decision in budget_lines(facts, year, pack):
        last = state.lines.get((year, decision.line))
        if last is not None and (last.amount_fen, last.policy_version) == (
            decision.amount_fen, pack.version,
        ):  # fmt: skip
            continue
        line = BudgetLineSet(
            code=facts.code, division_code=facts.division_code, year=year,
            line=decision.line, name=decision.name, amount_fen=decision.amount_fen,
            previous_fen=last.amount_fen if last else None, payers=decision.payers,
            rule=decision.rule, source=decision.source, inputs=decision.inputs,
            policy_region=pack.region, policy_version=pack.version,
            deadlines=decision.deadlines,
        )  # fmt: skip
        events.append(line)
    return events


# The registry events funding's view follows, and the fields each one sets.
_FOLLOWED = {
    "CommunityRegistered": (
        "division_code", "major_type", "status", "households", "residents", "employed_population",
    ),
    "CommunityIndicatorsUpdated": ("households", "residents", "employed_population"),
    "PartyOrganisationRecorded": ("party_organisation", "party_members"),
}  # fmt: skip
# Recorded before the registry counted the employed population (an indicator added later).
_MISSING = {"employed_population": 0}


def observed(
    event_type: str, data: dict[str, object], previous: CommunityFacts | None
) -> CommunityFacts | None:
    """Funding's view after a registry event; None when the event says nothing funding follows
    or concerns a community funding has not seen registered. Raises pydantic's
    ValidationError on data that is not what the registry publishes."""
    before = previous.model_dump() if previous else None
    fields = view_after(event_type, data, before, _FOLLOWED, missing=_MISSING)
    return None if fields is None else CommunityFacts.model_validate(fields)


FOLLOWED_TYPES = followed_types(_FOLLOWED)
