"""A service's ASGI app, built the one way every event-sourced service is: its runtime in the
lifespan (started and stopped there unless a test passes its own), problem+json errors,
/healthz, /readyz and /metrics, its published OpenAPI parameters and its slices' routers.
The runtime is `app.state.<service>` (a route reads it with `request.app.state.<service>`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI

from shared.http import (
    RequestContextMiddleware,
    install_operational_routes,
    install_problem_handlers,
)
from shared.openapi import operation_id, publish_openapi
from shared.runtime import ServiceRuntime


def service_app(
    service: str,
    *,
    description: str,
    bootstrap: Callable[[], Awaitable[ServiceRuntime]],
    runtime: ServiceRuntime | None,
    routers: Sequence[APIRouter],
    path_parameters: Mapping[str, dict[str, Any]],
    middleware: Sequence[tuple[Any, dict[str, Any]]] = (),
) -> FastAPI:
    """`runtime`: one built elsewhere (tests, benchmarks), neither started nor stopped here;
    None: `bootstrap()` builds it at start-up. `middleware` runs inside the request context
    (class, options), e.g. the registry's hot routes."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = runtime is None
        running = runtime or await bootstrap()
        setattr(app.state, service, running)
        if own:
            running.start()
        try:
            yield
        finally:
            if own:
                await running.stop()

    app = FastAPI(
        title=f"Wuding {service} (internal)",
        version="1",
        description=description,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
    )
    publish_openapi(app, path_parameters)
    install_problem_handlers(app)

    def running() -> ServiceRuntime:
        found: ServiceRuntime = getattr(app.state, service)
        return found

    async def database() -> None:
        await running().ping_database()

    async def report() -> dict[str, Any]:
        return await running().health()

    install_operational_routes(app, [database], report)
    for router in routers:
        app.include_router(router)
    for cls, options in middleware:
        app.add_middleware(cls, **options)
    app.add_middleware(RequestContextMiddleware, service=service)
    return app
