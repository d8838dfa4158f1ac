"""The community routes: register, update, read (hot and as of a moment), explain, history."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from starlette.types import Scope

from services.registry.community.commands import (
    EstablishResidentsCommittee,
    RecordPartyOrganisation,
    RegisterCommunity,
    UpdateCommunityIndicators,
)
from services.registry.community.events import Indicators
from services.registry.community.schemas import (
    INDICATOR_FIELDS,
    CommandAccepted,
    CommunityHistory,
    CommunityPage,
    CommunitySnapshot,
    CommunityView,
    EstablishCommitteeRequest,
    Explanation,
    PartyOrganisationRequest,
    RegisterCommunityRequest,
    SizeFindings,
    UpdateIndicatorsRequest,
)
from services.registry.runtime import Registry
from services.registry.web import (
    ContextDep,
    IfMatch,
    RegistryDep,
    decode_cursor,
    json_response,
    page,
)
from shared.community_code import is_valid_code, require_valid_code
from shared.errors import NotFound
from shared.eventstore import Envelope
from shared.hot_routes import HotResponse, HotRoute
from shared.http_inputs import Moment, parse_if_match
from shared.values import PREFIX_QUERY_PATTERN

router = APIRouter()


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
    events = await runtime.commands.communities.register_community(command, ctx)
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
    events = await runtime.commands.communities.update_indicators(cmd, ctx)
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
    found = await runtime.queries.list_by_division(division_prefix, after, limit + 1)
    items, next_cursor = page(found, limit, lambda item: item.code)
    return CommunityPage(items=items, next_cursor=next_cursor)


@router.post("/communities/{code}/residents-committee", response_model=CommunityView)
async def establish_residents_committee(
    code: str, body: EstablishCommitteeRequest, runtime: RegistryDep, ctx: ContextDep,
    if_match: IfMatch = None,
) -> Response:  # fmt: skip
    command = EstablishResidentsCommittee(
        require_valid_code(code), body.committee_name, parse_if_match(if_match)
    )
    events = await runtime.commands.communities.establish_residents_committee(command, ctx)
    runtime.appended()
    return await answer(runtime, events, 200)


@router.put("/communities/{code}/party-organisation", response_model=CommunityView)
async def record_party_organisation(
    code: str, body: PartyOrganisationRequest, runtime: RegistryDep, ctx: ContextDep,
    if_match: IfMatch = None,
) -> Response:  # fmt: skip
    command = RecordPartyOrganisation(
        require_valid_code(code), body.party_organisation, body.party_members,
        parse_if_match(if_match),
    )  # fmt: skip
    events = await runtime.commands.communities.record_party_organisation(command, ctx)
    runtime.appended()
    if not events:  # already as recorded: the community as it is
        return await get_community(code, runtime)
    return await answer(runtime, events, 200)
