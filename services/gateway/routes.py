"""The gateway's public API, version 1, built from the services' contracts.

Every route a service lists in its contract (services/<name>/contract.py, named in
services/topology.py) becomes one public route here, with the same generic steps: authenticate,
find the district the contract names and check the client's scope, then relay a read or run a
command through idempotency, If-Match and the audit (services/gateway/pipeline.py). No route
has code of its own; a composition endpoint (a view over several services) would be the only
kind written by hand.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from enum import Enum
from inspect import Parameter, Signature
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response, Security
from starlette.types import Scope

from services.gateway.auth import BEARER, Client
from services.gateway.pipeline import command, internal_headers, relay_read, relayed_headers
from services.gateway.runtime import Gateway
from shared.contracts import asyncapi_document
from shared.errors import FieldProblem, ValidationFailed, WudingError
from shared.hot_routes import HotResponse, HotRoute
from shared.purpose import stated_purpose
from shared.service_contract import (
    BodyField,
    District,
    PathCode,
    PrefixQuery,
    Route,
    ServiceContract,
)

PREFIX = "/v1"
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


async def gateway(request: Request) -> Gateway:
    runtime: Gateway = request.app.state.gateway
    return runtime


GatewayDep = Annotated[Gateway, Depends(gateway)]


async def client(request: Request, gw: GatewayDep, _: Annotated[Any, Security(BEARER)]) -> Client:
    who = gw.clients.authenticate(request.scope["headers"])
    request.state.client = who  # who a refusal is audited against (services/gateway/refusals)
    return who


ClientDep = Annotated[Client, Depends(client)]
PurposeHeader = Annotated[
    str,
    Header(
        alias="X-Purpose",
        json_schema_extra={"minLength": 5, "maxLength": 600},  # 200 characters, encoded
        description="Why you read this personal data: 5-200 characters, UTF-8 (raw or"
        " percent-encoded). Required; audited with the read, granted or refused.",
    ),
]
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


def scoped_prefix(who: Client, division_prefix: str | None) -> str:
    """The prefix a list covers: the one asked for (within scope), or the client's own."""
    prefix = division_prefix or who.division_prefix
    if not prefix:
        raise ValidationFailed(
            "name a division prefix",
            errors=[FieldProblem("division_prefix", "required for a client without a district")],
        )
    return prefix


def find_district(
    district: District | None,
    who: Client,
    values: dict[str, str],
    params: dict[str, Any],
    body: Any,
) -> str | None:
    """The division the request acts on or reads, as the contract says to find it. A path
    parameter it names is checked (and refused with its reason) here, and a list's prefix
    defaults to the client's own; both are rewritten in place for the forward."""
    match district:
        case PathCode(param=param, check=check):
            values[param] = check(values[param])
            return values[param][:12]
        case BodyField(name=name):
            return str(getattr(body, name))
        case PrefixQuery(param=param):
            params[param] = scoped_prefix(who, params.get(param))
            return str(params[param])
    return None


def _wire(value: Any) -> Any:
    """A query parameter's value as the service reads it."""
    if isinstance(value, datetime):
        return value.isoformat()
    return value.value if isinstance(value, Enum) else value


async def serve(gw: Gateway, service: str, route: Route, args: dict[str, Any]) -> Response:
    """One request to a contract's route: the district, the scope, then the read or command."""
    who: Client = args["who"]
    values = {name: args[name] for name in route.path_params}
    params = {q.name: _wire(args[q.name]) for q in route.query if args[q.name] is not None}
    body = args.get("body")
    district = find_district(route.district, who, values, params, body)
    path = route.service_path.format(**values)
    forwarder = gw.forwarders[service]
    if route.kind == "read":
        purpose = stated_purpose(args["purpose"]) if route.purpose else None
        if district is not None:
            who.require_read(district)
        return await relay_read(
            gw, forwarder, who, path, params, audited_division=district, purpose=purpose
        )
    assert district is not None  # a contract's command names its district (Route checks)
    return await command(
        gw,
        forwarder,
        who,
        division_code=district,
        method=route.method,
        path=path,
        body=body.model_dump_json().encode() if body is not None else b"",
        idempotency_key=args["idempotency_key"],
        if_match=args.get("if_match"),
    )


def _parameters(route: Route) -> list[Parameter]:
    """The endpoint's signature, as a hand-written route would declare it: FastAPI validates
    the request and documents it from this."""

    def param(name: str, annotation: Any, default: Any = Parameter.empty) -> Parameter:
        return Parameter(name, Parameter.KEYWORD_ONLY, annotation=annotation, default=default)

    out = [param(name, route.path_types.get(name, str)) for name in route.path_params]
    if route.request_model is not None:
        out.append(param("body", route.request_model))
    out += [param("gw", GatewayDep), param("who", ClientDep)]
    out += [param(q.name, q.annotation, q.default) for q in route.query]
    if route.kind == "command":
        out.append(param("idempotency_key", IdempotencyKey, None))
    if route.if_match:
        out.append(param("if_match", IfMatch, None))
    if route.purpose:
        out.append(param("purpose", PurposeHeader))
    return out


def endpoint(service: str, route: Route) -> Callable[..., Awaitable[Response]]:
    async def answer(**args: Any) -> Response:
        return await serve(args["gw"], service, route, args)

    answer.__signature__ = Signature(_parameters(route), return_annotation=Response)  # type: ignore[attr-defined]
    answer.__name__ = route.name
    return answer


def build_router(contracts: Sequence[ServiceContract]) -> APIRouter:
    router = APIRouter(prefix=PREFIX, responses=PROBLEMS)

    async def event_contracts() -> dict[str, Any]:
        return asyncapi_document({c.service: c.events() for c in contracts}, version="1")

    router.add_api_route(
        "/contracts/asyncapi.json",
        event_contracts,
        methods=["GET"],
        summary="The AsyncAPI 3.0 contract of the Kafka topics (event schemas, CloudEvents"
        " headers)",
        tags=["contracts"],
    )
    for contract in contracts:
        for route in contract.routes:
            router.add_api_route(
                route.path,
                endpoint(contract.service, route),
                methods=[route.method],
                name=route.name,
                response_model=route.response_model,
                status_code=route.status_code,
                responses=dict(route.responses),
                summary=route.summary,
                tags=list(route.tags),
            )
    return router


def _hot_pattern(route: Route) -> re.Pattern[str]:
    """The public path as a regex: the district's parameter in its contract shape."""
    assert isinstance(route.district, PathCode)
    shapes = {route.district.param: route.district.pattern}
    pieces = re.split(r"{(\w+)}", PREFIX + route.path)  # literal, name, literal, ...
    regex = "".join(
        f"(?P<{piece}>{shapes.get(piece, '[^/]+')})" if i % 2 else re.escape(piece)
        for i, piece in enumerate(pieces)
    )
    return re.compile(regex)


def _hot_handler(
    service: str, route: Route
) -> Callable[[Scope, re.Match[str]], Awaitable[HotResponse | None]]:
    async def handle(scope: Scope, match: re.Match[str]) -> HotResponse | None:
        """The route's read beneath the framework (shared/hot_routes.py): the same checks and
        relay as `serve`; a request it cannot authenticate or may not serve is left to the
        app, which answers (and audits) the refusal. A failed forward is answered by HotRoutes
        itself, with the same problem: the service is never asked twice."""
        gw: Gateway = scope["app"].state.gateway
        values = match.groupdict()
        try:
            who = gw.clients.authenticate(scope["headers"])
            district = find_district(route.district, who, values, {}, None)
        except WudingError:
            return None  # the app refuses it, with the same problem, and audits the refusal
        if district is None or not who.may_read(district):
            return None
        forwarded = await gw.forwarders[service].send(
            "GET", route.service_path.format(**values), headers=internal_headers(who)
        )
        return HotResponse(
            forwarded.status,
            forwarded.body,
            forwarded.headers.get("content-type", "application/json").encode(),
            [(k.encode(), v.encode("latin-1")) for k, v in relayed_headers(forwarded).items()],
        )

    return handle


def hot_routes(contracts: Sequence[ServiceContract]) -> list[HotRoute]:
    return [
        HotRoute(
            route.method, PREFIX + route.path, _hot_pattern(route), _hot_handler(c.service, route)
        )
        for c in contracts
        for route in c.routes
        if route.hot
    ]
