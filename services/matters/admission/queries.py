"""Reads of the admission cases: one case from its stream, the list by state from the table."""

from __future__ import annotations

import asyncpg

from services.matters.admission.events import admission_stream
from services.matters.admission.schemas import (
    AdmissionItemView,
    AdmissionSummary,
    AdmissionView,
    MeetingView,
)
from services.matters.admission.workflow import ADMISSION, Admission
from shared.queries import Queries

_SUMMARY = "admission_id, division_code, applicant, status, items, runways, applied_at, updated_at"


def admission_view(case: Admission, version: int) -> AdmissionView:
    applied = case.applied
    assert applied is not None
    outcomes = {o.item: o for o in case.decided.outcomes} if case.decided else {}
    items = []
    for n, proposed in enumerate(applied.items, start=1):
        judged, signed, exited = case.judged.get(n), case.handed_over.get(n), case.exited.get(n)
        items.append(
            AdmissionItemView(
                item=n, proposed=proposed, judgements=judged.judgements if judged else None,
                outcome=outcomes.get(n), matter_id=signed.matter_id if signed else None,
                handover=signed.handover if signed else None,
                effective_from=signed.effective_from if signed else None,
                entered=signed.entered if signed else [],
                exited_from=exited.effective_from if exited else None,
                exit_reason=exited.reason if exited else None,
            )
        )  # fmt: skip
    meeting = case.meeting
    return AdmissionView(
        admission_id=applied.admission_id, division_code=applied.division_code,
        applicant=applied.applicant, applicant_kind=applied.applicant_kind,
        status=case.status,  # type: ignore[arg-type]  # always one of AdmissionStatus
        next_step=ADMISSION.next_step[case.status],
        target_communities=applied.target_communities, documents=applied.documents,
        meeting=MeetingView(held_on=meeting.held_on, participants=meeting.participants)
        if meeting else None,
        items=items, version=version,
    )  # fmt: skip


def _summary(row: asyncpg.Record) -> AdmissionSummary:
    return AdmissionSummary.model_validate(
        {**row, "next_step": ADMISSION.next_step[row["status"]], "runways": list(row["runways"])}
    )


class AdmissionQueries(Queries):
    async def admission(self, admission_id: str) -> AdmissionView | None:
        envelopes = await self.store.read_stream(admission_stream(admission_id))
        if not envelopes:
            return None
        case = Admission()
        for envelope in envelopes:
            case.apply(self.catalog.decode(envelope))
        return admission_view(case, envelopes[-1].stream_version)

    async def admissions(
        self, prefix: str, status: str | None, after: str, limit: int
    ) -> list[AdmissionSummary]:
        rows = await self.pool.fetch(
            f"SELECT {_SUMMARY} FROM matters_admissions WHERE admission_id LIKE $1 || '%'"
            " AND ($2::text IS NULL OR status = $2) AND admission_id > $3"
            " ORDER BY admission_id LIMIT $4",
            prefix, status, after, limit,
        )  # fmt: skip
        return [_summary(r) for r in rows]
