"""The funding process: its internal HTTP API, its relay, projector and registry consumer."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from services.funding import api, policy_api
from services.funding.runtime import Funding, bootstrap
from shared.community_code import CODE_PATH_PARAMETER
from shared.http_inputs import AREA_PATH_PARAMETER
from shared.service_app import service_app
from shared.settings import KernelSettings

PATH_PARAMETERS: dict[str, Any] = {"code": CODE_PATH_PARAMETER, "area": AREA_PATH_PARAMETER}


def create_app(settings: KernelSettings, runtime: Funding | None = None) -> FastAPI:
    """The ASGI app. Pass `runtime` to reuse one built elsewhere (tests)."""
    return service_app(
        "funding",
        description="定保障机制: each community's guaranteed-funding budget lines per year from"
        " its policy pack, kept from the registry's events, and the double-entry commitment"
        " ledger from appropriation to disbursement. Called by the gateway.",
        bootstrap=lambda: bootstrap(settings),
        runtime=runtime,
        routers=[api.router, policy_api.router],
        path_parameters=PATH_PARAMETERS,
    )
