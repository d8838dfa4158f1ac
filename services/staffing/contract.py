"""Staffing's public contract: every route the gateway serves for it, and its events.

The gateway imports this module and nothing else of staffing (services/topology.py names it).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from services.staffing.app import PATH_PARAMETERS
from services.staffing.quota.schemas import CommunityStaffing, StaffingExplanation
from services.staffing.runtime import staffing_catalog
from shared.community_code import require_valid_code
from shared.http_inputs import Moment
from shared.service_contract import PathCode, QueryParam, Route, ServiceContract

COMMUNITY = PathCode("code", require_valid_code, r"[0-9]{17}")
AS_OF = QueryParam(
    "as_of",
    Annotated[
        Moment | None,
        Query(
            description="Time travel: the quota as it stood then, e.g. 2025-06-30T00:00:00+08:00"
        ),
    ],
)

ROUTES = (
    Route(
        "get_staffing", "GET", "/communities/{code}/staffing", "read", COMMUNITY,
        CommunityStaffing,
        "A community's quota (员额) and the size bands of its bodies, now or as of a moment",
        ("staffing",), query=(AS_OF,),
    ),
    Route(
        "explain_staffing", "GET", "/communities/{code}/staffing/explain", "read", COMMUNITY,
        StaffingExplanation,
        "Why a community has its quota: each decision's inputs, rule, policy pack and cause",
        ("staffing",),
    ),
)  # fmt: skip

CONTRACT = ServiceContract("staffing", ROUTES, staffing_catalog, PATH_PARAMETERS)
