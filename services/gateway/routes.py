"""The gateway's public API, version 1: what district systems and the city platform call."""

from __future__ import annotations

import re
from typing import Annotated, Any
from uuid import uuid4

from fastapi import APIRouter, Depends, Header, Query, Request, Response, Security
from pydantic import BaseModel
from starlette.types import Scope

from services.gateway.auth import BEARER, Client
from services.gateway.forward import Forwarded, ServiceUnavailable
from services.gateway.idempotency import command_id_for, fingerprint
from services.gateway.refusals import problem_fields
from services.gateway.runtime import Gateway
from services.registry.code import is_valid_code, require_valid_code
from services.registry.conversion import ConversionStatus
from services.registry.establishment import EstablishmentStatus
from services.registry.establishment_commands import require_proposal_id
from services.registry.runtime import registry_catalog
from services.registry.schemas import (
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
    ProposeConversionRequest,
    ProposeEstablishmentRequest,
    RegisterCommunityRequest,
    ResizeGridRequest,
    SizeFindings,
    SplitGridRequest,
    UpdateIndicatorsRequest,
)
from shared.contracts import asyncapi_document
from shared.errors import FieldProblem, ValidationFailed, WudingError
from shared.hot_routes import HotResponse, HotRoute
from shared.http import dependency_down
from shared.http_inputs import Moment, if_match_header, parse_if_match
from shared.observability.context import correlation_id
from shared.values import PREFIX_QUERY_PATTERN

PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"description": text, "content": {"application/problem+json": {}}}
    for status, text in {
        400: "More than one credential header",
        401: "No or unknown API key",
        403: "Outside the client's district, or a read-only client",
        404: "Not found",
        409: "Version conflict, duplicate, or Idempotency-Key in flight",
        422: "Invalid input, with a reason per field",
        412: "A weak ETag in If-Match (it never matches)",
        431: "Request header fields too large",
        503: "A dependency is down: retry after Retry-After seconds",
    }.items()
}

# A division-code prefix filter on list routes (shared/values.py's ASCII-digit pattern).
PrefixFilter = Annotated[
    str | None,
    Query(pattern=PREFIX_QUERY_PATTERN, description="Defaults to a district client's own prefix."),
]
router = APIRouter(prefix="/v1", responses=PROBLEMS)


async def gateway(request: Request) -> Gateway:
    runtime: Gateway = request.app.state.gateway
    return runtime


GatewayDep = Annotated[Gateway, Depends(gateway)]


async def client(request: Request, gw: GatewayDep, _: Annotated[Any, Security(BEARER)]) -> Client:
    who = gw.clients.authenticate(request.scope["headers"])
    request.state.client = who  # who a refusal is audited against (services/gateway/refusals)
    return who


ClientDep = Annotated[Client, Depends(client)]
IfMatch = Annotated[
    str | None,
    Header(description='The strong ETag you read, e.g. "3"; 409 if it changed, 412 if weak.'),
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        min_length=8,
        max_length=128,
        # Printable ASCII, no outer spaces (HTTP drops them): a Structured Field string, as
        # the IETF Idempotency-Key draft has it; anything else cannot travel intact.
        pattern=r"^[!-~]([ -~]*[!-~])?$",
        description="Any unique string per command; a retry with it returns the first response.",
    ),
]


def internal_headers(who: Client, **extra: str | None) -> dict[str, str]:
    headers = {
        "x-actor-id": who.client_id,
        "x-actor-kind": who.kind,
        "x-district": who.division_prefix,
        "x-correlation-id": correlation_id.get(),
        **extra,
    }
    return {k: v for k, v in headers.items() if v}


def relayed_headers(forwarded: Forwarded) -> dict[str, str]:
    """The service's headers as the gateway passes them on (content type aside)."""
    headers = {k: v for k, v in forwarded.headers.items() if k != "content-type"}
    if "location" in headers:
        headers["location"] = "/v1" + headers["location"]
    return headers


def relay_response(forwarded: Forwarded, **extra_headers: str) -> Response:
    return Response(
        forwarded.body,
        status_code=forwarded.status,
        headers={**relayed_headers(forwarded), **extra_headers},
        media_type=forwarded.headers.get("content-type", "application/json"),
    )


async def hot_get_community(scope: Scope, match: re.Match[str]) -> HotResponse | None:
    """GET /v1/communities/{code} beneath the framework (shared/hot_routes.py): the same
    checks and relay as get_community; a request it cannot authenticate or may not serve is
    left to get_community, which answers (and audits) the refusal. A failed forward is answered
    by HotRoutes itself, with the same problem: the registry is never asked twice."""
    gw: Gateway = scope["app"].state.gateway
    try:
        who = gw.clients.authenticate(scope["headers"])
    except WudingError:
        return None  # the app refuses it, with the same problem, and audits the refusal
    code = match["code"]
    if not is_valid_code(code) or not who.may_read(code[:12]):
        return None
    forwarded = await gw.registry.send("GET", f"/communities/{code}", headers=internal_headers(who))
    return HotResponse(
        forwarded.status,
        forwarded.body,
        forwarded.headers.get("content-type", "application/json").encode(),
        [(k.encode(), v.encode("latin-1")) for k, v in relayed_headers(forwarded).items()],
    )


HOT_ROUTES = [
    HotRoute("GET", "/v1/communities/{code}", re.compile(r"/v1/communities/(?P<code>[0-9]{17})"),
             hot_get_community),
]  # fmt: skip


def scoped_prefix(who: Client, division_prefix: str | None) -> str:
    """The prefix a list covers: the one asked for (within scope), or the client's own."""
    prefix = division_prefix or who.division_prefix
    if not prefix:
        raise ValidationFailed(
            "name a division prefix",
            errors=[FieldProblem("division_prefix", "required for a client without a district")],
        )
    who.require_read(prefix)
    return prefix


async def relay_read(
    gw: Gateway, who: Client, path: str, params: dict[str, Any] | None = None
) -> Response:
    """A read the client may make (scope checked by the caller), forwarded as it is. A read
    the service refuses (a bad cursor, say) is audited like the gateway's own refusals; a 404
    is an answer, not a refusal."""
    forwarded = await gw.registry.send("GET", path, headers=internal_headers(who), params=params)
    if 400 <= forwarded.status < 500 and forwarded.status != 404:
        await gw.audit_command(
            client_id=who.client_id, client_kind=who.kind, method="GET", path=path,
            status=forwarded.status, correlation_id=correlation_id.get(), command_id=None,
            idempotency_key=None, refusal=refusal_of(forwarded),
            division_code=(params or {}).get("division_prefix"),
        )  # fmt: skip
    return relay_response(forwarded)


async def read_community(
    gw: Gateway, who: Client, code: str, suffix: str, params: dict[str, Any] | None = None
) -> Response:
    """Every read of one community: a valid code, within the client's scope, forwarded."""
    code = require_valid_code(code)
    who.require_read(code[:12])
    return await relay_read(gw, who, f"/communities/{code}{suffix}", params)


def refusal_of(forwarded: Forwarded) -> dict[str, Any] | None:
    """The reasons of a refused command (a 4xx problem), as the audit keeps them."""
    return problem_fields(forwarded.body) if 400 <= forwarded.status < 500 else None


async def command(
    gw: Gateway,
    who: Client,
    *,
    division_code: str,
    method: str,
    path: str,
    body: bytes,
    idempotency_key: str | None,
    if_match: str | None = None,
) -> Response:
    """Scope check, idempotency, forward, audit: every command goes through here.

    A refusal raised here (403, a reused or in-flight key) is audited by refusals.py; what the
    service answered is audited below. A dependency that is down is a 503 (shared/http.py):
    the gateway's database before the claim (nothing was sent), or the service, when the key
    is freed for the retry. If the database fails after the service answered, the key stays
    claimed until its in-flight lease ends; the retry then replays through the command id.
    """
    command_id = command_id_for(who.client_id, idempotency_key) if idempotency_key else uuid4()

    async def audit(status: int, refusal: dict[str, Any] | None = None) -> None:
        await gw.audit_command(
            client_id=who.client_id, client_kind=who.kind, method=method, path=path,
            status=status, correlation_id=correlation_id.get(), command_id=command_id,
            idempotency_key=idempotency_key, refusal=refusal, division_code=division_code,
        )  # fmt: skip

    who.require_command(division_code)
    expected = if_match_header(parse_if_match(if_match))  # refused before the key is claimed
    if idempotency_key:
        stored = await gw.idempotency.claim(
            who.client_id, idempotency_key, fingerprint(method, path, body)
        )
        if stored is not None:
            replayed = Forwarded(stored.status, stored.headers, stored.body)
            return relay_response(replayed, **{"idempotent-replayed": "true"})
    headers = internal_headers(who, **{"x-command-id": str(command_id), "if-match": expected})
    try:
        forwarded = await gw.registry.send(method, path, headers=headers, body=body)
    except ServiceUnavailable:
        if idempotency_key:
            try:
                await gw.idempotency.release(who.client_id, idempotency_key)
            except Exception as exc:  # the database is down too: the in-flight lease frees it
                if not dependency_down(exc):
                    raise
        await audit(503)
        raise
    await audit(forwarded.status, refusal_of(forwarded))
    if idempotency_key:
        if forwarded.status >= 500:
            await gw.idempotency.release(who.client_id, idempotency_key)
        else:
            await gw.idempotency.complete(who.client_id, idempotency_key, forwarded.as_stored())
    return relay_response(forwarded)


async def community_command(
    gw: Gateway,
    who: Client,
    code: str,
    method: str,
    suffix: str,
    body: BaseModel,
    idempotency_key: str | None,
    if_match: str | None,
) -> Response:
    """A command on one community (its code names the district that may issue it)."""
    code = require_valid_code(code)
    return await command(
        gw,
        who,
        division_code=code[:12],
        method=method,
        path=f"/communities/{code}{suffix}",
        body=body.model_dump_json().encode(),
        idempotency_key=idempotency_key,
        if_match=if_match,
    )


@router.get(
    "/contracts/asyncapi.json",
    summary="The AsyncAPI 3.0 contract of the Kafka topics (event schemas, CloudEvents headers)",
    tags=["contracts"],
)
async def event_contracts() -> dict[str, Any]:
    return asyncapi_document({"registry": registry_catalog()}, version="1")


@router.get(
    "/policy-packs",
    response_model=PolicyPackList,
    summary="Every policy pack version: in force or not, its content hash and its publication",
    tags=["policy"],
)
async def policy_packs(gw: GatewayDep, who: ClientDep) -> Response:
    return await relay_read(gw, who, "/policy-packs")


@router.get(
    "/policy-packs/{region}/{version}",
    response_model=PolicyPackDocument,
    summary="One pack version: every weight, threshold and size rule with its seed source",
    tags=["policy"],
)
async def policy_pack(region: str, version: str, gw: GatewayDep, who: ClientDep) -> Response:
    return await relay_read(gw, who, f"/policy-packs/{region}/{version}")


@router.post(
    "/communities",
    status_code=201,
    response_model=CommunityView,
    responses={202: {"model": CommandAccepted}},
    summary="Register an existing community and issue its 17-digit code",
    tags=["registry"],
)
async def register_community(
    body: RegisterCommunityRequest,
    gw: GatewayDep,
    who: ClientDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    return await command(
        gw,
        who,
        division_code=body.division_code,
        method="POST",
        path="/communities",
        body=body.model_dump_json().encode(),
        idempotency_key=idempotency_key,
    )


@router.patch(
    "/communities/{code}/indicators",
    response_model=CommunityView,
    summary="Update a community's indicators (households, residents, area)",
    tags=["registry"],
)
async def update_indicators(
    code: str,
    body: UpdateIndicatorsRequest,
    gw: GatewayDep,
    who: ClientDep,
    idempotency_key: IdempotencyKey = None,
    if_match: IfMatch = None,
) -> Response:
    return await community_command(
        gw, who, code, "PATCH", "/indicators", body, idempotency_key, if_match
    )


@router.get(
    "/communities/{code}",
    response_model=CommunityView | CommunitySnapshot,
    summary="A community by its 17-digit code",
    tags=["registry"],
)
async def get_community(
    code: str,
    gw: GatewayDep,
    who: ClientDep,
    as_of: Annotated[
        Moment | None,
        Query(
            description="Time travel: the community as it was then, e.g. 2025-06-30T00:00:00+08:00"
            " (in a URL: 2025-06-30T00:00:00%2B08:00)"
        ),
    ] = None,
) -> Response:
    params = {"as_of": as_of.isoformat()} if as_of else None
    return await read_community(gw, who, code, "", params)


@router.get(
    "/communities/{code}/history",
    response_model=CommunityHistory,
    summary="Every event of a community: actor, time, policy version, hash-chain status",
    tags=["registry"],
)
async def community_history(code: str, gw: GatewayDep, who: ClientDep) -> Response:
    return await read_community(gw, who, code, "/history")


@router.get(
    "/communities/{code}/explain",
    response_model=Explanation,
    summary="Why a community has its tier: each decision's inputs, policy pack and rule",
    tags=["registry"],
)
async def explain_community(code: str, gw: GatewayDep, who: ClientDep) -> Response:
    return await read_community(gw, who, code, "/explain")


@router.get(
    "/communities/{code}/findings",
    response_model=SizeFindings,
    summary="Size findings (alerts, not refusals): open and resolved, with rule and figures",
    tags=["registry"],
)
async def community_findings(code: str, gw: GatewayDep, who: ClientDep) -> Response:
    return await read_community(gw, who, code, "/findings")


@router.get(
    "/communities",
    response_model=CommunityPage,
    summary="Communities under a division-code prefix, in code order, with a cursor",
    tags=["registry"],
)
async def list_communities(
    gw: GatewayDep,
    who: ClientDep,
    division_prefix: PrefixFilter = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> Response:
    prefix = scoped_prefix(who, division_prefix)
    params: dict[str, Any] = {"division_prefix": prefix, "limit": limit}
    if cursor:
        params["cursor"] = cursor
    return await relay_read(gw, who, "/communities", params)


@router.get(
    "/communities/{code}/grids",
    response_model=CommunityGrids,
    summary="A community's grids and micro-grids (closed ones too); `as_of` for the past",
    tags=["grids"],
)
async def community_grids(
    code: str,
    gw: GatewayDep,
    who: ClientDep,
    as_of: Annotated[Moment | None, Query(description="Time travel")] = None,
) -> Response:
    params = {"as_of": as_of.isoformat()} if as_of else None
    return await read_community(gw, who, code, "/grids", params)


@router.post(
    "/communities/{code}/grids",
    status_code=201,
    response_model=CommunityGrids,
    summary="Create a grid (with its micro-grids); its 17-digit grid code is issued",
    tags=["grids"],
)
async def create_grid(
    code: str, body: CreateGridRequest, gw: GatewayDep, who: ClientDep,
    idempotency_key: IdempotencyKey = None, if_match: IfMatch = None,
) -> Response:  # fmt: skip
    return await community_command(gw, who, code, "POST", "/grids", body, idempotency_key, if_match)


@router.put(
    "/communities/{code}/grids/{grid}/figures",
    response_model=CommunityGrids,
    summary="Resize a grid: its households, population, area, entities (and micro-grids')",
    tags=["grids"],
)
async def resize_grid(
    code: str, grid: str, body: ResizeGridRequest, gw: GatewayDep, who: ClientDep,
    idempotency_key: IdempotencyKey = None, if_match: IfMatch = None,
) -> Response:  # fmt: skip
    return await community_command(
        gw, who, code, "PUT", f"/grids/{grid}/figures", body, idempotency_key, if_match
    )


@router.post(
    "/communities/{code}/grids/{grid}/micro-grids",
    response_model=CommunityGrids,
    summary="Add a micro-grid to a grid (一企一格 / 一园一格 / 一楼一格, or households)",
    tags=["grids"],
)
async def add_micro_grid(
    code: str, grid: str, body: MicroGridInput, gw: GatewayDep, who: ClientDep,
    idempotency_key: IdempotencyKey = None, if_match: IfMatch = None,
) -> Response:  # fmt: skip
    return await community_command(
        gw, who, code, "POST", f"/grids/{grid}/micro-grids", body, idempotency_key, if_match
    )


@router.post(
    "/communities/{code}/grids/merge",
    response_model=CommunityGrids,
    summary="Merge grids: the sources close, a new grid holds their figures and micro-grids",
    tags=["grids"],
)
async def merge_grids(
    code: str, body: MergeGridsRequest, gw: GatewayDep, who: ClientDep,
    idempotency_key: IdempotencyKey = None, if_match: IfMatch = None,
) -> Response:  # fmt: skip
    return await community_command(
        gw, who, code, "POST", "/grids/merge", body, idempotency_key, if_match
    )


@router.post(
    "/communities/{code}/grids/{grid}/split",
    response_model=CommunityGrids,
    summary="Split a grid into parts that divide its figures and micro-grids exactly",
    tags=["grids"],
)
async def split_grid(
    code: str, grid: str, body: SplitGridRequest, gw: GatewayDep, who: ClientDep,
    idempotency_key: IdempotencyKey = None, if_match: IfMatch = None,
) -> Response:  # fmt: skip
    return await community_command(
        gw, who, code, "POST", f"/grids/{grid}/split", body, idempotency_key, if_match
    )


@router.post(
    "/communities/{code}/grids/{grid}/assignments",
    response_model=CommunityGrids,
    summary="Assign households, people or entities to a grid (new, or from another grid)",
    tags=["grids"],
)
async def assign_to_grid(
    code: str, grid: str, body: AssignToGridRequest, gw: GatewayDep, who: ClientDep,
    idempotency_key: IdempotencyKey = None, if_match: IfMatch = None,
) -> Response:  # fmt: skip
    return await community_command(
        gw, who, code, "POST", f"/grids/{grid}/assignments", body, idempotency_key, if_match
    )


@router.post(
    "/communities/{code}/residents-committee",
    response_model=CommunityView,
    summary="Record that the community's residents' committee was set up",
    tags=["registry"],
)
async def establish_residents_committee(
    code: str, body: EstablishCommitteeRequest, gw: GatewayDep, who: ClientDep,
    idempotency_key: IdempotencyKey = None, if_match: IfMatch = None,
) -> Response:  # fmt: skip
    return await community_command(
        gw, who, code, "POST", "/residents-committee", body, idempotency_key, if_match
    )


@router.post(
    "/establishments",
    status_code=201,
    response_model=EstablishmentView,
    summary="方案申报: propose an industrial community (seed 000 §二(一)4)",
    tags=["establishment"],
)
async def propose_establishment(
    body: ProposeEstablishmentRequest, gw: GatewayDep, who: ClientDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:  # fmt: skip
    return await command(
        gw, who, division_code=body.division_code, method="POST", path="/establishments",
        body=body.model_dump_json().encode(), idempotency_key=idempotency_key,
    )  # fmt: skip


@router.post(
    "/establishments/{proposal_id}/steps",
    response_model=EstablishmentView,
    summary="Record a step: preliminary_review, field_survey, joint_review, approval,"
    " registration (in that order; out of order is refused naming the missing step)",
    tags=["establishment"],
)
async def take_establishment_step(
    proposal_id: str, body: EstablishmentStepRequest, gw: GatewayDep, who: ClientDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:  # fmt: skip
    proposal_id = require_proposal_id(proposal_id)
    return await command(
        gw, who, division_code=proposal_id[:12], method="POST",
        path=f"/establishments/{proposal_id}/steps", body=body.model_dump_json().encode(),
        idempotency_key=idempotency_key,
    )  # fmt: skip


@router.get(
    "/establishments/{proposal_id}",
    response_model=EstablishmentView,
    summary="One proposal: every step taken, its status and the step it waits for",
    tags=["establishment"],
)
async def get_establishment(proposal_id: str, gw: GatewayDep, who: ClientDep) -> Response:
    proposal_id = require_proposal_id(proposal_id)
    who.require_read(proposal_id[:12])
    return await relay_read(gw, who, f"/establishments/{proposal_id}")


@router.get(
    "/establishments",
    response_model=EstablishmentPage,
    summary="Where each proposal stands, under a division prefix (optionally one status)",
    tags=["establishment"],
)
async def list_establishments(
    gw: GatewayDep,
    who: ClientDep,
    division_prefix: PrefixFilter = None,
    status: EstablishmentStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> Response:
    return await list_page(gw, who, "/establishments", division_prefix, status, limit, cursor)


@router.post(
    "/communities/{code}/conversions",
    status_code=201,
    response_model=ConversionView,
    summary="撤村建居: propose converting a village community (seed 002 §三)",
    tags=["conversion"],
)
async def propose_conversion(
    code: str, body: ProposeConversionRequest, gw: GatewayDep, who: ClientDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:  # fmt: skip
    return await community_command(
        gw, who, code, "POST", "/conversions", body, idempotency_key, None
    )


@router.post(
    "/conversions/{proposal_id}/steps",
    response_model=ConversionView,
    summary="Record a step: consent, civil_affairs_review, approval (successor created), filing",
    tags=["conversion"],
)
async def take_conversion_step(
    proposal_id: str, body: ConversionStepRequest, gw: GatewayDep, who: ClientDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:  # fmt: skip
    proposal_id = require_proposal_id(proposal_id)
    return await command(
        gw, who, division_code=proposal_id[:12], method="POST",
        path=f"/conversions/{proposal_id}/steps", body=body.model_dump_json().encode(),
        idempotency_key=idempotency_key,
    )  # fmt: skip


@router.get(
    "/conversions/{proposal_id}",
    response_model=ConversionView,
    summary="One conversion proposal: its steps, status and the successor's code",
    tags=["conversion"],
)
async def get_conversion(proposal_id: str, gw: GatewayDep, who: ClientDep) -> Response:
    proposal_id = require_proposal_id(proposal_id)
    who.require_read(proposal_id[:12])
    return await relay_read(gw, who, f"/conversions/{proposal_id}")


@router.get(
    "/conversions",
    response_model=ConversionPage,
    summary="Where each 撤村建居 proposal stands, under a division prefix (optionally one status)",
    tags=["conversion"],
)
async def list_conversions(
    gw: GatewayDep,
    who: ClientDep,
    division_prefix: PrefixFilter = None,
    status: ConversionStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> Response:
    return await list_page(gw, who, "/conversions", division_prefix, status, limit, cursor)


async def list_page(
    gw: Gateway, who: Client, path: str, division_prefix: str | None, status: str | None,
    limit: int, cursor: str | None,
) -> Response:  # fmt: skip
    """A page of a workflow's proposals, under the client's scope (one status, optionally)."""
    prefix = scoped_prefix(who, division_prefix)
    params: dict[str, Any] = {"division_prefix": prefix, "limit": limit}
    params.update({k: v for k, v in {"status": status, "cursor": cursor}.items() if v})
    return await relay_read(gw, who, path, params)
