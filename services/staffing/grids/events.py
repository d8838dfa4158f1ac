"""Grid teams "1+3+N" (seed 000 §二(四)3, seed 004 §四), on the community's stream.

Staffing follows each community's grids from the registry's topic (`GridObserved`: open or
closed, with its micro-grids) and keeps each grid's team. A grid missing any required role
has an open finding (`GridTeamFindingOpened`, a decision naming the pack), resolved
(`GridTeamFindingResolved`) when the team is complete or the grid is closed. Team members
who are not staff (a part-time grid worker, a town cadre) are named by a reference in the
district's own system, never by name.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from services.staffing.quota.packs import TeamRole
from shared.eventstore import DomainEvent
from shared.values import CommunityCode, Day, Label, Reference, Text

# A member who is not staff: an id in the district's system (ASCII), so no name can go in.
MemberRef = Annotated[
    str, Text(r"^[A-Za-z0-9][A-Za-z0-9._:-]*$", 1, 64, "an ASCII id: letters, digits, . _ : -")
]


class GridObserved(DomainEvent):
    event_type = "GridObserved"

    code: CommunityCode
    grid: CommunityCode
    name: str
    micro_grids: list[str]
    closed: bool


class TeamMemberJoined(DomainEvent):
    event_type = "TeamMemberJoined"

    code: CommunityCode
    grid: CommunityCode
    role: TeamRole
    worker_id: str | None
    member_ref: MemberRef | None
    micro_grid: Label | None  # the micro-grid a part-time grid worker leads
    effective_from: Day


class TeamMemberLeft(DomainEvent):
    event_type = "TeamMemberLeft"

    code: CommunityCode
    grid: CommunityCode
    role: TeamRole
    member: str  # the worker id or member reference that left
    effective_from: Day
    reason: Reference


class GridTeamFindingOpened(DomainEvent):
    event_type = "GridTeamFindingOpened"
    is_decision: ClassVar[bool] = True

    code: CommunityCode
    grid: CommunityCode
    missing: list[TeamRole]
    rule: str
    source: str


class GridTeamFindingResolved(DomainEvent):
    event_type = "GridTeamFindingResolved"

    code: CommunityCode
    grid: CommunityCode
    reason: str


GRID_EVENT_TYPES: tuple[type[DomainEvent], ...] = (
    GridObserved, TeamMemberJoined, TeamMemberLeft, GridTeamFindingOpened,
    GridTeamFindingResolved,
)  # fmt: skip
