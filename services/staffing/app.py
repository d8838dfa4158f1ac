"""The staffing process: its internal HTTP API, its relay, projectors and registry consumer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from services.staffing.quota import api as quota
from services.staffing.runtime import Staffing, bootstrap
from shared.community_code import CODE_PATH_PARAMETER
from shared.http import (
    RequestContextMiddleware,
    install_operational_routes,
    install_problem_handlers,
)
from shared.openapi import operation_id, publish_openapi
from shared.settings import KernelSettings

PATH_PARAMETERS: dict[str, Any] = {"code": CODE_PATH_PARAMETER}


def create_app(settings: KernelSettings, runtime: Staffing | None = None) -> FastAPI:
    """The ASGI app. Pass `runtime` to reuse one built elsewhere (tests)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = runtime is None
        app.state.staffing = runtime or await bootstrap(settings)
        if own:
            app.state.staffing.start()
        try:
            yield
        finally:
            if own:
                await app.state.staffing.stop()

    app = FastAPI(
        title="Wuding staffing (internal)",
        version="1",
        description="定岗位员额: quotas decided from the registry's events. Called by the gateway.",
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
    )
    publish_openapi(app, PATH_PARAMETERS)
    install_problem_handlers(app)

    async def database() -> None:
        await app.state.staffing.ping_database()

    async def report() -> dict[str, Any]:
        return await app.state.staffing.health()

    install_operational_routes(app, [database], report)
    app.include_router(quota.router)
    app.add_middleware(RequestContextMiddleware, service="staffing")
    return app
