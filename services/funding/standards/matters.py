"""费随事转 (seed 001 §二(三)2; seed 000 §二(五)2, the handover list's 工作经费): a matter admitted
into a community brings its yearly funding from the applying department. Pure.

On `MatterAdmitted` the community gets a budget line `matter:<matter_id>` for the budget year
the matter enters its list, paid wholly by the department, and the ledger records it at once
as appropriated and allocated to the community (the handover list commits it); disbursement
is posted as paid. On `MatterExited` the line stops from matters' `stops_from` (the next budget
year): the current year's line and ledger stand.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID, uuid5

from pydantic import BaseModel

from services.funding.ledger.events import PostingKind, PostingRecorded
from services.funding.ledger.model import entries_of
from services.funding.standards.decide import CommunityFunding, budget_year
from services.funding.standards.events import BudgetLineSet, MatterFundingStopped, PayerShare
from services.funding.standards.rules import yuan
from shared.values import Fen

SOURCE = "seed 001 §二(三)2 费随事转; seed 000 §二(五)2 (职责交接清单: 工作经费)"


class Admitted(BaseModel):
    """What funding reads of matters' `MatterAdmitted`."""

    code: str
    division_code: str
    matter: dict[str, str]
    admission_id: str
    department: str
    effective_from: datetime
    funding_per_year_fen: Fen


class Exited(BaseModel):
    """What funding reads of matters' `MatterExited`."""

    code: str
    division_code: str
    matter_id: str
    admission_id: str
    reason: str
    stops_from: date


def matter_line(matter_id: str) -> str:
    return f"matter:{matter_id}"


def follow_admission(
    admitted: Admitted, state: CommunityFunding, command_id: UUID
) -> tuple[BudgetLineSet | None, list[PostingRecorded]]:
    """The matter's line for the year it enters the list and its appropriation and
    allocation; nothing when the matter brings no funding or its line is already set."""
    year = budget_year(admitted.effective_from)
    line_id = matter_line(admitted.matter["matter_id"])
    amount = admitted.funding_per_year_fen
    if amount <= 0 or (year, line_id) in state.lines:
        return None, []
    department = admitted.department
    line = BudgetLineSet(
        code=admitted.code, division_code=admitted.division_code, year=year, line=line_id,
        name=admitted.matter["name"], amount_fen=amount, previous_fen=None,
        payers=[PayerShare(payer=department, share=1, fen=amount)],
        rule=f"费随事转: {department} funds {admitted.matter['name']} (admission"
        f" {admitted.admission_id}) with {yuan(amount)} yuan a year",
        source=SOURCE,
        inputs={"admission_id": admitted.admission_id, "department": department,
                "funding_per_year_fen": str(amount),
                "effective_from": admitted.effective_from.isoformat()},
        policy_region=None, policy_version=None,
    )  # fmt: skip
    kinds: tuple[PostingKind, ...] = ("appropriate", "allocate")
    postings = [
        PostingRecorded(
            posting_id=str(uuid5(command_id, kind)),
            code=admitted.code,
            division_code=admitted.division_code,
            year=year,
            line=line_id,
            payer=department,
            kind=kind,
            amount_fen=amount,
            entries=entries_of(kind, line_id, department, amount),
            note=f"费随事转: admission {admitted.admission_id}",
        )
        for kind in kinds
    ]
    return line, postings


def follow_exit(exited: Exited, state: CommunityFunding) -> MatterFundingStopped | None:
    """The line stops from the next budget year; nothing when it never started or stopped."""
    line_id = matter_line(exited.matter_id)
    if not any(line == line_id for _, line in state.lines) or line_id in state.stopped:
        return None
    return MatterFundingStopped(
        code=exited.code, division_code=exited.division_code, line=line_id,
        matter_id=exited.matter_id, stops_from_year=exited.stops_from.year,
        reason=exited.reason,
    )  # fmt: skip
