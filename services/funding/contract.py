"""Funding's public contract: every route the gateway serves for it, and its events.

The gateway imports this module and nothing else of funding (services/topology.py names it).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import Query

from services.funding.app import PATH_PARAMETERS
from services.funding.disclosure import PERIOD_PATTERN, Disclosure
from services.funding.report import FundingReport
from services.funding.runtime import funding_catalog
from services.funding.schemas import (
    CommunityFundingView,
    LineExplanation,
    OverdueList,
    PostingRequest,
    PostingView,
    RolloverRequest,
    RolloverView,
)
from shared.paging import DIVISION_PREFIX
from shared.policy_documents import PolicyPackDocument, PolicyPackList
from shared.service_contract import (
    AREA,
    COMMUNITY,
    REQUIRED,
    BodyField,
    PrefixQuery,
    QueryParam,
    Route,
    ServiceContract,
)

YEAR = QueryParam(
    "year",
    Annotated[
        int | None, Query(ge=2000, le=2100, description="The budget year; default: this year")
    ],
)
DAY = QueryParam(
    "as_of", Annotated[date | None, Query(description="The day (Beijing); default: today")]
)
PERIOD = QueryParam(
    "period",
    Annotated[str, Query(pattern=f"^{PERIOD_PATTERN}$", description="A quarter (2026Q3) or a"
                         " month (2026-07)")],
    REQUIRED,
)  # fmt: skip
FORMAT = QueryParam(
    "format",
    Annotated[Literal["json", "csv", "html"],
              Query(description="json, csv (UTF-8 with a BOM) or a printable html page")],
    "json",
)  # fmt: skip
REPORT_FORMAT = QueryParam(
    "format",
    Annotated[Literal["json", "csv"], Query(description="json, or csv (UTF-8 with a BOM)")],
    "json",
)
LINE = QueryParam(
    "line",
    Annotated[str, Query(max_length=64, description="A line id, e.g. industrial_operating")],
    REQUIRED,
)

ROUTES = (
    Route(
        "funding_policy_packs", "GET", "/funding/policy-packs", "read", None, PolicyPackList,
        "Every funding pack version: in force or not, its content hash and its publication",
        ("funding policy",),
    ),
    Route(
        "funding_policy_pack", "GET", "/funding/policy-packs/{region}/{version}", "read", None,
        PolicyPackDocument, "One funding pack version: every standard with its seed source",
        ("funding policy",),
    ),
    Route(
        "community_funding", "GET", "/communities/{code}/funding", "read", COMMUNITY,
        CommunityFundingView,
        "A community's budget lines for a year (定保障机制), each payer's part, and what the"
        " ledger has appropriated, allocated, disbursed and the community spent of it",
        ("funding",), query=(YEAR,),
    ),
    Route(
        "explain_funding_line", "GET", "/communities/{code}/funding/explain", "read", COMMUNITY,
        LineExplanation,
        "Why a budget line is what it is: every decision with its inputs, rule, pack and cause",
        ("funding",), query=(YEAR, LINE),
    ),
    Route(
        "post_to_ledger", "POST", "/funding/postings", "command", BodyField("code"), PostingView,
        "A posting to a community's commitment ledger: appropriate, allocate, disburse, spend, or"
        " reverse an earlier posting; refused with the figures when it breaks a rule",
        ("funding",), request_model=PostingRequest, status_code=201,
    ),
    Route(
        "roll_over_budget_year", "POST", "/funding/rollover", "command",
        BodyField("division_prefix"), RolloverView,
        "The budget-year roll-over of a district (or the city): next year's lines from the pack"
        " and the communities' figures, matters' lines carried on; recorded, idempotent",
        ("funding",), request_model=RolloverRequest,
    ),
    Route(
        "funding_overdue", "GET", "/funding/overdue", "read", PrefixQuery(), OverdueList,
        "Payers overdue on a day: a part of a line not disbursed in full by its deadline"
        " (Xixian: the new area by 31 May, each new city by 30 June, seed 002 §八(三))",
        ("funding",), query=(DIVISION_PREFIX, DAY),
    ),
    Route(
        "community_disclosure", "GET", "/communities/{code}/disclosure", "read", COMMUNITY,
        Disclosure,
        "村务公开/居务公开 (seed 003 §6.3): the funds a community received and spent by line in a"
        " quarter or a month, in JSON, CSV or a printable page for the residents' board",
        ("funding",), query=(PERIOD, FORMAT),
        responses={200: {"content": {"text/csv": {"schema": {"type": "string"}},
                                     "text/html": {"schema": {"type": "string"}}}}},
    ),
    Route(
        "funding_report", "GET", "/districts/{area}/funding-report", "read", AREA,
        FundingReport,
        "The funding report of a district, a town or the city: per district and line, the"
        " communities, the lines' total, appropriated, allocated, disbursed, spent (JSON or CSV)",
        ("funding",), query=(YEAR, REPORT_FORMAT),
        responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
    ),
)  # fmt: skip

CONTRACT = ServiceContract("funding", ROUTES, funding_catalog, PATH_PARAMETERS)
