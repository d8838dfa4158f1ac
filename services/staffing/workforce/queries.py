"""Reads of positions and workers: one community's or worker's from the log (exact, at once
after a command), lists from the read models. A worker's name and ID number are opened here
only, for a read that stated its purpose (the gateway audits it)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

import structlog

from services.staffing.district.events import district_stream
from services.staffing.district.pay import check_pay, incomes_of
from services.staffing.policy import PolicyReads
from services.staffing.quota.events import community_stream
from services.staffing.quota.packs import StaffingPack
from services.staffing.workforce.decide import CommunityPositions, Worker
from services.staffing.workforce.events import worker_stream
from services.staffing.workforce.schemas import (
    AppraisalView,
    CommunityPositionsView,
    PayView,
    PositionView,
    QualificationView,
    WorkerPage,
    WorkerRecord,
    WorkerView,
)
from shared.errors import NotFound
from shared.eventstore import Envelope
from shared.personal_data import PersonalVault

log = structlog.get_logger("wuding.staffing.workforce")


class WorkforceQueries(PolicyReads):
    vault = PersonalVault()

    async def positions(self, code: str, on: date | None = None) -> CommunityPositionsView:
        """The community's positions and their counts on `on` (today if None)."""
        envelopes = await self.store.read_stream(community_stream(code))
        community = CommunityPositions()
        for envelope in envelopes:
            community.apply(self.catalog.decode(envelope))
        if community.division_code is None:
            raise NotFound(f"staffing knows no community {code}")
        day = on or date.today()
        authorised, filled = community.counts_on(day)
        pack = await self.policy.covering(community.division_code)
        views = []
        for pid, p in community.positions.items():
            post = pack.posts.get(p.post) if pack else None
            holder = p.holder_on(day)
            state = (
                "abolished" if p.abolished_from is not None and p.abolished_from <= day
                else "not_yet_effective" if p.effective_from > day
                else "filled" if holder else "vacant"
            )  # fmt: skip
            views.append(
                PositionView(
                    position_id=pid, post=p.post, post_name=post.name if post else None,
                    effective_from=p.effective_from, abolished_from=p.abolished_from,
                    worker_id=holder, state=state,  # type: ignore[arg-type]
                )
            )  # fmt: skip
        return CommunityPositionsView(
            code=code, quota=community.quota, authorised=authorised, filled=filled,
            vacant=authorised - filled, on=day, positions=views,
            version=envelopes[-1].stream_version,
        )  # fmt: skip

    async def worker(self, wid: str) -> WorkerView:
        worker, envelopes = await self._worker(wid)
        return _view(worker, envelopes)

    async def worker_record(self, wid: str) -> WorkerRecord:
        """The full record, the sealed fields opened (null once erased)."""
        worker, envelopes = await self._worker(wid)
        personal, state = await self._personal(wid, envelopes[0].payload["personal"])
        pack = await self.policy.covering(worker.division_code)
        return WorkerRecord(
            **_view(worker, envelopes).model_dump(),
            name=personal.get("name"),
            id_number=personal.get("id_number"),
            personal_data=state,
            appraisals=[
                AppraisalView(year=y, result=r, consequence=pack.appraisal[r] if pack else "")
                for y, r in sorted(worker.appraisals.items())
            ],
            pay=await self._pay(worker, pack),
            qualifications=[
                QualificationView(level=level, effective_from=on)
                for level, on in worker.qualifications.items()
            ],
        )  # fmt: skip

    async def _personal(
        self, wid: str, sealed: dict[str, str]
    ) -> tuple[dict[str, str], Literal["readable", "erased", "unreadable"]]:
        """The worker's opened fields and their state. A key that does not open them is an
        integrity fault for the operators, not the reader's: the rest of the record is
        still served (the reason is logged, never the fields)."""
        try:
            personal = await self.vault.open(self.pool, wid, sealed)
        except ValueError as exc:
            log.error("personal_data.unreadable", worker_id=wid, error=str(exc))
            return {}, "unreadable"
        return (personal, "readable") if personal is not None else ({}, "erased")

    async def _pay(self, worker: Worker, pack: StaffingPack | None) -> list[PayView]:
        """Each recorded year's pay against the pack's floor (seed 004 §五, 001 §二(三)2)."""
        rule = pack.pay_floor if pack else None
        if rule is None or not worker.pay:
            return [PayView(year=y, annual_pay_fen=f, floor_fen=None, below_floor=False,
                            floor_rule=None) for y, f in sorted(worker.pay.items())]  # fmt: skip
        incomes = incomes_of(
            await self.store.read_stream(district_stream(worker.division_code[:6]))
        )
        post, major_type = None, None
        if worker.position_id is not None:
            row = await self.pool.fetchrow(
                "SELECT p.post, q.major_type FROM staffing_positions p"
                " LEFT JOIN staffing_quotas q USING (code) WHERE p.position_id = $1",
                worker.position_id,
            )
            post, major_type = (row["post"], row["major_type"]) if row else (None, None)
        views = []
        for year, fen in sorted(worker.pay.items()):
            check = check_pay(rule, year, fen, post, major_type, incomes)
            views.append(PayView(year=year, annual_pay_fen=fen, floor_fen=check.floor_fen,
                                 below_floor=check.below, floor_rule=check.rule,
                                 floor_measured_on=check.measured_on))  # type: ignore[arg-type]  # fmt: skip
        return views

    async def workers(
        self, prefix: str, status: str | None, limit: int, after: str | None
    ) -> WorkerPage:
        """A division's workers, pseudonymous, by id; `status="pool"`: the reserve pool."""
        rows = await self.pool.fetch(
            """SELECT worker_id, division_code, status, position_id, code, recruited_on, erased,
                      version
               FROM staffing_workers
               WHERE division_code LIKE $1 || '%' AND ($2::text IS NULL OR status = $2)
                 AND ($3::text IS NULL OR worker_id > $3)
               ORDER BY worker_id LIMIT $4""",
            prefix, status, after, limit + 1,
        )  # fmt: skip
        items = [WorkerView(**dict(r)) for r in rows[:limit]]
        more = len(rows) > limit
        return WorkerPage(items=items, next_cursor=items[-1].worker_id if more else None)

    async def _worker(
        self, wid: str, until: datetime | None = None
    ) -> tuple[Worker, list[Envelope]]:
        envelopes = await self.store.read_stream(worker_stream(wid), until=until)
        if not envelopes:
            raise NotFound(f"no worker {wid}")
        worker = Worker()
        for envelope in envelopes:
            worker.apply(self.catalog.decode(envelope))
        return worker, envelopes


def _view(worker: Worker, envelopes: list[Envelope]) -> WorkerView:
    assert worker.status is not None
    return WorkerView(
        worker_id=worker.worker_id, division_code=worker.division_code, status=worker.status,
        position_id=worker.position_id, code=worker.code, recruited_on=worker.recruited_on,
        erased=worker.erased, version=envelopes[-1].stream_version,
    )  # fmt: skip
