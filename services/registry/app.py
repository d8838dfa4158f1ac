"""The registry process: its internal HTTP API plus its relay and projectors."""

from __future__ import annotations

from fastapi import FastAPI

from services.registry.community import api as community
from services.registry.conversion import api as conversion
from services.registry.establishment import api as establishment
from services.registry.grids import api as grids
from services.registry.params import PATH_PARAMETERS
from services.registry.policy import api as policy
from services.registry.runtime import Registry, bootstrap
from shared.hot_routes import HotRoutes
from shared.service_app import service_app
from shared.settings import KernelSettings


def create_app(settings: KernelSettings, runtime: Registry | None = None) -> FastAPI:
    """The ASGI app. Pass `runtime` to reuse one built elsewhere (tests, benchmarks)."""
    return service_app(
        "registry",
        description="定类型编码: registration and the 17-digit code. Called by the gateway only.",
        bootstrap=lambda: bootstrap(settings),
        runtime=runtime,
        routers=[s.router for s in (community, grids, establishment, conversion, policy)],
        path_parameters=PATH_PARAMETERS,
        middleware=[(HotRoutes, {"routes": community.HOT_ROUTES})],
    )
