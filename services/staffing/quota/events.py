"""Staffing's quota events, on its stream `community-<code>` (staffing's own log)."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from shared.eventstore import DomainEvent
from shared.values import Record


class CommunityFacts(Record):
    """What staffing knows of a community, from the registry's topic: only what its rules and
    the district floor use (decide.py `followed`): residents always (the floor), households
    only under a rule by households, tier and score only under a rule by the composite index;
    so a change of anything else appends nothing."""

    code: str
    division_code: str
    major_type: str
    status: str  # approved | active | ended
    residents: int
    households: int | None = None
    tier: str | None = None
    score: Decimal | None = None
    successor: str | None = None


class CommunityObserved(CommunityFacts, DomainEvent):
    """Staffing's view of a community changed (caused by a registry event: its causation)."""

    event_type = "CommunityObserved"
    schema_version = 1


class QuotaSet(DomainEvent):
    """The community's quota (员额) was decided, or decided again with another result."""

    event_type = "QuotaSet"
    schema_version = 1
    is_decision: ClassVar[bool] = True

    code: str
    division_code: str
    quota: int | None
    previous: int | None
    rule: str
    source: str
    inputs: dict[str, str]
    policy_region: str | None
    policy_version: str | None


def community_stream(code: str) -> str:
    return f"community-{code}"


QUOTA_EVENT_TYPES: tuple[type[DomainEvent], ...] = (CommunityObserved, QuotaSet)
