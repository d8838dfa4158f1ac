"""The quota routes: a community's staffing now or as of a moment, and why."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from services.staffing.quota.schemas import CommunityStaffing, StaffingExplanation
from services.staffing.runtime import staffing_of
from shared.community_code import require_valid_code
from shared.http_inputs import Moment

router = APIRouter()


@router.get("/communities/{code}/staffing", response_model=CommunityStaffing)
async def get_staffing(
    code: str, request: Request, as_of: Annotated[Moment | None, Query()] = None
) -> CommunityStaffing:
    staffing = staffing_of(request)
    return await staffing.queries.staffing(require_valid_code(code), as_of)


@router.get("/communities/{code}/staffing/explain", response_model=StaffingExplanation)
async def explain_staffing(code: str, request: Request) -> StaffingExplanation:
    staffing = staffing_of(request)
    return await staffing.queries.explain(require_valid_code(code))
