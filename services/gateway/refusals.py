"""Every refusal the gateway itself makes is audited: 400, 401, 403, 409, 422, reads included.

Refusals are what an auditor looks for: a key probing other districts' reads, a client sending
malformed requests, an unknown key. The hook sees each problem the gateway answers (shared/http
`install_problem_handlers`) and writes an audit row with the problem the client got, who sent
it (if anyone known) and the division the request named. Commands the registry answered are
audited by `pipeline.command()` instead, with their command id.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.gateway.auth import Client, Forbidden
from services.gateway.idempotency import command_id_for
from shared.observability.context import correlation_id
from shared.purpose import decoded

_KEPT = ("type", "title", "detail", "errors")


def problem_fields(body: bytes) -> dict[str, Any] | None:
    """The parts of a problem+json body the audit keeps."""
    try:
        problem = orjson.loads(body)
    except orjson.JSONDecodeError:
        return {"detail": body[:500].decode("utf-8", "replace")}
    if not isinstance(problem, dict):
        return {"detail": str(problem)[:500]}
    return {k: problem[k] for k in _KEPT if k in problem}


def _division_tried(exc: Exception) -> str | None:
    if isinstance(exc, Forbidden):
        return exc.division_code
    if isinstance(exc, RequestValidationError) and isinstance(exc.body, dict):
        tried = exc.body.get("division_code")  # a registration or proposal refused as invalid
        return tried[:64] if isinstance(tried, str) else None
    return None


async def audit_refusal(request: Request, exc: Exception, response: JSONResponse) -> None:
    if not 400 <= response.status_code < 500:
        return
    if isinstance(exc, StarletteHTTPException) and not request.url.path.startswith("/v1/"):
        return  # a scanner's 404 outside the API is no refusal of anyone's request
    who: Client | None = getattr(request.state, "client", None)
    key = request.headers.get("idempotency-key")
    key = key[:128] if key else None
    await request.app.state.gateway.audit_command(
        client_id=who.client_id if who else "unauthenticated",
        client_kind=who.kind if who else "none",
        method=request.method,
        path=request.url.path.removeprefix("/v1")[:2048],  # as command rows: the service's path
        status=response.status_code,
        correlation_id=correlation_id.get(),
        command_id=command_id_for(who.client_id, key) if who and key else None,
        idempotency_key=key,
        refusal=problem_fields(bytes(response.body)),
        division_code=_division_tried(exc),
        purpose=_purpose_stated(request),
    )


def _purpose_stated(request: Request) -> str | None:
    """The purpose a refused read of personal data stated, as well as it can be read."""
    raw = request.headers.get("x-purpose")
    if raw is None:
        return None
    return (decoded(raw) or raw)[:200]
