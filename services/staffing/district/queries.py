"""Reads of a district's staffing: the read models summed, checked against the floor."""

from __future__ import annotations

import re
from datetime import date

from services.staffing.district.floor import check_floor
from services.staffing.district.schemas import CommunityVacancies, DistrictStaffing
from services.staffing.quota.packs import StaffingBook
from shared.errors import FieldProblem, NotFound, ValidationFailed
from shared.queries import Queries

DISTRICT_PATTERN = r"[0-9]{6}"


def require_district(prefix: str) -> str:
    if not re.fullmatch(DISTRICT_PATTERN, prefix):
        raise ValidationFailed(
            "not a district", errors=[FieldProblem("prefix", "6 ASCII digits (区、县、市)")]
        )
    return prefix


class DistrictQueries(Queries):
    book = StaffingBook.shipped()

    async def district(self, prefix: str) -> DistrictStaffing:
        today = date.today()
        rows = await self.pool.fetch(
            """SELECT q.code, q.residents, q.quota,
                      count(p.position_id) FILTER (WHERE p.effective_from <= $2
                          AND (p.abolished_from IS NULL OR p.abolished_from > $2)) AS authorised,
                      count(p.worker_id) FILTER (WHERE p.effective_from <= $2
                          AND (p.abolished_from IS NULL OR p.abolished_from > $2)) AS filled
               FROM staffing_quotas q LEFT JOIN staffing_positions p ON p.code = q.code
               WHERE q.code LIKE $1 || '%' AND q.status <> 'ended'
               GROUP BY q.code, q.residents, q.quota ORDER BY q.code""",
            prefix, today,
        )  # fmt: skip
        if not rows:
            raise NotFound(f"staffing follows no community in district {prefix}")
        residents = sum(r["residents"] for r in rows)
        authorised = sum(r["authorised"] for r in rows)
        filled = sum(r["filled"] for r in rows)
        pack = self.book.deciding_for(prefix)
        check = (
            check_floor(residents, filled, pack.district_floor_per_10000,
                        pack.district_floor_source)
            if pack else None
        )  # fmt: skip
        return DistrictStaffing(
            prefix=prefix, communities=len(rows), residents=residents,
            quota=sum(r["quota"] or 0 for r in rows), authorised=authorised, filled=filled,
            vacant=authorised - filled, floor=check.floor if check else None,
            floor_rule=(f"at least {pack.district_floor_per_10000} per 10,000 residents"
                        f" ({pack.district_floor_source})") if pack else None,
            below_floor=bool(check and check.below), finding=check.finding if check else None,
            policy_pack=pack.ref if pack else None,
            vacancies=[
                CommunityVacancies(code=r["code"], quota=r["quota"], authorised=r["authorised"],
                                   filled=r["filled"], vacant=r["authorised"] - r["filled"])
                for r in rows if r["authorised"] > r["filled"]
            ],
        )  # fmt: skip
