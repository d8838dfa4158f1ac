"""The district staffing route: the floor and the vacancies of a district."""

from __future__ import annotations

from fastapi import APIRouter, Request

from services.staffing.district.queries import require_district
from services.staffing.district.schemas import DistrictStaffing
from services.staffing.runtime import Staffing

router = APIRouter()


@router.get("/districts/{prefix}/staffing", response_model=DistrictStaffing)
async def district_staffing(prefix: str, request: Request) -> DistrictStaffing:
    runtime: Staffing = request.app.state.staffing
    return await runtime.queries.district(require_district(prefix))
