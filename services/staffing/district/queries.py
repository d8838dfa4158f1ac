"""Reads of a district's staffing: the read models summed, checked against the floor."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date

from services.staffing.district.events import district_stream
from services.staffing.district.findings import OpenFindings
from services.staffing.district.floor import check_floor
from services.staffing.district.pay import Income, check_average, check_pay, incomes_of
from services.staffing.district.schemas import (
    CommunityVacancies,
    DistrictStaffing,
    OpenFinding,
    PayAverage,
    PayFinding,
)
from services.staffing.policy import PolicyReads
from services.staffing.quota.packs import StaffingPack
from shared.errors import FieldProblem, NotFound, ValidationFailed
from shared.eventstore import Envelope

DISTRICT_PATTERN = r"[0-9]{6}"


def require_district(prefix: str) -> str:
    if not re.fullmatch(DISTRICT_PATTERN, prefix):
        raise ValidationFailed(
            "not a district", errors=[FieldProblem("prefix", "6 ASCII digits (区、县、市)")]
        )
    return prefix


class DistrictQueries(PolicyReads):
    async def district(self, prefix: str) -> DistrictStaffing:
        today = date.today()
        rows = await self.pool.fetch(
            """SELECT q.code, q.residents, q.quota,
                      count(p.position_id) FILTER (WHERE p.effective_from <= $2
                          AND (p.abolished_from IS NULL OR p.abolished_from > $2)) AS authorised,
                      count(p.position_id) FILTER (WHERE p.effective_from <= $2
                          AND (p.abolished_from IS NULL OR p.abolished_from > $2)
                          AND (SELECT h.worker_id FROM staffing_holders h  -- holder_on
                               WHERE h.position_id = p.position_id AND h.since <= $2
                               ORDER BY h.since DESC, h.version DESC LIMIT 1) IS NOT NULL
                      ) AS filled
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
        pack = await self.policy.covering(prefix)
        check = (
            check_floor(residents, filled, pack.district_floor_per_10000,
                        pack.district_floor_source)
            if pack else None
        )  # fmt: skip
        envelopes = await self.store.read_stream(district_stream(prefix))
        pay, averages = await self._pay_findings(prefix, pack, incomes_of(envelopes))
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
            pay_below_floor=pay, pay_averages=averages,
            open_findings=self._open_findings(envelopes),
        )  # fmt: skip

    def _open_findings(self, envelopes: list[Envelope]) -> list[OpenFinding]:
        found, recorded = OpenFindings(), {}
        for envelope in envelopes:
            event = self.catalog.decode(envelope)
            found.apply(event)
            recorded[id(event)] = envelope
        views = []
        if found.floor is not None:
            e = recorded[id(found.floor)]
            views.append(OpenFinding(
                kind="floor", event_id=str(e.event_id), opened_at=e.recorded_at,
                text=found.floor.finding,
            ))  # fmt: skip
        for (worker_id, year), f in sorted(found.pay.items(), key=lambda kv: kv[1].year):
            e = recorded[id(f)]
            whose = f"worker {worker_id}" if worker_id else f"the average of {f.workers} workers"
            views.append(OpenFinding(
                kind="pay" if worker_id else "pay_average", event_id=str(e.event_id),
                opened_at=e.recorded_at, year=year, worker_id=worker_id,
                text=f"{year}: the annual pay of {whose}, {f.pay_fen} fen, is below the floor"
                     f" of {f.floor_fen} fen: {f.rule}",
            ))  # fmt: skip
        return views

    async def _pay_findings(
        self, prefix: str, pack: StaffingPack | None, incomes: dict[int, Income]
    ) -> tuple[list[PayFinding], list[PayAverage]]:
        """Each pay below its floor, and per year the urban average when the floor bounds it."""
        if pack is None or pack.pay_floor is None:
            return [], []
        rule = pack.pay_floor
        rows = await self.pool.fetch(
            """SELECT p.worker_id, p.year, p.annual_pay_fen, pos.post, q.major_type
               FROM staffing_pay p JOIN staffing_workers w USING (worker_id)
               LEFT JOIN staffing_positions pos ON pos.position_id = w.position_id
               LEFT JOIN staffing_quotas q ON q.code = w.code
               WHERE p.division_code LIKE $1 || '%' ORDER BY p.worker_id, p.year""",
            prefix,
        )
        found, urban = [], defaultdict(list)
        for r in rows:
            check = check_pay(rule, r["year"], r["annual_pay_fen"], r["post"],
                              r["major_type"], incomes)  # fmt: skip
            if check.measured_on == "district_average" and r["major_type"] == "urban":
                urban[r["year"]].append(r["annual_pay_fen"])
            if check.below and check.floor_fen is not None:
                found.append(PayFinding(worker_id=r["worker_id"], year=r["year"],
                                        annual_pay_fen=r["annual_pay_fen"],
                                        floor_fen=check.floor_fen, rule=check.rule))  # fmt: skip
        averages = []
        for year, pays in sorted(urban.items()):
            if (a := check_average(rule, year, pays, incomes)) is not None:
                averages.append(PayAverage(
                    year=year, workers=a.workers, average_fen=a.average_fen,
                    floor_fen=a.floor_fen, rule=a.rule, below_floor=a.below,
                    finding=(f"{year}: the average pay of {a.workers} urban community workers,"
                             f" {a.average_fen} fen, is below the floor of {a.floor_fen} fen")
                    if a.below else None,
                ))  # fmt: skip
        return found, averages
