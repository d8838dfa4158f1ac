"""The registry process: its internal HTTP API plus its relay and projectors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from services.registry.community import api as community
from services.registry.conversion import api as conversion
from services.registry.establishment import api as establishment
from services.registry.grids import api as grids
from services.registry.params import PATH_PARAMETERS
from services.registry.policy import api as policy
from services.registry.runtime import Registry, bootstrap
from shared.hot_routes import HotRoutes
from shared.http import (
    RequestContextMiddleware,
    install_operational_routes,
    install_problem_handlers,
)
from shared.openapi import operation_id, publish_openapi
from shared.settings import KernelSettings


def create_app(settings: KernelSettings, runtime: Registry | None = None) -> FastAPI:
    """The ASGI app. Pass `runtime` to reuse one built elsewhere (tests, benchmarks)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = runtime is None
        app.state.registry = runtime or await bootstrap(settings)
        if own:
            app.state.registry.start()
        try:
            yield
        finally:
            if own:
                await app.state.registry.stop()

    app = FastAPI(
        title="Wuding registry (internal)",
        version="1",
        description="定类型编码: registration and the 17-digit code. Called by the gateway only.",
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
    )
    publish_openapi(app, PATH_PARAMETERS)
    install_problem_handlers(app)

    async def database() -> None:
        await app.state.registry.ping_database()

    async def report() -> dict[str, Any]:
        return await app.state.registry.health()

    install_operational_routes(app, [database], report)
    for slice_ in (community, grids, establishment, conversion, policy):
        app.include_router(slice_.router)
    app.add_middleware(HotRoutes, routes=community.HOT_ROUTES)  # inside RequestContextMiddleware
    app.add_middleware(RequestContextMiddleware, service="registry")
    return app
