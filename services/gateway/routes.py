"""The gateway's public API, version 1: what district systems and the city platform call."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import uuid4

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import AwareDatetime

from services.gateway.auth import Client, Forbidden
from services.gateway.forward import Forwarded, ServiceUnavailable
from services.gateway.idempotency import command_id_for, fingerprint
from services.gateway.runtime import Gateway
from services.registry.code import require_valid_code
from services.registry.runtime import registry_catalog
from services.registry.schemas import (
    CommandAccepted,
    CommunityHistory,
    CommunityPage,
    CommunityView,
    Explanation,
    RegisterCommunityRequest,
    SizeFindings,
    UpdateIndicatorsRequest,
)
from shared.contracts import asyncapi_document
from shared.errors import FieldProblem, ValidationFailed
from shared.observability.context import correlation_id

PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"description": text, "content": {"application/problem+json": {}}}
    for status, text in {
        401: "No or unknown API key",
        403: "Outside the client's district, or a read-only client",
        404: "Not found",
        409: "Version conflict, duplicate, or Idempotency-Key in flight",
        422: "Invalid input, with a reason per field",
        503: "A service behind the gateway did not answer",
    }.items()
}

router = APIRouter(prefix="/v1", responses=PROBLEMS)


async def gateway(request: Request) -> Gateway:
    runtime: Gateway = request.app.state.gateway
    return runtime


GatewayDep = Annotated[Gateway, Depends(gateway)]


async def client(
    gw: GatewayDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
    x_api_key: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Client:
    return gw.clients.authenticate(authorization, x_api_key)


ClientDep = Annotated[Client, Depends(client)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        min_length=8,
        max_length=128,
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


def relay_response(forwarded: Forwarded, **extra_headers: str) -> Response:
    headers = {k: v for k, v in forwarded.headers.items() if k != "content-type"}
    if "location" in headers:
        headers["location"] = "/v1" + headers["location"]
    headers.update(extra_headers)
    return Response(
        forwarded.body,
        status_code=forwarded.status,
        headers=headers,
        media_type=forwarded.headers.get("content-type", "application/json"),
    )


async def read_community(
    gw: Gateway, who: Client, code: str, suffix: str, params: dict[str, Any] | None = None
) -> Response:
    """Every read of one community: a valid code, within the client's scope, forwarded."""
    code = require_valid_code(code)
    who.require_read(code[:12])
    forwarded = await gw.registry.send(
        "GET", f"/communities/{code}{suffix}", headers=internal_headers(who), params=params
    )
    return relay_response(forwarded)


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
    """Scope check, idempotency, forward, audit: every command goes through here."""
    command_id = command_id_for(who.client_id, idempotency_key) if idempotency_key else uuid4()

    async def audit(status: int) -> None:
        await gw.audit_command(
            client_id=who.client_id, client_kind=who.kind, method=method, path=path,
            status=status, correlation_id=correlation_id.get(), command_id=command_id,
            idempotency_key=idempotency_key,
        )  # fmt: skip

    try:
        who.require_command(division_code)
    except Forbidden:
        await audit(403)  # refusals are audited too: they are what an auditor looks for
        raise
    if idempotency_key:
        stored = await gw.idempotency.claim(
            who.client_id, idempotency_key, fingerprint(method, path, body)
        )
        if stored is not None:
            replayed = Forwarded(stored.status, stored.headers, stored.body)
            return relay_response(replayed, **{"idempotent-replayed": "true"})
    headers = internal_headers(who, **{"x-command-id": str(command_id), "if-match": if_match})
    status = 503
    try:
        forwarded = await gw.registry.send(method, path, headers=headers, body=body)
        status = forwarded.status
    except ServiceUnavailable:
        if idempotency_key:
            await gw.idempotency.release(who.client_id, idempotency_key)
        raise
    finally:
        await audit(status)
    if idempotency_key:
        if forwarded.status >= 500:
            await gw.idempotency.release(who.client_id, idempotency_key)
        else:
            await gw.idempotency.complete(who.client_id, idempotency_key, forwarded.as_stored())
    return relay_response(forwarded)


@router.get(
    "/contracts/asyncapi.json",
    summary="The AsyncAPI 3.0 contract of the Kafka topics (event schemas, CloudEvents headers)",
    tags=["contracts"],
)
async def event_contracts() -> dict[str, Any]:
    return asyncapi_document({"registry": registry_catalog()}, version="1")


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
    if_match: Annotated[
        str | None, Header(description="The ETag (version) you read; 409 if it changed.")
    ] = None,
) -> Response:
    code = require_valid_code(code)
    return await command(
        gw,
        who,
        division_code=code[:12],
        method="PATCH",
        path=f"/communities/{code}/indicators",
        body=body.model_dump_json().encode(),
        idempotency_key=idempotency_key,
        if_match=if_match,
    )


@router.get(
    "/communities/{code}",
    response_model=CommunityView,
    summary="A community by its 17-digit code",
    tags=["registry"],
)
async def get_community(
    code: str,
    gw: GatewayDep,
    who: ClientDep,
    as_of: Annotated[
        AwareDatetime | None,
        Query(
            description="Time travel: the community as it was then, e.g. 2025-06-30T00:00:00+08:00"
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
    division_prefix: Annotated[
        str | None,
        Query(pattern=r"^\d{2,12}$", description="Defaults to a district client's own prefix."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> Response:
    prefix = division_prefix or who.division_prefix
    if not prefix:
        raise ValidationFailed(
            "name a division prefix",
            errors=[FieldProblem("division_prefix", "required for a client without a district")],
        )
    who.require_read(prefix)
    params: dict[str, Any] = {"division_prefix": prefix, "limit": limit}
    if cursor:
        params["cursor"] = cursor
    forwarded = await gw.registry.send(
        "GET", "/communities", headers=internal_headers(who), params=params
    )
    return relay_response(forwarded)
