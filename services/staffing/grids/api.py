"""The grid team and findings routes."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from services.staffing.grids.decide import Member
from services.staffing.grids.handlers import JoinTeam, LeaveTeam
from services.staffing.grids.schemas import (
    GridTeamView,
    JoinTeamRequest,
    LeaveTeamRequest,
    StaffingFindings,
)
from services.staffing.runtime import Staffing, staffing_of
from services.staffing.workforce.ids import require_worker_id
from shared.community_code import require_valid_code
from shared.service_web import ContextDep, json_response

router = APIRouter()


async def _answer(runtime: Staffing, code: str, grid: str, status: int) -> Response:
    view = await runtime.queries.team(code, grid)
    headers = {"Location": f"/communities/{code}/grids/{grid}/team", "ETag": f'"{view.version}"'}
    return json_response(view, status, headers)


@router.get("/communities/{code}/grids/{grid}/team", response_model=GridTeamView)
async def grid_team(code: str, grid: str, request: Request) -> GridTeamView:
    return await staffing_of(request).queries.team(
        require_valid_code(code), require_valid_code(grid)
    )


@router.post("/communities/{code}/grids/{grid}/team", status_code=201, response_model=GridTeamView)
async def join_team(
    code: str, grid: str, body: JoinTeamRequest, request: Request, ctx: ContextDep
) -> Response:
    runtime = staffing_of(request)
    code, grid = require_valid_code(code), require_valid_code(grid)
    worker = require_worker_id(body.worker_id) if body.worker_id else None
    member = Member(body.role, worker, body.member_ref, body.micro_grid)
    await runtime.grids.join(JoinTeam(code, grid, member, body.effective_from), ctx)
    return await _answer(runtime, code, grid, 201)


@router.post("/communities/{code}/grids/{grid}/team/leave", response_model=GridTeamView)
async def leave_team(
    code: str, grid: str, body: LeaveTeamRequest, request: Request, ctx: ContextDep
) -> Response:
    runtime = staffing_of(request)
    code, grid = require_valid_code(code), require_valid_code(grid)
    cmd = LeaveTeam(code, grid, body.role, body.member, body.effective_from, body.reason)
    await runtime.grids.leave(cmd, ctx)
    return await _answer(runtime, code, grid, 200)


@router.get("/communities/{code}/staffing/findings", response_model=StaffingFindings)
async def staffing_findings(code: str, request: Request) -> StaffingFindings:
    return await staffing_of(request).queries.findings(require_valid_code(code))
