"""The gateway process: the only door district systems and the city platform knock on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from services.gateway.auth import ClientDirectory
from services.gateway.contracts import service_contracts
from services.gateway.refusals import audit_refusal
from services.gateway.routes import build_router, hot_routes
from services.gateway.runtime import bootstrap
from services.gateway.settings import GatewaySettings
from shared.hot_routes import HotRoutes
from shared.http import (
    RequestContextMiddleware,
    install_operational_routes,
    install_problem_handlers,
)
from shared.openapi import operation_id, publish_openapi

DESCRIPTION = """
Wuding's public API for district systems (区县/镇街) and the city-level data platform.

* Authenticate with `Authorization: Bearer <API key>`.
* A district system acts on and reads only its own division codes; the city platform reads all.
* Commands accept `Idempotency-Key` (a retry returns the first response) and, on existing
  resources, `If-Match` with the ETag you read (a stale one gets 409).
* Errors are RFC 9457 `application/problem+json`, with a reason per field.
* A dependency that is down is a 503 problem with `Retry-After` (seconds): retry then, with
  the same `Idempotency-Key`.
* Every response carries `X-Request-Id` and `X-Correlation-Id`; quote them when you ask for help.
"""


def create_app(settings: GatewaySettings) -> FastAPI:
    # Read now, before anything listens: an invalid clients file stops the gateway here
    # (InvalidClientsFile names the entry and the reason), not at the first request.
    clients = ClientDirectory.from_file(settings.clients_file)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.gateway = await bootstrap(settings, clients)
        await app.state.gateway.start()
        try:
            yield
        finally:
            await app.state.gateway.stop()

    app = FastAPI(
        title="Wuding gateway",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
    )
    # The path parameters are each service's, from its contract.
    publish_openapi(
        app, {k: dict(v) for c in service_contracts() for k, v in c.path_parameters.items()}
    )
    install_problem_handlers(app, on_problem=audit_refusal)

    async def database() -> None:
        await app.state.gateway.ping_database()

    async def report() -> dict[str, Any]:
        return await app.state.gateway.health()

    install_operational_routes(app, [database], report)
    contracts = service_contracts()
    app.include_router(build_router(contracts))
    app.add_middleware(HotRoutes, routes=hot_routes(contracts))  # inside RequestContextMiddleware
    app.add_middleware(RequestContextMiddleware, service="gateway")
    return app
