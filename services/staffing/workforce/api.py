"""The position and worker routes. A command answers the state it left, read from the log."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from services.staffing.runtime import Staffing, staffing_of
from services.staffing.workforce import commands as c
from services.staffing.workforce.ids import require_position_id, require_worker_id
from services.staffing.workforce.schemas import (
    AbolishPositionRequest,
    AppraiseWorkerRequest,
    AuthorisePositionRequest,
    CommunityPositionsView,
    DepartWorkerRequest,
    EndLeaveRequest,
    PlaceWorkerRequest,
    RecordPayRequest,
    RecordQualificationRequest,
    RecruitWorkerRequest,
    StartLeaveRequest,
    WorkerPage,
    WorkerRecord,
    WorkerView,
)
from shared.community_code import require_valid_code
from shared.eventstore import Envelope
from shared.purpose import Purpose
from shared.service_web import ContextDep, json_response
from shared.values import PREFIX_QUERY_PATTERN

router = APIRouter()
WorkerStatus = Annotated[str | None, Query(pattern="^(pool|assigned|on_leave|departed)$")]


async def _answer_positions(runtime: Staffing, code: str, status: int) -> Response:
    view = await runtime.queries.positions(code)
    headers = {"Location": f"/communities/{code}/positions", "ETag": f'"{view.version}"'}
    return json_response(view, status, headers)


async def _answer_worker(runtime: Staffing, events: list[Envelope], status: int) -> Response:
    wid = next(str(e.payload["worker_id"]) for e in events if e.stream_id.startswith("worker-"))
    view = await runtime.queries.worker(wid)
    return json_response(view, status, {"Location": f"/workers/{wid}", "ETag": f'"{view.version}"'})


@router.get("/communities/{code}/positions", response_model=CommunityPositionsView)
async def community_positions(
    code: str, request: Request, on: Annotated[date | None, Query()] = None
) -> CommunityPositionsView:
    return await staffing_of(request).queries.positions(require_valid_code(code), on)


@router.post(
    "/communities/{code}/positions", status_code=201, response_model=CommunityPositionsView
)
async def authorise_position(
    code: str, body: AuthorisePositionRequest, request: Request, ctx: ContextDep
) -> Response:
    runtime = staffing_of(request)
    cmd = c.AuthorisePosition(require_valid_code(code), body.post, body.effective_from)
    await runtime.workforce.authorise(cmd, ctx)
    return await _answer_positions(runtime, cmd.code, 201)


@router.post("/positions/{position_id}/abolish", response_model=CommunityPositionsView)
async def abolish_position(
    position_id: str, body: AbolishPositionRequest, request: Request, ctx: ContextDep
) -> Response:
    runtime = staffing_of(request)
    pid = require_position_id(position_id)
    await runtime.workforce.abolish(c.AbolishPosition(pid, body.effective_from, body.reason), ctx)
    return await _answer_positions(runtime, pid[:17], 200)


@router.post("/workers", status_code=201, response_model=WorkerView)
async def recruit_worker(body: RecruitWorkerRequest, request: Request, ctx: ContextDep) -> Response:
    runtime = staffing_of(request)
    cmd = c.RecruitWorker(body.division_code, body.name, body.id_number, body.effective_from)
    return await _answer_worker(runtime, await runtime.workforce.recruit(cmd, ctx), 201)


@router.get("/workers", response_model=WorkerPage)
async def list_workers(
    request: Request,
    _purpose: Purpose,
    division_prefix: Annotated[str, Query(pattern=PREFIX_QUERY_PATTERN)],
    status: WorkerStatus = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=25)] = None,
) -> WorkerPage:
    after = require_worker_id(cursor) if cursor else None
    return await staffing_of(request).queries.workers(division_prefix, status, limit, after)


@router.get("/workers/{worker_id}", response_model=WorkerRecord)
async def worker_record(worker_id: str, request: Request, _purpose: Purpose) -> WorkerRecord:
    return await staffing_of(request).queries.worker_record(require_worker_id(worker_id))


async def _place(
    worker_id: str, body: PlaceWorkerRequest, request: Request, ctx: ContextDep, transfer: bool
) -> Response:
    runtime = staffing_of(request)
    cmd = c.PlaceWorker(
        require_worker_id(worker_id), require_position_id(body.position_id), body.effective_from,
        transfer,
    )  # fmt: skip
    return await _answer_worker(runtime, await runtime.workforce.place(cmd, ctx), 200)


@router.post("/workers/{worker_id}/assign", response_model=WorkerView)
async def assign_worker(
    worker_id: str, body: PlaceWorkerRequest, request: Request, ctx: ContextDep
) -> Response:
    return await _place(worker_id, body, request, ctx, transfer=False)


@router.post("/workers/{worker_id}/transfer", response_model=WorkerView)
async def transfer_worker(
    worker_id: str, body: PlaceWorkerRequest, request: Request, ctx: ContextDep
) -> Response:
    return await _place(worker_id, body, request, ctx, transfer=True)


@router.post("/workers/{worker_id}/depart", response_model=WorkerView)
async def depart_worker(
    worker_id: str, body: DepartWorkerRequest, request: Request, ctx: ContextDep
) -> Response:
    runtime = staffing_of(request)
    cmd = c.DepartWorker(require_worker_id(worker_id), body.effective_from, body.reason)
    return await _answer_worker(runtime, await runtime.workforce.depart(cmd, ctx), 200)


async def _record(request: Request, cmd: c.WorkerRecord, ctx: ContextDep) -> Response:
    runtime = staffing_of(request)
    return await _answer_worker(runtime, await runtime.workforce.record(cmd, ctx), 200)


@router.post("/workers/{worker_id}/leave", response_model=WorkerView)
async def start_leave(
    worker_id: str, body: StartLeaveRequest, request: Request, ctx: ContextDep
) -> Response:
    wid = require_worker_id(worker_id)
    cmd = c.StartLeave(wid, body.effective_from, body.until, body.reason)
    return await _record(request, cmd, ctx)


@router.post("/workers/{worker_id}/return", response_model=WorkerView)
async def end_leave(
    worker_id: str, body: EndLeaveRequest, request: Request, ctx: ContextDep
) -> Response:
    cmd = c.EndLeave(require_worker_id(worker_id), body.effective_from)
    return await _record(request, cmd, ctx)


@router.post("/workers/{worker_id}/appraisals", response_model=WorkerView)
async def appraise_worker(
    worker_id: str, body: AppraiseWorkerRequest, request: Request, ctx: ContextDep
) -> Response:
    cmd = c.AppraiseWorker(require_worker_id(worker_id), body.year, body.result)
    return await _record(request, cmd, ctx)


@router.post("/workers/{worker_id}/pay", response_model=WorkerView)
async def record_pay(
    worker_id: str, body: RecordPayRequest, request: Request, ctx: ContextDep
) -> Response:
    cmd = c.RecordPay(require_worker_id(worker_id), body.year, body.annual_pay_fen)
    return await _record(request, cmd, ctx)


@router.post("/workers/{worker_id}/qualifications", response_model=WorkerView)
async def record_qualification(
    worker_id: str, body: RecordQualificationRequest, request: Request, ctx: ContextDep
) -> Response:
    cmd = c.RecordQualification(require_worker_id(worker_id), body.level, body.effective_from)
    return await _record(request, cmd, ctx)
