"""Funding's routes: a community's budget lines and ledger for a year, why a line is what it
is, and postings to the ledger."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from services.funding.disclosure import PERIOD_PATTERN, Disclosure, as_csv, as_html
from services.funding.ledger.events import PostingRecorded
from services.funding.ledger.handlers import Post
from services.funding.report import FundingReport, funding_report, report_csv
from services.funding.runtime import funding_of
from services.funding.schemas import (
    CommunityFundingView,
    LineExplanation,
    OverdueList,
    PostingRequest,
    PostingView,
    RolloverRequest,
    RolloverView,
)
from services.funding.standards.decide import budget_year
from services.funding.standards.events import BudgetYearRolledOver
from services.funding.standards.rollover_handlers import RollOver
from shared.community_code import require_valid_code
from shared.http_inputs import require_area
from shared.service_web import ContextDep, json_response
from shared.values import BEIJING, PREFIX_QUERY_PATTERN

router = APIRouter()
YearQuery = Annotated[int | None, Query(ge=2000, le=2100, description="Default: this year")]


@router.get("/communities/{code}/funding", response_model=CommunityFundingView)
async def community_funding(
    code: str, request: Request, year: YearQuery = None
) -> CommunityFundingView:
    year = year or budget_year(datetime.now(UTC))
    return await funding_of(request).queries.community_funding(require_valid_code(code), year)


@router.get("/communities/{code}/funding/explain", response_model=LineExplanation)
async def explain_line(
    code: str,
    request: Request,
    line: Annotated[str, Query(max_length=64, examples=["industrial_operating"])],
    year: YearQuery = None,
) -> LineExplanation:
    year = year or budget_year(datetime.now(UTC))
    return await funding_of(request).queries.explain(require_valid_code(code), year, line)


@router.post("/funding/postings", status_code=201, response_model=PostingView)
async def post_to_ledger(body: PostingRequest, request: Request, ctx: ContextDep) -> Response:
    runtime = funding_of(request)
    cmd = Post(
        code=body.code, year=body.year, kind=body.kind, line=body.line or "",
        payer=body.payer or "", amount_fen=body.amount_fen or 0, reverses=body.reverses,
        note=body.note,
    )  # fmt: skip
    recorded, *_ = await runtime.ledger.post(cmd, ctx)  # then any overdue flag it cleared
    posting = runtime.catalog.decode(recorded)
    assert isinstance(posting, PostingRecorded)
    view = PostingView(**posting.model_dump(include=set(PostingView.model_fields)),
                       recorded_at=recorded.recorded_at)  # fmt: skip
    return json_response(view, 201, {"Location": f"/communities/{body.code}/funding"})


@router.post("/funding/rollover", response_model=RolloverView)
async def roll_over(body: RolloverRequest, request: Request, ctx: ContextDep) -> Response:
    runtime = funding_of(request)
    (recorded,) = await runtime.rollover.roll_over(RollOver(body.division_prefix, body.year), ctx)
    run = runtime.catalog.decode(recorded)
    assert isinstance(run, BudgetYearRolledOver)
    return json_response(RolloverView(**run.model_dump(include=set(RolloverView.model_fields)),
                                      recorded_at=recorded.recorded_at), 200, {})  # fmt: skip


@router.get("/funding/overdue", response_model=OverdueList)
async def overdue(
    request: Request,
    division_prefix: Annotated[str, Query(pattern=PREFIX_QUERY_PATTERN)],
    as_of: Annotated[date | None, Query(description="The day (Beijing); default: today")] = None,
) -> OverdueList:
    day = as_of or datetime.now(UTC).astimezone(BEIJING).date()
    return await funding_of(request).queries.overdue(division_prefix, day)


@router.get("/communities/{code}/disclosure", response_model=Disclosure)
async def disclosure(
    code: str,
    request: Request,
    period: Annotated[str, Query(pattern=f"^{PERIOD_PATTERN}$", examples=["2026Q3", "2026-07"])],
    format: Literal["json", "csv", "html"] = "json",
) -> Response:
    statement = await funding_of(request).queries.disclosure(require_valid_code(code), period)
    if format == "csv":
        return Response(as_csv(statement), media_type="text/csv; charset=utf-8")
    if format == "html":
        return Response(as_html(statement), media_type="text/html; charset=utf-8")
    return json_response(statement, 200, {})


@router.get("/districts/{area}/funding-report", response_model=FundingReport)
async def district_report(
    area: str, request: Request, year: YearQuery = None,
    format: Literal["json", "csv"] = "json",
) -> Response:  # fmt: skip
    year = year or budget_year(datetime.now(UTC))
    report = await funding_report(funding_of(request).pool, require_area(area), year)
    if format == "csv":
        return Response(report_csv(report), media_type="text/csv; charset=utf-8")
    return json_response(report, 200, {})
