"""The burden-reduction report route, in JSON or CSV."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, Response

from services.matters.burden.queries import report_csv
from services.matters.burden.schemas import BurdenReport
from services.matters.runtime import matters_of
from shared.http_inputs import require_area
from shared.service_web import json_response

router = APIRouter()


@router.get("/districts/{area}/burden-report", response_model=BurdenReport)
async def burden_report(
    area: str, request: Request, format: Literal["json", "csv"] = "json"
) -> Response:
    report = await matters_of(request).queries.burden_report(require_area(area))
    if format == "csv":
        return Response(report_csv(report), media_type="text/csv; charset=utf-8")
    return json_response(report, 200, {})
