"""The admission routes: apply, meeting, judgements, decision, handovers; read and list; and the
exit of an admitted matter. Every command answers with the case as its log now shows it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from services.matters.admission import decide
from services.matters.admission.schemas import (
    AdmissionPage,
    AdmissionView,
    ApplyRequest,
    DecisionRequest,
    ExitRequest,
    HandoverRequest,
    JudgementRequest,
    MeetingRequest,
)
from services.matters.admission.workflow import (
    AdmissionStatus,
    admission_of,
    require_admission_id,
    require_admitted_matter,
)
from services.matters.runtime import Matters, matters_of
from shared.errors import NotFound
from shared.eventstore import Envelope
from shared.paging import decode_cursor, page
from shared.service_web import ContextDep, json_response
from shared.values import PREFIX_QUERY_PATTERN

router = APIRouter()


async def answer(
    runtime: Matters, admission_id: str, events: list[Envelope], status: int
) -> Response:
    view = await runtime.queries.admission(admission_id)
    assert view is not None and events
    return json_response(view, status, {"location": f"/admissions/{admission_id}"})


@router.post("/admissions", status_code=201, response_model=AdmissionView)
async def apply_for_admission(body: ApplyRequest, request: Request, ctx: ContextDep) -> Response:
    runtime = matters_of(request)
    events = await runtime.admissions.apply(decide.Apply(**dict(body)), ctx)
    return await answer(runtime, str(events[0].payload["admission_id"]), events, 201)


@router.post("/admissions/{admission_id}/meeting", response_model=AdmissionView)
async def convene_meeting(
    admission_id: str, body: MeetingRequest, request: Request, ctx: ContextDep
) -> Response:
    runtime, admission_id = matters_of(request), require_admission_id(admission_id)
    events = await runtime.admissions.convene(decide.Convene(admission_id, **dict(body)), ctx)
    return await answer(runtime, admission_id, events, 200)


@router.post("/admissions/{admission_id}/judgements", response_model=AdmissionView)
async def judge_item(
    admission_id: str, body: JudgementRequest, request: Request, ctx: ContextDep
) -> Response:
    runtime, admission_id = matters_of(request), require_admission_id(admission_id)
    events = await runtime.admissions.judge(decide.Judge(admission_id, **dict(body)), ctx)
    return await answer(runtime, admission_id, events, 200)


@router.post("/admissions/{admission_id}/decision", response_model=AdmissionView)
async def decide_admission(
    admission_id: str, body: DecisionRequest, request: Request, ctx: ContextDep
) -> Response:
    runtime, admission_id = matters_of(request), require_admission_id(admission_id)
    events = await runtime.admissions.conclude(decide.Decide(admission_id, **dict(body)), ctx)
    return await answer(runtime, admission_id, events, 200)


@router.post("/admissions/{admission_id}/handovers", response_model=AdmissionView)
async def sign_handover(
    admission_id: str, body: HandoverRequest, request: Request, ctx: ContextDep
) -> Response:
    runtime, admission_id = matters_of(request), require_admission_id(admission_id)
    cmd = decide.SignHandover(admission_id, **dict(body))
    return await answer(
        runtime, admission_id, await runtime.admissions.sign_handover(cmd, ctx), 200
    )


@router.post("/matters/{matter_id}/exit", response_model=AdmissionView)
async def exit_matter(
    matter_id: str, body: ExitRequest, request: Request, ctx: ContextDep
) -> Response:
    runtime, matter_id = matters_of(request), require_admitted_matter(matter_id)
    events = await runtime.admissions.exit(decide.ExitMatter(matter_id, **dict(body)), ctx)
    return await answer(runtime, admission_of(matter_id)[0], events, 200)


@router.get("/admissions/{admission_id}", response_model=AdmissionView)
async def get_admission(admission_id: str, request: Request) -> Response:
    view = await matters_of(request).queries.admission(require_admission_id(admission_id))
    if view is None:
        raise NotFound(f"no admission {admission_id}")
    return json_response(view, 200, {})


@router.get("/admissions", response_model=AdmissionPage)
async def list_admissions(
    request: Request,
    division_prefix: Annotated[str, Query(pattern=PREFIX_QUERY_PATTERN)],
    status: AdmissionStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> AdmissionPage:
    after = decode_cursor(cursor) if cursor else ""
    found = await matters_of(request).queries.admissions(division_prefix, status, after, limit + 1)
    items, next_cursor = page(found, limit, lambda item: item.admission_id)
    return AdmissionPage(items=items, next_cursor=next_cursor)
