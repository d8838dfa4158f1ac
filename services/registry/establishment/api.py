"""The establishment routes: propose, record a step, read, list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.registry.community.events import Indicators
from services.registry.community.schemas import (
    INDICATOR_FIELDS,
)
from services.registry.establishment.commands import ProposeEstablishment, RecordEstablishmentStep
from services.registry.establishment.schemas import (
    EstablishmentPage,
    EstablishmentStepRequest,
    EstablishmentView,
    ProposeEstablishmentRequest,
)
from services.registry.establishment.workflow import (
    EstablishmentStatus,
    EstablishmentStep,
    establishment_stream,
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
from shared.errors import NotFound
from shared.eventstore import Envelope
from shared.values import PREFIX_QUERY_PATTERN

router = APIRouter()


async def answer_establishment(runtime: Registry, events: list[Envelope], status: int) -> Response:
    """The proposal after a command, once the read model shows it."""
    proposal_id = proposal_of(events)
    return await answer_case(
        runtime, events, status, f"/establishments/{proposal_id}",
        establishment_stream(proposal_id), lambda: runtime.queries.establishment(proposal_id),
    )  # fmt: skip


@router.post("/establishments", status_code=201, response_model=EstablishmentView)
async def propose_establishment(
    body: ProposeEstablishmentRequest, runtime: RegistryDep, ctx: ContextDep
) -> Response:
    fields = body.model_dump(exclude={"documents"})
    indicators = Indicators(**{k: fields.pop(k) for k in INDICATOR_FIELDS})
    cmd = ProposeEstablishment(**fields, indicators=indicators, documents=body.documents)
    events = await runtime.commands.establishments.propose(cmd, ctx)
    runtime.appended()
    return await answer_establishment(runtime, events, 201)


@router.post("/establishments/{proposal_id}/steps", response_model=EstablishmentView)
async def take_establishment_step(
    proposal_id: str, body: EstablishmentStepRequest, runtime: RegistryDep, ctx: ContextDep
) -> Response:
    step = EstablishmentStep(**body.model_dump(exclude={"documents"}), documents=body.documents)
    command = RecordEstablishmentStep(require_proposal_id(proposal_id), step)
    events = await runtime.commands.establishments.take_step(command, ctx)
    runtime.appended()
    return await answer_establishment(runtime, events, 200)


@router.get("/establishments/{proposal_id}", response_model=EstablishmentView)
async def get_establishment(proposal_id: str, runtime: RegistryDep) -> Response:
    view = await runtime.queries.establishment(require_proposal_id(proposal_id))
    if view is None:
        raise NotFound(f"no establishment proposal {proposal_id}")
    return json_response(view, 200, {})


@router.get("/establishments", response_model=EstablishmentPage)
async def list_establishments(
    runtime: RegistryDep,
    division_prefix: Annotated[str, Query(pattern=PREFIX_QUERY_PATTERN)],
    status: EstablishmentStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> EstablishmentPage:
    after = decode_cursor(cursor) if cursor else ""
    found = await runtime.queries.establishments(division_prefix, status, after, limit + 1)
    items, next_cursor = page(found, limit, lambda item: item.proposal_id)
    return EstablishmentPage(items=items, next_cursor=next_cursor)
