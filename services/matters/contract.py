"""Matters' public contract: every route the gateway serves for it, and its events.

The gateway imports this module and nothing else of matters (services/topology.py names it).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from services.matters.app import PATH_PARAMETERS
from services.matters.catalogue.packs import CommunityType
from services.matters.runtime import matters_catalog
from services.matters.schemas import CatalogueView, CommunityMatters, PushTaskRequest, TaskView
from shared.community_code import require_valid_code
from shared.http_inputs import Moment
from shared.policy_documents import PolicyPackDocument, PolicyPackList
from shared.service_contract import REQUIRED, PathCode, QueryParam, Route, ServiceContract

COMMUNITY = PathCode("code", require_valid_code, r"[0-9]{17}")
AS_OF = QueryParam(
    "as_of",
    Annotated[
        Moment | None,
        Query(description="Time travel: the list as it stood then, e.g. 2025-06-30T00:00:00+08:00"),
    ],
)
COMMUNITY_TYPE = QueryParam(
    "community_type",
    Annotated[CommunityType, Query(description="urban, rural or industrial")],
    REQUIRED,
)

ROUTES = (
    Route(
        "matters_policy_packs", "GET", "/matters/policy-packs", "read", None, PolicyPackList,
        "Every matters pack version: in force or not, its content hash and its publication",
        ("matters policy",),
    ),
    Route(
        "matters_policy_pack", "GET", "/matters/policy-packs/{region}/{version}", "read", None,
        PolicyPackDocument,
        "One matters pack version: every catalogue with its seed source",
        ("matters policy",),
    ),
    Route(
        "catalogue", "GET", "/catalogue", "read", None, CatalogueView,
        "The function catalogue of a community type (基本功能), per region, each item's runway",
        ("matters",), query=(COMMUNITY_TYPE,),
    ),
    Route(
        "community_matters", "GET", "/communities/{code}/matters", "read", COMMUNITY,
        CommunityMatters,
        "A community's list of matters (基本功能+N项特色功能), now or as of a moment",
        ("matters",), query=(AS_OF,),
    ),
    Route(
        "push_task", "POST", "/communities/{code}/tasks", "command", COMMUNITY, TaskView,
        "Push a task to a community: only a matter on its list is accepted (清单之外无事项)",
        ("matters",), request_model=PushTaskRequest, status_code=201,
    ),
)  # fmt: skip

CONTRACT = ServiceContract("matters", ROUTES, matters_catalog, PATH_PARAMETERS)
