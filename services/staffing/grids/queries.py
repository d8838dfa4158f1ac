"""Reads of grid teams and staffing's findings, folded from the community's stream."""

from __future__ import annotations

from services.staffing.grids.decide import CommunityGrids
from services.staffing.grids.schemas import (
    GridTeamView,
    StaffingFinding,
    StaffingFindings,
    TeamMemberView,
)
from services.staffing.policy import PolicyReads
from services.staffing.quota.events import community_stream
from services.staffing.workforce.decide import CommunityPositions
from shared.errors import NotFound
from shared.eventstore import Envelope


class GridQueries(PolicyReads):
    async def team(self, code: str, grid: str) -> GridTeamView:
        grids, _, envelopes = await self._community(code)
        team = grids.grids.get(grid)
        if team is None:
            raise NotFound(f"staffing knows no grid {grid} in community {code}")
        pack = await self.policy.covering(code[:12])
        return GridTeamView(
            code=code, grid=grid, name=team.name, closed=team.closed,
            members=[TeamMemberView(role=m.role, worker_id=m.worker_id, member_ref=m.member_ref,
                                    micro_grid=m.micro_grid) for m in team.members],
            missing=[] if team.closed or pack is None else team.missing(pack.grid_team.required),
            finding_open=team.finding_open, version=envelopes[-1].stream_version,
        )  # fmt: skip

    async def findings(self, code: str) -> StaffingFindings:
        """Grid teams missing any of the 1+3 (opened and resolved, from the log), and a quota
        below the positions still standing (after a quota fell)."""
        _, positions, envelopes = await self._community(code)
        listed: list[StaffingFinding] = []
        open_at: dict[str, int] = {}  # grid -> its open finding's place in `listed`
        for e in envelopes:
            p = e.payload
            if e.event_type == "GridTeamFindingOpened":
                open_at[p["grid"]] = len(listed)
                listed.append(StaffingFinding(
                    kind="grid_team_incomplete", subject=p["grid"], status="open",
                    detail=f"missing {', '.join(p['missing'])}: {p['rule']}", source=p["source"],
                    opened_at=e.recorded_at,
                ))  # fmt: skip
            elif e.event_type == "GridTeamFindingResolved" and p["grid"] in open_at:
                i = open_at.pop(p["grid"])
                listed[i] = listed[i].model_copy(update={
                    "status": "resolved", "resolved_at": e.recorded_at,
                    "detail": f"{listed[i].detail} (resolved: {p['reason']})",
                })  # fmt: skip
        standing = len(positions.standing())
        if positions.quota is not None and standing > positions.quota:
            listed.append(StaffingFinding(
                kind="over_quota", subject=code, status="open",
                detail=f"{standing} positions stand and the quota is {positions.quota}"
                f" ({positions.quota_rule}): abolish {standing - positions.quota}",
                source="seed 004 §四 (总量控制)", opened_at=None,
            ))  # fmt: skip
        return StaffingFindings(
            code=code, open=sum(f.status == "open" for f in listed), findings=listed
        )

    async def _community(
        self, code: str
    ) -> tuple[CommunityGrids, CommunityPositions, list[Envelope]]:
        envelopes = await self.store.read_stream(community_stream(code))
        grids, positions = CommunityGrids(), CommunityPositions()
        for envelope in envelopes:
            event = self.catalog.decode(envelope)
            grids.apply(event)
            positions.apply(event)
        if positions.division_code is None:
            raise NotFound(f"staffing knows no community {code}")
        return grids, positions, envelopes
