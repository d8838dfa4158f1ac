"""What every service's HTTP side shares: problem+json errors, request context, health, metrics.

Errors are RFC 9457 `application/problem+json` with a `type` URN per kind of problem and, for
invalid input, an `errors` list naming each field and its reason.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from typing import Any
from uuid import uuid4

import asyncpg
import structlog
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from opentelemetry import trace
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import DependencyUnavailable, FieldProblem, WudingError
from shared.observability import metrics
from shared.observability.context import correlation_id
from shared.observability.tracing import context_from, tracing_enabled

log = structlog.get_logger("wuding.http")
tracer = trace.get_tracer("wuding.http")
PROBLEM_JSON = "application/problem+json"
ReadinessCheck = Callable[[], Awaitable[None]]
HealthReport = Callable[[], Awaitable[dict[str, Any]]]


def problem(
    status: int,
    slug: str,
    title: str,
    detail: str,
    *,
    errors: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"urn:wuding:problem:{slug}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    corr = correlation_id.get()
    if corr:
        body["correlation_id"] = corr
    if errors:
        body["errors"] = [{"field": e.field, "reason": e.reason} for e in errors]
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    return ".".join(parts) or "body"


# A dependency that is down, whichever library reports it: refused or reset connections and
# timeouts (OSError, pool acquire timeouts included), PostgreSQL shutting down, starting up or
# out of connections, a connection asyncpg lost mid-operation, a broker that does not answer.
DEPENDENCY_DOWN: tuple[type[Exception], ...] = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
    KafkaConnectionError,
    KafkaTimeoutError,
)
# asyncpg reports a connection left broken by an outage ("another operation is in progress"
# after a cancelled query, "connection is closed") as a bare InterfaceError, the class it also
# uses for programming errors (a wrong argument count; DataError subclasses it), or as an
# InternalClientError ("cannot switch to state 15; another operation (2) is in progress", a
# server killed mid-query): only these messages mean "down".
_BROKEN_CONNECTION_CLASSES = (asyncpg.InterfaceError, asyncpg.InternalClientError)
_LOST_CONNECTION = (
    "another operation",
    "connection is closed",
    "pool is closing",
    "pool is closed",
    "released back to the pool",
)


def dependency_down(exc: BaseException) -> bool:
    """Whether `exc` says a dependency is down (retry later), not that the request or code is
    wrong. The one test: problem_for and every best-effort write use it."""
    if isinstance(exc, DEPENDENCY_DOWN):
        return True
    return type(exc) in _BROKEN_CONNECTION_CLASSES and any(m in str(exc) for m in _LOST_CONNECTION)


def problem_for(exc: Exception) -> JSONResponse:
    """The one mapping from an exception to the problem a caller gets."""
    if isinstance(exc, WudingError):
        headers = None
        if isinstance(exc, DependencyUnavailable):
            headers = {"Retry-After": str(exc.retry_after_seconds)}
        return problem(exc.status, exc.slug, exc.title, exc.detail, errors=exc.errors,
                       headers=headers)  # fmt: skip
    if isinstance(exc, RequestValidationError):
        errors = [FieldProblem(_field_name(tuple(e["loc"])), e["msg"]) for e in exc.errors()]
        return problem(
            422,
            "validation-failed",
            "The request is not valid",
            "one or more fields are invalid",
            errors=errors,
        )
    if isinstance(exc, StarletteHTTPException):
        slug = {404: "not-found", 405: "method-not-allowed", 401: "unauthenticated"}.get(
            exc.status_code, "http-error"
        )
        return problem(
            exc.status_code,
            slug,
            str(exc.detail),
            str(exc.detail),
            headers=getattr(exc, "headers", None),
        )
    if dependency_down(exc):
        # Not the caller's fault and not a bug: say so, and when to come back. The type only:
        # a driver's message may quote a host or a query.
        log.warning("http.dependency_down", error=type(exc).__name__)
        return problem_for(
            DependencyUnavailable(f"a dependency did not answer ({type(exc).__name__})")
        )
    log.error("http.unhandled_error", error=repr(exc), exc_info=exc)
    return problem(
        500,
        "internal-error",
        "Internal error",
        "the request could not be completed; quote the correlation id",
    )


# Called with each problem an exception became, before it is sent (the gateway audits refusals).
ProblemHook = Callable[[Request, Exception, JSONResponse], Awaitable[None]]


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(request: Request) -> str:
    """Every method the path takes (RFC 9110 §15.5.6): Starlette's 405 names only those of
    the first route matching the path, and a path's GET and POST are two routes."""
    routes = request.app.router.routes
    return ", ".join(
        m for m in _METHODS
        if any(r.matches({**request.scope, "method": m})[0] == Match.FULL for r in routes)
    )  # fmt: skip


def install_problem_handlers(app: FastAPI, on_problem: ProblemHook | None = None) -> None:
    async def handle(request: Request, exc: Exception) -> JSONResponse:
        response = problem_for(exc)
        if isinstance(exc, StarletteHTTPException) and exc.status_code == 405:
            response.headers["Allow"] = _allowed_methods(request)
        if on_problem is not None:
            await on_problem(request, exc, response)
        return response

    kinds = (WudingError, RequestValidationError, StarletteHTTPException, asyncpg.InterfaceError)
    for kind in (*kinds, *DEPENDENCY_DOWN):
        app.add_exception_handler(kind, handle)
    app.add_exception_handler(Exception, handle)  # what is left: a 500, logged


def install_operational_routes(
    app: FastAPI, checks: list[ReadinessCheck], report: HealthReport | None = None
) -> None:
    """`/healthz` (the process runs), `/readyz` (its dependencies answer), `/metrics`.

    `report` adds details to both bodies, e.g. `parked`: events a read model could not apply.
    They do not make the process unready: every replica meets the same event, so an unready
    pod everywhere would be an outage; `wuding_parked_events` is what an alert fires on.
    """

    async def details() -> dict[str, Any]:
        if report is None:
            return {}
        try:
            return await report()
        except Exception as exc:  # the report is a detail: it never fails the probe
            return {"report_error": type(exc).__name__}

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, Any]:
        return {"status": "ok", **await details()}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> Response:
        for check in checks:
            try:
                await check()
            except Exception as exc:
                return problem(
                    503, "not-ready", "Not ready", f"{check.__name__}: {type(exc).__name__}"
                )
        return JSONResponse({"status": "ready", **await details()})

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


class RequestContextMiddleware:
    """Pure ASGI: trace context in, server span, X-Request-Id and correlation id, latency metric."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        request_id = headers.get("x-request-id") or uuid4().hex
        corr = headers.get("x-correlation-id") or request_id
        token = correlation_id.set(corr)
        status = 500
        started = time.perf_counter()

        async def send_with_ids(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                    (b"x-correlation-id", corr.encode()),
                ]
            await send(message)

        method = scope["method"]
        span = (
            tracer.start_as_current_span(
                f"{method} {scope['path']}",
                context=context_from(headers),
                kind=trace.SpanKind.SERVER,
            )
            if tracing_enabled()
            else nullcontext(None)
        )
        with span as current:
            try:
                await self.app(scope, receive, send_with_ids)
            finally:
                route = getattr(scope.get("route"), "path", "unmatched")
                if current is not None:
                    current.update_name(f"{method} {route}")
                    current.set_attribute("http.status_code", status)
                metrics.HTTP_REQUEST_SECONDS.observe(
                    time.perf_counter() - started, self.service, method, route, str(status)
                )
                correlation_id.reset(token)
