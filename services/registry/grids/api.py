"""The grid routes of a community."""

from __future__ import annotations

from fastapi import APIRouter, Response

from services.registry.community.schemas import (
    CommandAccepted,
)
from services.registry.grids.commands import (
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
from services.registry.grids.schemas import (
    AssignToGridRequest,
    CommunityGrids,
    CreateGridRequest,
    MergeGridsRequest,
    MicroGridInput,
    ResizeGridRequest,
    SplitGridRequest,
)
from services.registry.runtime import Registry
from services.registry.web import ContextDep, IfMatch, RegistryDep, json_response
from shared.commands import CommandContext
from shared.community_code import require_valid_code
from shared.errors import NotFound
from shared.eventstore import Envelope
from shared.http_inputs import Moment, parse_if_match

router = APIRouter()


async def answer_grids(runtime: Registry, events: list[Envelope], status: int) -> Response:
    """The community's grids as this grid command left them, once the read model shows them.

    The grids and the last event of the community's stream the grids projection applied are
    read in one snapshot of that projection: that event being the command's own means no
    later writer's grids are in the answer (the communities projection's version is not
    used: projectors that commit apart may stand at different events).
    """
    last = events[-1]
    code = str(last.payload["code"])
    headers = {"Location": f"/communities/{code}/grids", "ETag": f'"{last.stream_version}"'}
    if await runtime.caught_up(last.checkpoint):
        head, grids = await runtime.queries.grids_at_head(code)
        if head == last.stream_version:
            return json_response(grids, status, headers)
    return json_response(CommandAccepted(code=code, version=last.stream_version), 202, headers)


async def run_grid_command(
    runtime: Registry, cmd: GridCommand, ctx: CommandContext, status: int
) -> Response:
    events = await runtime.commands.grids.handle(cmd, ctx)
    runtime.appended()
    return await answer_grids(runtime, events, status)


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
