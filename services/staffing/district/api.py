"""The district staffing route: the floor and the vacancies of a district."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from services.staffing.district.handlers import RecordDistrictIncome
from services.staffing.district.queries import require_district
from services.staffing.district.schemas import (
    DistrictIncomeView,
    DistrictStaffing,
    RecordIncomeRequest,
)
from services.staffing.runtime import staffing_of
from shared.service_web import ContextDep

router = APIRouter()


@router.get("/districts/{prefix}/staffing", response_model=DistrictStaffing)
async def district_staffing(prefix: str, request: Request) -> DistrictStaffing:
    runtime = staffing_of(request)
    return await runtime.queries.district(require_district(prefix))


@router.put("/districts/{prefix}/incomes/{year}", response_model=DistrictIncomeView)
async def record_income(
    prefix: str,
    year: Annotated[int, Path(ge=1949, le=2099)],
    body: RecordIncomeRequest,
    request: Request,
    ctx: ContextDep,
) -> DistrictIncomeView:
    runtime = staffing_of(request)
    cmd = RecordDistrictIncome(
        require_district(prefix), year, body.urban_per_capita_fen, body.rural_per_capita_fen,
        body.source,
    )  # fmt: skip
    events = await runtime.district.record_income(cmd, ctx)
    return DistrictIncomeView(**{k: v for k, v in events[-1].payload.items() if k != "prefix"},
                              prefix=cmd.prefix)  # fmt: skip
