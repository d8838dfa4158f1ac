"""Funding's view of a community and its budget lines, on its stream `community-<code>` in
funding's own log."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import Field

from shared.eventstore import DomainEvent
from shared.values import CommunityCode, Count, DivisionCode, Label, Record


class CommunityFacts(Record):
    """What funding knows of a community, from the registry's topic: only what a standard
    uses (its type, and the indicators standards count), so a change of anything else appends
    nothing."""

    code: CommunityCode
    division_code: DivisionCode
    major_type: str
    status: str  # approved | active | ended
    # Counts as the registry bounds them: an event with a negative or absurd count is not one
    # the registry publishes, and is dead-lettered rather than priced.
    households: Count
    residents: Count
    employed_population: Count
    successor: str | None = None
    # Recorded on the registry apart from the indicators (PartyOrganisationRecorded).
    party_organisation: Label | None = None  # 党委 | 总支 | 支部; None: not recorded yet
    party_members: Count = 0


class FundingCommunityObserved(CommunityFacts, DomainEvent):
    """Funding's view of a community changed (caused by a registry event: its causation)."""

    event_type = "FundingCommunityObserved"
    schema_version = 1


class PayerShare(Record):
    payer: str
    share: int  # its part of the proportion
    fen: int  # its part of the amount


class BudgetLineSet(DomainEvent):
    """A budget line of a community for a budget year was decided, or decided again with
    another amount: the amount in fen, each payer's part, the inputs, the rule in words and the
    pack (in the metadata) that decided it."""

    event_type = "BudgetLineSet"
    schema_version = 1
    is_decision: ClassVar[bool] = True

    code: str
    division_code: str
    year: int
    line: str
    name: str
    amount_fen: int
    previous_fen: int | None
    payers: list[PayerShare]
    rule: str
    source: str
    inputs: dict[str, str]
    policy_region: str | None  # None: not a pack's standard (a matter's funding, 费随事转)
    policy_version: str | None
    # Payer → the day by which it disburses its part in full (Xixian, seed 002 §八(三)).
    deadlines: dict[str, date] = Field(default_factory=dict)


class MatterFundingStopped(DomainEvent):
    """准入退出: an admitted matter left the community's list; its line (费随事转) is set for no
    budget year from `stops_from_year` on (matters' `stops_from`, the next budget year)."""

    event_type = "MatterFundingStopped"
    schema_version = 1

    code: str
    division_code: str
    line: str
    matter_id: str
    stops_from_year: int
    reason: str


class BudgetYearRolledOver(DomainEvent):
    """A roll-over was run for a district (or the city) and a budget year: what it set."""

    event_type = "BudgetYearRolledOver"
    schema_version = 1

    division_prefix: str
    year: int
    communities: int
    communities_changed: int
    lines_set: int
    postings: int


class QualificationBonusHeld(DomainEvent):
    """A worker obtained a qualification while serving no community (the reserve pool): its
    bonus waits, on funding's stream `worker-<id>`, for the community the worker is assigned
    to (seed 002 §五(二) pays 社区工作人员)."""

    event_type = "QualificationBonusHeld"
    schema_version = 1

    worker_id: str
    division_code: str
    level: str
    effective_from: date


class QualificationBonusReleased(DomainEvent):
    """The held bonuses went to the line of the community the worker was assigned to."""

    event_type = "QualificationBonusReleased"
    schema_version = 1

    worker_id: str
    code: str
    levels: list[str]


def community_stream(code: str) -> str:
    return f"community-{code}"


def worker_stream(worker_id: str) -> str:
    return f"worker-{worker_id}"


STANDARD_EVENT_TYPES: tuple[type[DomainEvent], ...] = (
    FundingCommunityObserved, BudgetLineSet, MatterFundingStopped, BudgetYearRolledOver,
    QualificationBonusHeld, QualificationBonusReleased,
)  # fmt: skip
