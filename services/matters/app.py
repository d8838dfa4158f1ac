"""The matters process: its internal HTTP API, its relay, projectors and registry consumer."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from services.matters import policy_api
from services.matters.admission import api as admission
from services.matters.admission.workflow import ADMISSION_ID_PATTERN, ADMITTED_MATTER_PATTERN
from services.matters.burden import api as burden
from services.matters.lists import api as lists
from services.matters.runtime import Matters, bootstrap
from services.matters.tasks import api as tasks
from shared.community_code import CODE_PATH_PARAMETER
from shared.http_inputs import AREA_PATH_PARAMETER
from shared.service_app import service_app
from shared.settings import KernelSettings

PATH_PARAMETERS: dict[str, Any] = {
    "code": CODE_PATH_PARAMETER,
    "admission_id": {"type": "string", "pattern": f"^{ADMISSION_ID_PATTERN}$",
                     "examples": ["330211001001-0a1b2c3d"]},
    "matter_id": {"type": "string", "pattern": f"^{ADMITTED_MATTER_PATTERN}$",
                  "examples": ["330211001001-0A1B2C3D.1"]},
    "area": AREA_PATH_PARAMETER,
}  # fmt: skip


def create_app(settings: KernelSettings, runtime: Matters | None = None) -> FastAPI:
    """The ASGI app. Pass `runtime` to reuse one built elsewhere (tests)."""
    return service_app(
        "matters",
        description="定功能职责 and 事项准入: each community's list of matters, kept from the"
        " registry's events, and 清单之外无事项 on every task pushed. Called by the gateway.",
        bootstrap=lambda: bootstrap(settings),
        runtime=runtime,
        routers=[lists.router, tasks.router, admission.router, burden.router, policy_api.router],
        path_parameters=PATH_PARAMETERS,
    )
