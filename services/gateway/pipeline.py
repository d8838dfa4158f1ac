"""What the gateway does with every request it forwards: one read path and one command path.

Scope is checked by the caller (services/gateway/routes.py, from the route's contract); here a
read is relayed and its refusals audited, and a command goes through idempotency, If-Match,
the forward and the audit. No route has code of its own.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote
from uuid import uuid4

from fastapi import Response

from services.gateway.auth import Client
from services.gateway.forward import Forwarded, Forwarder, ServiceUnavailable
from services.gateway.idempotency import command_id_for, fingerprint
from services.gateway.refusals import problem_fields
from services.gateway.runtime import Gateway
from shared.http import dependency_down
from shared.http_inputs import if_match_header, parse_if_match
from shared.observability.context import correlation_id


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


def refusal_of(forwarded: Forwarded) -> dict[str, Any] | None:
    """The reasons of a refused command (a 4xx problem), as the audit keeps them."""
    return problem_fields(forwarded.body) if 400 <= forwarded.status < 500 else None


async def relay_read(
    gw: Gateway,
    service: Forwarder,
    who: Client,
    path: str,
    params: dict[str, Any] | None = None,
    *,
    audited_division: str | None = None,
    purpose: str | None = None,
) -> Response:
    """A read the client may make (scope checked by the caller), forwarded as it is. A read
    the service refuses (a bad cursor, say) is audited like the gateway's own refusals; a 404
    is an answer, not a refusal. A read of personal data (`purpose` stated) is audited
    whatever its outcome, and answered only once its audit row is written."""
    extra = {"x-purpose": quote(purpose, safe="")} if purpose else {}
    headers = internal_headers(who, **extra)
    forwarded = await service.send("GET", path, headers=headers, params=params)
    refused = 400 <= forwarded.status < 500 and forwarded.status != 404
    if refused or purpose:
        await gw.audit_command(
            client_id=who.client_id, client_kind=who.kind, method="GET", path=path,
            status=forwarded.status, correlation_id=correlation_id.get(), command_id=None,
            idempotency_key=None, refusal=refusal_of(forwarded) if refused else None,
            division_code=audited_division, purpose=purpose, required=purpose is not None,
        )  # fmt: skip
    return relay_response(forwarded)


async def command(
    gw: Gateway,
    service: Forwarder,
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
        forwarded = await service.send(method, path, headers=headers, body=body)
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
