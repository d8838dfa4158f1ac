"""The registry's internal HTTP routes. Only the gateway calls them (ARCHITECTURE rule 4)."""

from __future__ import annotations

import base64
import re
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel
from starlette.types import Scope

from services.registry import conversion, establishment
from services.registry.code import is_valid_code, require_valid_code
from services.registry.conversion import ConversionStatus, ConversionStep
from services.registry.conversion_commands import ProposeConversion
from services.registry.domain import Indicators
from services.registry.establishment import EstablishmentStatus, EstablishmentStep
from services.registry.establishment_commands import ProposeEstablishment, require_proposal_id
from services.registry.grid_commands import (
    AddMicroGrid,
    AssignToGrid,
    CreateGrid,
    GridCommand,
    MergeGrids,
    NewMicroGrid,
    ResizeGrid,
    SplitGrid,
    SplitPart,
)
from services.registry.handlers import RegisterCommunity, UpdateCommunityIndicators
from services.registry.runtime import Registry
from services.registry.schemas import (
    INDICATOR_FIELDS,
    AssignToGridRequest,
    CommandAccepted,
    CommunityGrids,
    CommunityHistory,
    CommunityPage,
    CommunitySnapshot,
    CommunityView,
    ConversionPage,
    ConversionStepRequest,
    ConversionView,
    CreateGridRequest,
    EstablishCommitteeRequest,
    EstablishmentPage,
    EstablishmentStepRequest,
    EstablishmentView,
    Explanation,
    MergeGridsRequest,
    MicroGridInput,
    PolicyPackDocument,
    PolicyPackList,
    PolicyPackSummary,
    ProposeConversionRequest,
    ProposeEstablishmentRequest,
    RegisterCommunityRequest,
    ResizeGridRequest,
    SizeFindings,
    SplitGridRequest,
    UpdateIndicatorsRequest,
)
from shared.commands import CommandContext
from shared.errors import FieldProblem, NotFound, ValidationFailed
from shared.eventstore import Envelope
from shared.hot_routes import HotResponse, HotRoute
from shared.http_inputs import Moment, parse_if_match
from shared.observability.context import correlation_id
from shared.values import PREFIX_QUERY_PATTERN

router = APIRouter()


# Dependencies are `async def`: FastAPI runs plain `def` ones in a thread pool, a thread
# hand-off per request that cost more than the request's own work.
async def registry(request: Request) -> Registry:
    runtime: Registry = request.app.state.registry
    return runtime


async def command_context(
    x_actor_id: Annotated[str, Header()] = "anonymous",
    x_actor_kind: Annotated[str, Header()] = "internal",
    x_district: Annotated[str | None, Header()] = None,
    x_command_id: Annotated[UUID | None, Header()] = None,
) -> CommandContext:
    kwargs = {"command_id": x_command_id} if x_command_id else {}
    return CommandContext(
        actor_id=x_actor_id,
        actor_kind=x_actor_kind,
        district=x_district,
        correlation_id=correlation_id.get(),
        **kwargs,
    )


RegistryDep = Annotated[Registry, Depends(registry)]
ContextDep = Annotated[CommandContext, Depends(command_context)]


async def answer(runtime: Registry, events: list[Envelope], status: int) -> Response:
    """The community as this command left it, once the read model shows it (read-your-writes).

    Only the read model at the command's own version is its result: a later writer's events
    may already be applied, and answering with them would show this command another's values.
    """
    last = events[-1]
    code = str(last.payload["code"])
    headers = {"Location": f"/communities/{code}", "ETag": f'"{last.stream_version}"'}
    if await runtime.caught_up(last.checkpoint):
        view = await runtime.queries.get(code)
        if view is not None and view.version == last.stream_version:
            return json_response(view, status, headers)
    return json_response(CommandAccepted(code=code, version=last.stream_version), 202, headers)


def json_response(model: BaseModel, status: int, headers: dict[str, str]) -> Response:
    return Response(
        model.model_dump_json(), status_code=status, headers=headers, media_type="application/json"
    )


@router.post(
    "/communities",
    status_code=201,
    response_model=CommunityView,
    responses={202: {"model": CommandAccepted}},
)
async def register_community(
    body: RegisterCommunityRequest, runtime: RegistryDep, ctx: ContextDep
) -> Response:
    fields = body.model_dump()
    indicators = Indicators(**{k: fields.pop(k) for k in INDICATOR_FIELDS})
    command = RegisterCommunity(**fields, indicators=indicators)
    events = await runtime.handlers.register_community(command, ctx)
    runtime.appended()
    return await answer(runtime, events, 201)


@router.patch("/communities/{code}/indicators", response_model=CommunityView)
async def update_indicators(
    code: str,
    body: UpdateIndicatorsRequest,
    runtime: RegistryDep,
    ctx: ContextDep,
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    cmd = UpdateCommunityIndicators(
        code=require_valid_code(code),
        expected_version=parse_if_match(if_match),
        indicators=Indicators(**body.model_dump()),
    )
    events = await runtime.handlers.update_indicators(cmd, ctx)
    runtime.appended()
    return await answer(runtime, events, 200)


@router.get("/communities/{code}", response_model=CommunityView | CommunitySnapshot)
async def get_community(code: str, runtime: RegistryDep, as_of: Moment | None = None) -> Response:
    if as_of is not None:  # time travel: rebuilt from the log as it stood then
        view = await runtime.queries.as_of(require_valid_code(code), as_of)
        if view is None:
            raise NotFound(f"community {code} did not exist at {as_of.isoformat()}")
        return json_response(view, 200, {"ETag": f'"{view.version}"'})
    found = await runtime.queries.get_json(require_valid_code(code))
    if found is None:
        raise NotFound(f"no community with code {code}")
    version, body = found
    return Response(body, media_type="application/json", headers={"ETag": f'"{version}"'})


async def hot_get_community(scope: Scope, match: re.Match[str]) -> HotResponse | None:
    """GET /communities/{code} beneath the framework (shared/hot_routes.py): the same body and
    ETag as get_community; anything but a community found is left to get_community."""
    code = match["code"]
    if not is_valid_code(code):
        return None
    runtime: Registry = scope["app"].state.registry
    found = await runtime.queries.get_json(code)
    if found is None:
        return None
    version, body = found
    return HotResponse(200, body, headers=[(b"etag", f'"{version}"'.encode())])


HOT_ROUTES = [
    HotRoute("GET", "/communities/{code}", re.compile(r"/communities/(?P<code>[0-9]{17})"),
             hot_get_community),
]  # fmt: skip


@router.get("/communities/{code}/explain", response_model=Explanation)
async def explain_community(code: str, runtime: RegistryDep) -> Response:
    explanation = await runtime.queries.explain(require_valid_code(code))
    if explanation is None:
        raise NotFound(f"no tier decision recorded for {code}")
    return json_response(explanation, 200, {})


@router.get("/communities/{code}/history", response_model=CommunityHistory)
async def community_history(code: str, runtime: RegistryDep) -> Response:
    events = await runtime.queries.history(require_valid_code(code))
    if not events:
        raise NotFound(f"no community with code {code}")
    return json_response(CommunityHistory(code=code, events=events), 200, {})


@router.get("/communities/{code}/findings", response_model=SizeFindings)
async def community_findings(code: str, runtime: RegistryDep) -> Response:
    if await runtime.queries.get_json(require_valid_code(code)) is None:
        raise NotFound(f"no community with code {code}")
    return json_response(await runtime.queries.findings(code), 200, {})


@router.get("/communities", response_model=CommunityPage)
async def list_communities(
    runtime: RegistryDep,
    division_prefix: Annotated[str, Query(pattern=PREFIX_QUERY_PATTERN)],
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> CommunityPage:
    after = decode_cursor(cursor) if cursor else ""
    items = await runtime.queries.list_by_division(division_prefix, after, limit + 1)
    more = len(items) > limit
    items = items[:limit]
    next_cursor = encode_cursor(items[-1].code) if more else None
    return CommunityPage(items=items, next_cursor=next_cursor)


@router.get("/policy-packs", response_model=PolicyPackList)
async def list_policy_packs(runtime: RegistryDep) -> PolicyPackList:
    documents = await runtime.queries.policy_packs(runtime.handlers.policies)
    return PolicyPackList(
        items=[PolicyPackSummary.model_validate(d.model_dump(exclude={"pack"})) for d in documents]
    )


@router.get("/policy-packs/{region}/{version}", response_model=PolicyPackDocument)
async def get_policy_pack(region: str, version: str, runtime: RegistryDep) -> PolicyPackDocument:
    found = await runtime.queries.policy_packs(runtime.handlers.policies, region, version)
    if not found:
        raise NotFound(f"no policy pack {region}@{version}")
    return found[0]


def encode_cursor(code: str) -> str:
    return base64.urlsafe_b64encode(code.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        code = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        code = ""
    if not code.replace("-", "").isalnum():
        raise ValidationFailed("bad cursor", errors=[FieldProblem("cursor", "not a cursor")])
    return code


async def answer_grids(runtime: Registry, events: list[Envelope], status: int) -> Response:
    """The community's grids as this grid command left them, once the read model shows them.

    The grids are read between two reads of the community's version (every event of its
    stream moves it, in the projector's transaction): both at the command's version means no
    later writer's grids are in the answer.
    """
    last = events[-1]
    code = str(last.payload["code"])
    headers = {"Location": f"/communities/{code}/grids", "ETag": f'"{last.stream_version}"'}
    if await runtime.caught_up(last.checkpoint):
        before = await runtime.queries.version(code)
        grids = await runtime.queries.grids(code)
        if before == last.stream_version == await runtime.queries.version(code):
            return json_response(grids, status, headers)
    return json_response(CommandAccepted(code=code, version=last.stream_version), 202, headers)


async def run_grid_command(
    runtime: Registry, cmd: GridCommand, ctx: CommandContext, status: int
) -> Response:
    events = await runtime.grid_commands.handle(cmd, ctx)
    runtime.appended()
    return await answer_grids(runtime, events, status)


IfMatch = Annotated[str | None, Header()]


@router.get("/communities/{code}/grids", response_model=CommunityGrids)
async def community_grids(code: str, runtime: RegistryDep, as_of: Moment | None = None) -> Response:
    code = require_valid_code(code)
    if as_of is not None:
        snapshot = await runtime.queries.as_of(code, as_of)
        if snapshot is None:
            raise NotFound(f"community {code} did not exist at {as_of.isoformat()}")
        return json_response(CommunityGrids(code=code, grids=snapshot.grids), 200, {})
    if await runtime.queries.get_json(code) is None:
        raise NotFound(f"no community with code {code}")
    return json_response(await runtime.queries.grids(code), 200, {})


@router.post("/communities/{code}/grids", status_code=201, response_model=CommunityGrids)
async def create_grid(
    code: str,
    body: CreateGridRequest,
    runtime: RegistryDep,
    ctx: ContextDep,
    if_match: IfMatch = None,
) -> Response:
    cmd = CreateGrid(
        code=require_valid_code(code), name=body.name, kind=body.kind,
        figures=body.figures.figures(),
        micro_grids=[NewMicroGrid(**m.model_dump()) for m in body.micro_grids],
        expected_version=parse_if_match(if_match),
    )  # fmt: skip
    return await run_grid_command(runtime, cmd, ctx, 201)


@router.put("/communities/{code}/grids/{grid}/figures", response_model=CommunityGrids)
async def resize_grid(
    code: str, grid: str, body: ResizeGridRequest, runtime: RegistryDep, ctx: ContextDep,
    if_match: IfMatch = None,
) -> Response:  # fmt: skip
    cmd = ResizeGrid(
        code=require_valid_code(code), grid=grid, figures=body.figures.figures(),
        micro_grids={m.id: (m.households, m.business_entities) for m in body.micro_grids},
        expected_version=parse_if_match(if_match),
    )  # fmt: skip
    return await run_grid_command(runtime, cmd, ctx, 200)


@router.post("/communities/{code}/grids/{grid}/micro-grids", response_model=CommunityGrids)
async def add_micro_grid(
    code: str, grid: str, body: MicroGridInput, runtime: RegistryDep, ctx: ContextDep,
    if_match: IfMatch = None,
) -> Response:  # fmt: skip
    cmd = AddMicroGrid(
        code=require_valid_code(code), grid=grid, micro_grid=NewMicroGrid(**body.model_dump()),
        expected_version=parse_if_match(if_match),
    )  # fmt: skip
    return await run_grid_command(runtime, cmd, ctx, 200)


@router.post("/communities/{code}/grids/merge", response_model=CommunityGrids)
async def merge_grids(
    code: str,
    body: MergeGridsRequest,
    runtime: RegistryDep,
    ctx: ContextDep,
    if_match: IfMatch = None,
) -> Response:
    cmd = MergeGrids(
        code=require_valid_code(code), sources=body.sources, name=body.name, kind=body.kind,
        expected_version=parse_if_match(if_match),
    )  # fmt: skip
    return await run_grid_command(runtime, cmd, ctx, 200)


@router.post("/communities/{code}/grids/{grid}/split", response_model=CommunityGrids)
async def split_grid(
    code: str, grid: str, body: SplitGridRequest, runtime: RegistryDep, ctx: ContextDep,
    if_match: IfMatch = None,
) -> Response:  # fmt: skip
    parts = [
        SplitPart(name=p.name, kind=p.kind, figures=p.figures.figures(), micro_grids=p.micro_grids)
        for p in body.parts
    ]
    cmd = SplitGrid(
        code=require_valid_code(code), source=grid, parts=parts,
        expected_version=parse_if_match(if_match),
    )  # fmt: skip
    return await run_grid_command(runtime, cmd, ctx, 200)


@router.post("/communities/{code}/grids/{grid}/assignments", response_model=CommunityGrids)
async def assign_to_grid(
    code: str, grid: str, body: AssignToGridRequest, runtime: RegistryDep, ctx: ContextDep,
    if_match: IfMatch = None,
) -> Response:  # fmt: skip
    cmd = AssignToGrid(
        code=require_valid_code(code), grid=grid, moved=body.moved.figures(),
        from_grid=body.from_grid, expected_version=parse_if_match(if_match),
    )  # fmt: skip
    return await run_grid_command(runtime, cmd, ctx, 200)


@router.post("/communities/{code}/residents-committee", response_model=CommunityView)
async def establish_residents_committee(
    code: str, body: EstablishCommitteeRequest, runtime: RegistryDep, ctx: ContextDep,
    if_match: IfMatch = None,
) -> Response:  # fmt: skip
    events = await runtime.handlers.establish_residents_committee(
        require_valid_code(code), body.committee_name, parse_if_match(if_match), ctx
    )
    runtime.appended()
    return await answer(runtime, events, 200)


def own_version(events: list[Envelope], stream: str) -> int:
    """The version the command left `stream` at (a step may append to two streams)."""
    return max(e.stream_version for e in events if e.stream_id == stream)


async def answer_establishment(runtime: Registry, events: list[Envelope], status: int) -> Response:
    """The proposal after a step, once the read model shows it."""
    proposal_id = next(str(e.payload["proposal_id"]) for e in events if "proposal_id" in e.payload)
    headers = {"Location": f"/establishments/{proposal_id}"}
    if await runtime.caught_up(events[-1].checkpoint):
        view = await runtime.queries.establishment(proposal_id)
        if view is not None and view.version == own_version(
            events, establishment.stream_id(proposal_id)
        ):
            return json_response(view, status, headers)
    return Response(status_code=202, headers=headers)


@router.post("/establishments", status_code=201, response_model=EstablishmentView)
async def propose_establishment(
    body: ProposeEstablishmentRequest, runtime: RegistryDep, ctx: ContextDep
) -> Response:
    fields = body.model_dump(exclude={"documents"})
    indicators = Indicators(**{k: fields.pop(k) for k in INDICATOR_FIELDS})
    cmd = ProposeEstablishment(**fields, indicators=indicators, documents=body.documents)
    events = await runtime.establishments.propose(cmd, ctx)
    runtime.appended()
    return await answer_establishment(runtime, events, 201)


@router.post("/establishments/{proposal_id}/steps", response_model=EstablishmentView)
async def take_establishment_step(
    proposal_id: str, body: EstablishmentStepRequest, runtime: RegistryDep, ctx: ContextDep
) -> Response:
    step = EstablishmentStep(**body.model_dump(exclude={"documents"}), documents=body.documents)
    events = await runtime.establishments.take_step(require_proposal_id(proposal_id), step, ctx)
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
    items = await runtime.queries.establishments(division_prefix, status, after, limit + 1)
    more = len(items) > limit
    items = items[:limit]
    return EstablishmentPage(
        items=items, next_cursor=encode_cursor(items[-1].proposal_id) if more else None
    )


async def answer_conversion(runtime: Registry, events: list[Envelope], status: int) -> Response:
    proposal_id = next(str(e.payload["proposal_id"]) for e in events if "proposal_id" in e.payload)
    headers = {"Location": f"/conversions/{proposal_id}"}
    if await runtime.caught_up(events[-1].checkpoint):
        view = await runtime.queries.conversion(proposal_id)
        if view is not None and view.version == own_version(
            events, conversion.stream_id(proposal_id)
        ):
            return json_response(view, status, headers)
    return Response(status_code=202, headers=headers)


@router.post("/communities/{code}/conversions", status_code=201, response_model=ConversionView)
async def propose_conversion(
    code: str, body: ProposeConversionRequest, runtime: RegistryDep, ctx: ContextDep
) -> Response:
    cmd = ProposeConversion(code=require_valid_code(code), **body.model_dump(exclude={"documents"}),
                            documents=body.documents)  # fmt: skip
    events = await runtime.conversions.propose(cmd, ctx)
    runtime.appended()
    return await answer_conversion(runtime, events, 201)


@router.post("/conversions/{proposal_id}/steps", response_model=ConversionView)
async def take_conversion_step(
    proposal_id: str, body: ConversionStepRequest, runtime: RegistryDep, ctx: ContextDep
) -> Response:
    step = ConversionStep(**body.model_dump(exclude={"documents"}), documents=body.documents)
    events = await runtime.conversions.take_step(require_proposal_id(proposal_id), step, ctx)
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
    items = await runtime.queries.conversions(division_prefix, status, after, limit + 1)
    more = len(items) > limit
    items = items[:limit]
    return ConversionPage(
        items=items, next_cursor=encode_cursor(items[-1].proposal_id) if more else None
    )
