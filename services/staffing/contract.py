"""Staffing's public contract: every route the gateway serves for it, and its events.

The gateway imports this module and nothing else of staffing (services/topology.py names it).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Path, Query

from services.staffing.app import PATH_PARAMETERS
from services.staffing.district.queries import DISTRICT_PATTERN, require_district
from services.staffing.district.schemas import (
    DistrictIncomeView,
    DistrictStaffing,
    RecordIncomeRequest,
)
from services.staffing.grids import schemas as g
from services.staffing.quota.schemas import CommunityStaffing, StaffingExplanation
from services.staffing.runtime import staffing_catalog
from services.staffing.workforce import schemas as w
from services.staffing.workforce.ids import (
    POSITION_PATTERN,
    WORKER_PATTERN,
    require_position_id,
    require_worker_id,
)
from shared.http_inputs import Moment
from shared.policy_documents import PolicyPackDocument, PolicyPackList
from shared.service_contract import (
    COMMUNITY,
    BodyField,
    PathCode,
    PrefixQuery,
    QueryParam,
    Route,
    ServiceContract,
)
from shared.values import PREFIX_QUERY_PATTERN

# A position id begins with its community's code, a worker id with its division (ids.py).
POSITION = PathCode("position_id", require_position_id, POSITION_PATTERN)
WORKER = PathCode("worker_id", require_worker_id, WORKER_PATTERN)
DIVISION = BodyField("division_code")
DISTRICT = PathCode("prefix", require_district, DISTRICT_PATTERN)
PREFIX = PrefixQuery("division_prefix")
AS_OF = QueryParam(
    "as_of",
    Annotated[
        Moment | None,
        Query(
            description="Time travel: the quota as it stood then, e.g. 2025-06-30T00:00:00+08:00"
        ),
    ],
)

ON = QueryParam(
    "on", Annotated[date | None, Query(description="The day the counts are for (today if absent)")]
)
WORKER_QUERY = (
    QueryParam(
        "division_prefix",
        Annotated[str | None, Query(pattern=PREFIX_QUERY_PATTERN,
                                    description="Workers of divisions under it (default: yours)")],
    ),
    QueryParam(
        "status",
        Annotated[str | None, Query(pattern="^(pool|assigned|on_leave|departed)$",
                                    description="pool: the reserve pool (蓄水池)")],
    ),
    QueryParam("limit", Annotated[int | None, Query(ge=1, le=500)]),
    QueryParam("cursor", Annotated[str | None, Query(max_length=25)]),
)  # fmt: skip


def _worker_command(name: str, action: str, model: type[w.BaseModel], summary: str) -> Route:
    return Route(
        name, "POST", f"/workers/{{worker_id}}/{action}", "command", WORKER, w.WorkerView,
        summary, ("workers",), request_model=model,
    )  # fmt: skip


ROUTES = (
    Route(
        "staffing_policy_packs", "GET", "/staffing/policy-packs", "read", None, PolicyPackList,
        "Every staffing pack version: in force or not, its content hash and its publication",
        ("staffing policy",),
    ),
    Route(
        "staffing_policy_pack", "GET", "/staffing/policy-packs/{region}/{version}", "read",
        None, PolicyPackDocument,
        "One staffing pack version: every quota rule, band, post and floor with its seed source",
        ("staffing policy",),
    ),
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
    Route(
        "staffing_findings", "GET", "/communities/{code}/staffing/findings", "read", COMMUNITY,
        g.StaffingFindings,
        "Staffing findings: grids missing any of the 1+3 (open, resolved), a quota overrun",
        ("staffing",),
    ),
    Route(
        "grid_team", "GET", "/communities/{code}/grids/{grid}/team", "read", COMMUNITY,
        g.GridTeamView, "A grid's team (1+3+N) and the roles it is missing", ("grid teams",),
    ),
    Route(
        "join_grid_team", "POST", "/communities/{code}/grids/{grid}/team", "command", COMMUNITY,
        g.GridTeamView,
        "A member joins a grid's team: leader, full-time, part-time, instructor or other",
        ("grid teams",), request_model=g.JoinTeamRequest, status_code=201,
    ),
    Route(
        "leave_grid_team", "POST", "/communities/{code}/grids/{grid}/team/leave", "command",
        COMMUNITY, g.GridTeamView, "A member leaves a grid's team", ("grid teams",),
        request_model=g.LeaveTeamRequest,
    ),
    Route(
        "district_staffing", "GET", "/districts/{prefix}/staffing", "read", DISTRICT,
        DistrictStaffing,
        "A district's quota, positions, vacancies and the floor of 18 per 10,000 residents",
        ("staffing",),
    ),
    Route(
        "record_district_income", "PUT", "/districts/{prefix}/incomes/{year}", "command",
        DISTRICT, DistrictIncomeView,
        "Record a year's per-capita disposable income of the district (the pay floor's base)",
        ("staffing",), request_model=RecordIncomeRequest,
        path_types={"year": Annotated[int, Path(ge=1949, le=2099)]},
    ),
    Route(
        "community_positions", "GET", "/communities/{code}/positions", "read", COMMUNITY,
        w.CommunityPositionsView,
        "A community's positions: authorised, filled, vacant on a day, each with its worker",
        ("positions",), query=(ON,),
    ),
    Route(
        "authorise_position", "POST", "/communities/{code}/positions", "command", COMMUNITY,
        w.CommunityPositionsView,
        "Authorise a position of the post catalogue; refused beyond the quota, with the rule",
        ("positions",), request_model=w.AuthorisePositionRequest, status_code=201,
    ),
    Route(
        "abolish_position", "POST", "/positions/{position_id}/abolish", "command", POSITION,
        w.CommunityPositionsView, "Abolish a vacant position from a day", ("positions",),
        request_model=w.AbolishPositionRequest,
    ),
    Route(
        "recruit_worker", "POST", "/workers", "command", DIVISION, w.WorkerView,
        "Recruit a worker into a division's reserve pool (蓄水池); name and ID number sealed",
        ("workers",), request_model=w.RecruitWorkerRequest, status_code=201,
    ),
    Route(
        "list_workers", "GET", "/workers", "read", PREFIX, w.WorkerPage,
        "A division's workers (pseudonymous); status=pool lists the reserve pool",
        ("workers",), query=WORKER_QUERY, purpose=True,
    ),
    Route(
        "worker_record", "GET", "/workers/{worker_id}", "read", WORKER, w.WorkerRecord,
        "A worker's record with name and ID number: state X-Purpose; the read is audited",
        ("workers",), purpose=True,
    ),
    _worker_command("assign_worker", "assign", w.PlaceWorkerRequest,
                    "Fill a vacancy with a worker from the reserve pool (随缺随补)"),
    _worker_command("transfer_worker", "transfer", w.PlaceWorkerRequest,
                    "Move an assigned worker to a vacancy; the old position becomes vacant"),
    _worker_command("start_leave", "leave", w.StartLeaveRequest,
                    "A leave: the worker keeps the position (filled, not vacant)"),
    _worker_command("end_leave", "return", w.EndLeaveRequest, "Back from leave"),
    _worker_command("depart_worker", "depart", w.DepartWorkerRequest,
                    "The worker leaves; their position becomes vacant"),
    _worker_command("appraise_worker", "appraisals", w.AppraiseWorkerRequest,
                    "The yearly appraisal (优秀/合格/基本合格/不合格) and its consequence"),
    _worker_command("record_pay", "pay", w.RecordPayRequest,
                    "The year's pay in fen, checked against the pay floor"),
    _worker_command("record_qualification", "qualifications", w.RecordQualificationRequest,
                    "A social work qualification obtained (the funding service pays its bonus)"),
)  # fmt: skip

CONTRACT = ServiceContract("staffing", ROUTES, staffing_catalog, PATH_PARAMETERS)
