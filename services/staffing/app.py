"""The staffing process: its internal HTTP API, its relay, projectors and registry consumer."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from services.staffing import policy_api
from services.staffing.district import api as district
from services.staffing.grids import api as grids
from services.staffing.quota import api as quota
from services.staffing.runtime import Staffing, bootstrap
from services.staffing.workforce import api as workforce
from services.staffing.workforce.ids import POSITION_PATTERN, WORKER_PATTERN
from shared.community_code import CODE_PATH_PARAMETER
from shared.service_app import service_app
from shared.settings import KernelSettings

PATH_PARAMETERS: dict[str, Any] = {
    "code": CODE_PATH_PARAMETER,
    "position_id": {"type": "string", "pattern": f"^{POSITION_PATTERN}$",
                    "examples": ["33021100100110003-001"]},
    "grid": CODE_PATH_PARAMETER,
    "prefix": {"type": "string", "pattern": "^[0-9]{6}$", "examples": ["330211"]},
    "worker_id": {"type": "string", "pattern": f"^{WORKER_PATTERN}$",
                  "examples": ["330211001001-0123456789ab"]},
}  # fmt: skip


def create_app(settings: KernelSettings, runtime: Staffing | None = None) -> FastAPI:
    """The ASGI app. Pass `runtime` to reuse one built elsewhere (tests)."""
    return service_app(
        "staffing",
        description="定岗位员额: quotas decided from the registry's events, position control and"
        " the workforce. Called by the gateway.",
        bootstrap=lambda: bootstrap(settings),
        runtime=runtime,
        routers=[quota.router, workforce.router, grids.router, district.router, policy_api.router],
        path_parameters=PATH_PARAMETERS,
    )
