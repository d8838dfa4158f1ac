"""Grid team decisions: pure. The community's grids and teams (folded from its stream), the
pack and a registry grid event or a team command in → the events to append."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from pydantic import BaseModel, ConfigDict

from services.staffing.grids.events import (
    GridObserved,
    GridTeamFindingOpened,
    GridTeamFindingResolved,
    TeamMemberJoined,
    TeamMemberLeft,
)
from services.staffing.quota.packs import StaffingPack, TeamRole
from services.staffing.workforce.decide import CommunityPositions, Worker
from shared.errors import Conflict, FieldProblem, NotFound
from shared.eventstore import DomainEvent
from shared.pipeline import Refused

SINGLE_ROLES: tuple[TeamRole, ...] = ("leader", "full_time", "part_time", "instructor")


class TeamConflict(Conflict):
    title = "The grid's team does not allow this"


@dataclass(frozen=True)
class Member:
    role: TeamRole
    worker_id: str | None
    member_ref: str | None
    micro_grid: str | None

    @property
    def key(self) -> str:
        return self.worker_id or self.member_ref or ""


@dataclass
class GridTeam:
    name: str
    micro_grids: list[str]
    closed: bool = False
    members: list[Member] = field(default_factory=list)
    finding_open: bool = False

    def missing(self, required: list[TeamRole]) -> list[TeamRole]:
        present = {m.role for m in self.members}
        return [role for role in required if role not in present]


@dataclass
class CommunityGrids:
    grids: dict[str, GridTeam] = field(default_factory=dict)

    def copy(self) -> CommunityGrids:
        """A copy a decision may fold into, leaving this one as it was (cheaper than deepcopy:
        members are frozen)."""
        return CommunityGrids({
            grid: replace(team, micro_grids=list(team.micro_grids), members=list(team.members))
            for grid, team in self.grids.items()
        })  # fmt: skip

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, GridObserved):
            team = self.grids.setdefault(event.grid, GridTeam(event.name, []))
            team.name, team.micro_grids, team.closed = event.name, event.micro_grids, event.closed
        elif isinstance(event, TeamMemberJoined):
            self.grids[event.grid].members.append(
                Member(event.role, event.worker_id, event.member_ref, event.micro_grid)
            )
        elif isinstance(event, TeamMemberLeft):
            team = self.grids[event.grid]
            team.members = [
                m for m in team.members if not (m.role == event.role and m.key == event.member)
            ]
        elif isinstance(event, GridTeamFindingOpened):
            self.grids[event.grid].finding_open = True
        elif isinstance(event, GridTeamFindingResolved):
            self.grids[event.grid].finding_open = False


class _MicroGridIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str


class _GridIn(BaseModel):
    """The part of the registry's GridSpec staffing follows."""

    model_config = ConfigDict(extra="ignore")
    grid: str
    name: str
    micro_grids: list[_MicroGridIn] = []


def observe_grid(
    code: str, event_type: str, data: dict[str, object], state: CommunityGrids,
    pack: StaffingPack | None,
) -> list[DomainEvent]:  # fmt: skip
    """Staffing's events for a registry grid event (none for one it does not follow).
    Raises pydantic's ValidationError on data that is not what the registry publishes."""
    state = state.copy()
    opened: list[_GridIn] = []
    closed: list[str] = []
    if event_type == "GridCreated":
        opened = [_GridIn.model_validate(data)]
    elif event_type == "GridsMerged":
        closed = [str(s) for s in data["sources"]]  # type: ignore[attr-defined]
        opened = [_GridIn.model_validate(data["merged"])]
    elif event_type == "GridSplit":
        closed = [str(data["source"])]
        opened = [_GridIn.model_validate(p) for p in data["parts"]]  # type: ignore[attr-defined]
    elif event_type == "MicroGridAdded":
        grid = str(data["grid"])
        if grid in state.grids:
            micro = _MicroGridIn.model_validate(data["micro_grid"]).id
            team = state.grids[grid]
            return [GridObserved(code=code, grid=grid, name=team.name,
                                 micro_grids=[*team.micro_grids, micro], closed=False)]  # fmt: skip
        return []
    events: list[DomainEvent] = []
    for grid in closed:
        if grid in state.grids:
            team = state.grids[grid]
            events += _then(state, code, grid, pack, GridObserved(
                code=code, grid=grid, name=team.name, micro_grids=team.micro_grids, closed=True,
            ))  # fmt: skip
    for spec in opened:
        ids = [m.id for m in spec.micro_grids]
        events += _then(state, code, spec.grid, pack, GridObserved(
            code=code, grid=spec.grid, name=spec.name, micro_grids=ids, closed=False,
        ))  # fmt: skip
    return events


def join(
    state: CommunityGrids, positions: CommunityPositions, worker: Worker | None, code: str,
    grid: str, member: Member, day: date, pack: StaffingPack,
) -> list[DomainEvent] | Refused:  # fmt: skip
    """A member joins the grid's team: its leader and full-time grid worker are staff of the
    community (the leader a leadership member), its part-time worker leads one of its
    micro-grids, its instructor is a town cadre (a reference)."""
    team = _open_grid(state, grid)
    if member.role in SINGLE_ROLES and (held := [m for m in team.members if m.role == member.role]):
        raise TeamConflict(
            f"grid {grid} has its {member.role.replace('_', ' ')} ({held[0].key}): they leave first"
        )
    if any(m.role == member.role and m.key == member.key for m in team.members):
        raise TeamConflict(f"{member.key} is already in grid {grid}'s team as {member.role}")
    if problems := _member_problems(positions, worker, code, team, member, pack):
        return Refused("the member cannot join the grid's team", problems)
    joined = TeamMemberJoined(
        code=code, grid=grid, role=member.role, worker_id=member.worker_id,
        member_ref=member.member_ref, micro_grid=member.micro_grid, effective_from=day,
    )  # fmt: skip
    return _then(state.copy(), code, grid, pack, joined)


def leave(
    state: CommunityGrids, code: str, grid: str, role: TeamRole, key: str, day: date,
    reason: str, pack: StaffingPack | None,
) -> list[DomainEvent]:  # fmt: skip
    team = state.grids.get(grid)
    if team is None or not any(m.role == role and m.key == key for m in team.members):
        raise NotFound(f"{key} is not in grid {grid}'s team as {role}")
    left = TeamMemberLeft(
        code=code, grid=grid, role=role, member=key, effective_from=day, reason=reason
    )
    return _then(state.copy(), code, grid, pack, left)


def worker_leaves(
    state: CommunityGrids, code: str, worker_id: str, day: date, reason: str,
    pack: StaffingPack | None,
) -> list[DomainEvent]:  # fmt: skip
    """A worker who leaves the community (departs, transfers) leaves its grid teams too."""
    state = state.copy()
    events: list[DomainEvent] = []
    for grid, team in state.grids.items():
        for m in [m for m in team.members if m.worker_id == worker_id]:
            left = TeamMemberLeft(
                code=code, grid=grid, role=m.role, member=worker_id, effective_from=day,
                reason=reason,
            )  # fmt: skip
            events += _then(state, code, grid, pack, left)
    return events


def _then(
    state: CommunityGrids, code: str, grid: str, pack: StaffingPack | None, event: DomainEvent
) -> list[DomainEvent]:
    """`event` applied to `state`, and the finding it opens or resolves."""
    state.apply(event)
    team = state.grids[grid]
    missing = team.missing(pack.grid_team.required) if pack else []
    finding: DomainEvent | None = None
    if team.finding_open and (team.closed or not missing):
        why = "the grid was closed" if team.closed else "the team is complete"
        finding = GridTeamFindingResolved(code=code, grid=grid, reason=why)
    elif not team.finding_open and not team.closed and missing and pack is not None:
        finding = GridTeamFindingOpened(
            code=code, grid=grid, missing=missing, source=pack.grid_team.source,
            rule="每个网格按“1+3+N”配备: a grid leader, a full-time grid worker, a part-time grid"
            " worker leading a micro-grid and a grid instructor",
        )  # fmt: skip
    if finding is None:
        return [event]
    state.apply(finding)
    return [event, finding]


def _open_grid(state: CommunityGrids, grid: str) -> GridTeam:
    team = state.grids.get(grid)
    if team is None:
        raise NotFound(f"staffing knows no grid {grid} in this community")
    if team.closed:
        raise TeamConflict(f"grid {grid} is closed (merged or split)")
    return team


def _member_problems(
    positions: CommunityPositions, worker: Worker | None, code: str, team: GridTeam,
    member: Member, pack: StaffingPack,
) -> list[FieldProblem]:  # fmt: skip
    staff_roles = ("leader", "full_time")
    if member.role in staff_roles:
        if worker is None or member.member_ref is not None:
            return [FieldProblem("worker_id", f"a {member.role} is a worker of the community")]
        if worker.code != code or worker.status not in ("assigned", "on_leave"):
            return [FieldProblem("worker_id", f"{worker.worker_id} holds no position here")]
        post = positions.positions[worker.position_id].post if worker.position_id else None
        if member.role == "leader" and post not in pack.grid_team.leadership_posts:
            allowed = ", ".join(pack.grid_team.leadership_posts)
            return [FieldProblem("worker_id", f"a grid leader is a leadership member ({allowed})")]
        return []
    if member.role in ("part_time", "instructor") and member.member_ref is None:
        return [FieldProblem("member_ref", f"a {member.role.replace('_', ' ')} is named by a"
                             " reference in the district's system")]  # fmt: skip
    if member.role == "part_time" and member.micro_grid not in team.micro_grids:
        known = ", ".join(team.micro_grids) or "none yet"
        return [FieldProblem("micro_grid", "a part-time grid worker leads one of the grid's"
                             f" micro-grids ({known})")]  # fmt: skip
    if member.role == "other" and (member.worker_id is None) == (member.member_ref is None):
        return [FieldProblem("member_ref", "either a worker id or a member reference")]
    if member.role != "other" and member.worker_id is not None:
        return [FieldProblem("worker_id", f"a {member.role} is named by a member reference")]
    return []
