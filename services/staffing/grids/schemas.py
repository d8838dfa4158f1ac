"""What the grid team and findings routes take and answer."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.staffing.grids.events import MemberRef
from services.staffing.quota.packs import TeamRole
from shared.values import Day, Label, Reference


class JoinTeamRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: TeamRole
    worker_id: str | None = Field(
        default=None, max_length=25, description="Leader and full-time grid worker: a worker"
    )
    member_ref: MemberRef | None = Field(
        default=None, description="Others: an id in the district's own system (never a name)"
    )
    micro_grid: Label | None = Field(default=None, description="Part-time: the micro-grid led")
    effective_from: Day


class LeaveTeamRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: TeamRole
    member: str = Field(max_length=64, description="The worker id or member reference")
    effective_from: Day
    reason: Reference = ""


class TeamMemberView(BaseModel):
    role: TeamRole
    worker_id: str | None
    member_ref: str | None
    micro_grid: str | None


class GridTeamView(BaseModel):
    code: str
    grid: str
    name: str
    closed: bool
    members: list[TeamMemberView]
    missing: list[TeamRole] = Field(description="Required roles no one holds (1+3)")
    finding_open: bool
    version: int


class StaffingFinding(BaseModel):
    kind: str = Field(description="grid_team_incomplete | over_quota")
    subject: str = Field(description="The grid, or the community")
    status: str = Field(description="open | resolved")
    detail: str
    source: str
    opened_at: datetime | None
    resolved_at: datetime | None = None


class StaffingFindings(BaseModel):
    code: str
    open: int
    findings: list[StaffingFinding]
