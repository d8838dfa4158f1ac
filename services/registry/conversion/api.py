"""The conversion routes: propose, record a step, read, list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.registry.conversion.commands import ProposeConversion, RecordConversionStep
from services.registry.conversion.schemas import (
    ConversionPage,
    ConversionStepRequest,
    ConversionView,
    ProposeConversionRequest,
)
from services.registry.conversion.workflow import (
    ConversionStatus,
    ConversionStep,
    conversion_stream,
)
from services.registry.establishment.workflow import (
    require_proposal_id,
)
from services.registry.runtime import Registry
from services.registry.web import (
    ContextDep,
    RegistryDep,
    answer_case,
    decode_cursor,
    json_response,
    page,
    proposal_of,
)
from shared.community_code import require_valid_code
from shared.errors import NotFound
from shared.eventstore import Envelope
from shared.values import PREFIX_QUERY_PATTERN

router = APIRouter()


async def answer_conversion(runtime: Registry, events: list[Envelope], status: int) -> Response:
    """The proposal after a command, once the read model shows it."""
    proposal_id = proposal_of(events)
    return await answer_case(
        runtime, events, status, f"/conversions/{proposal_id}", conversion_stream(proposal_id),
        lambda: runtime.queries.conversion(proposal_id),
    )  # fmt: skip


@router.post("/communities/{code}/conversions", status_code=201, response_model=ConversionView)
async def propose_conversion(
    code: str, body: ProposeConversionRequest, runtime: RegistryDep, ctx: ContextDep
) -> Response:
    cmd = ProposeConversion(code=require_valid_code(code), **body.model_dump(exclude={"documents"}),
                            documents=body.documents)  # fmt: skip
    events = await runtime.commands.conversions.propose(cmd, ctx)
    runtime.appended()
    return await answer_conversion(runtime, events, 201)


@router.post("/conversions/{proposal_id}/steps", response_model=ConversionView)
async def take_conversion_step(
    proposal_id: str, body: ConversionStepRequest, runtime: RegistryDep, ctx: ContextDep
) -> Response:
    step = ConversionStep(**body.model_dump(exclude={"documents"}), documents=body.documents)
    command = RecordConversionStep(require_proposal_id(proposal_id), step)
    events = await runtime.commands.conversions.take_step(command, ctx)
    runtime.appended()
    return await answer_conversion(runtime, events, 200)


@router.get("/conversions/{proposal_id}", response_model=ConversionView)
async def get_conversion(proposal_id: str, runtime: RegistryDep) -> Response:
    view = await runtime.queries.conversion(require_proposal_id(proposal_id))
    if view is None:
        raise NotFound(f"no conversion proposal {proposal_id}")
    return json_response(view, 200, {})


@router.get("/conversions", response_model=ConversionPage)
async def list_conversions(
    runtime: RegistryDep,
    division_prefix: Annotated[str, Query(pattern=PREFIX_QUERY_PATTERN)],
    status: ConversionStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> ConversionPage:
    after = decode_cursor(cursor) if cursor else ""
    found = await runtime.queries.conversions(division_prefix, status, after, limit + 1)
    items, next_cursor = page(found, limit, lambda item: item.proposal_id)
    return ConversionPage(items=items, next_cursor=next_cursor)
