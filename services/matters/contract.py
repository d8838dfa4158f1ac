"""Matters' public contract: every route the gateway serves for it, and its events.

The gateway imports this module and nothing else of matters (services/topology.py names it).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query

from services.matters.admission.schemas import (
    AdmissionPage,
    AdmissionView,
    ApplyRequest,
    DecisionRequest,
    ExitRequest,
    HandoverRequest,
    JudgementRequest,
    MeetingRequest,
)
from services.matters.admission.workflow import (
    ADMISSION_ID_PATTERN,
    ADMITTED_MATTER_PATTERN,
    AdmissionStatus,
    require_admission_id,
    require_admitted_matter,
)
from services.matters.app import PATH_PARAMETERS
from services.matters.burden.schemas import BurdenReport
from services.matters.catalogue.packs import CommunityType
from services.matters.runtime import matters_catalog
from services.matters.schemas import CatalogueView, CommunityMatters, PushTaskRequest, TaskView
from shared.http_inputs import Moment
from shared.paging import list_query
from shared.policy_documents import PolicyPackDocument, PolicyPackList
from shared.service_contract import (
    AREA,
    COMMUNITY,
    REQUIRED,
    BodyField,
    PathCode,
    PrefixQuery,
    QueryParam,
    Route,
    ServiceContract,
)

# An admission's, or an admitted matter's, district is its first 12 digits (the applicant's).
ADMISSION = PathCode("admission_id", require_admission_id, ADMISSION_ID_PATTERN)
MATTER = PathCode("matter_id", require_admitted_matter, ADMITTED_MATTER_PATTERN)
FORMAT = QueryParam(
    "format",
    Annotated[Literal["json", "csv"], Query(description="json, or csv (UTF-8 with a BOM)")],
    "json",
)
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
    Route(
        "apply_for_admission", "POST", "/admissions", "command", BodyField("division_code"),
        AdmissionView,
        "事项准入: a department or a town applies (审批表, 申请报告; each matter's legal basis,"
        " scope, funding and staff; the target communities)",
        ("admission",), request_model=ApplyRequest, status_code=201,
    ),
    Route(
        "convene_joint_meeting", "POST", "/admissions/{admission_id}/meeting", "command",
        ADMISSION, AdmissionView,
        "The office convenes the joint meeting (联席会议) with its participants",
        ("admission",), request_model=MeetingRequest,
    ),
    Route(
        "judge_admission_item", "POST", "/admissions/{admission_id}/judgements", "command",
        ADMISSION, AdmissionView,
        "One item judged on 合法性、合理性、必要性、协同性、配套性, each with its reason",
        ("admission",), request_model=JudgementRequest,
    ),
    Route(
        "decide_admission", "POST", "/admissions/{admission_id}/decision", "command",
        ADMISSION, AdmissionView,
        "审核结论: each item admitted (all five favourable) or rejected, with the minutes",
        ("admission",), request_model=DecisionRequest,
    ),
    Route(
        "sign_handover", "POST", "/admissions/{admission_id}/handovers", "command", ADMISSION,
        AdmissionView,
        "职责交接清单 of an admitted item, signed by the applicant and every target community:"
        " the matter enters their lists from a day",
        ("admission",), request_model=HandoverRequest,
    ),
    Route(
        "get_admission", "GET", "/admissions/{admission_id}", "read", ADMISSION,
        AdmissionView, "One admission: its items, judgements, outcomes and handovers",
        ("admission",),
    ),
    Route(
        "list_admissions", "GET", "/admissions", "read", PrefixQuery(), AdmissionPage,
        "Where each admission stands, under a division prefix (optionally one status)",
        ("admission",), query=list_query(AdmissionStatus),
    ),
    Route(
        "exit_matter", "POST", "/matters/{matter_id}/exit", "command", MATTER, AdmissionView,
        "准入退出: an admitted matter leaves every list from a day; what followed it (funding,"
        " staff) stops from the next budget year",
        ("admission",), request_model=ExitRequest,
    ),
    Route(
        "burden_report", "GET", "/districts/{area}/burden-report", "read", AREA,
        BurdenReport,
        "减负: basic functions standardised, matters admitted and cleared, pushes refused per"
        " department, for a district, a town or the city (JSON or CSV)",
        ("matters",), query=(FORMAT,),
        responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
    ),
)  # fmt: skip

CONTRACT = ServiceContract("matters", ROUTES, matters_catalog, PATH_PARAMETERS)
