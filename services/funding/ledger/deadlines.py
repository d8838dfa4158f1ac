"""Disbursement deadlines (Xixian, seed 002 §八(三): the new area disburses its share by 31 May,
each new city its matching share by 30 June): pure.

A payer whose line carries a deadline is overdue from the day after it (in Beijing) while its
disbursed amount is below its part of the line; the flag is an event on the ledger, raised
once, and cleared by another event once the part is paid in full.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from services.funding.ledger.events import DisbursementOverdue, DisbursementOverdueCleared
from services.funding.ledger.model import Ledger, totals
from services.funding.standards.events import BudgetLineSet

SOURCE = "seed 002 §八(三)"


def overdue_changes(
    lines: Iterable[BudgetLineSet], ledger: Ledger, today: date
) -> list[DisbursementOverdue | DisbursementOverdueCleared]:
    """The flags to raise and to clear on `today` for the lines of one ledger."""
    changes: list[DisbursementOverdue | DisbursementOverdueCleared] = []
    for line in lines:
        for part in line.payers:
            deadline = line.deadlines.get(part.payer)
            if deadline is None:
                continue
            disbursed = totals(ledger, line.line, part.payer)["disbursed"]
            flagged = (line.line, part.payer) in ledger.overdue
            if not flagged and today > deadline and disbursed < part.fen:
                changes.append(DisbursementOverdue(
                    code=line.code, division_code=line.division_code, year=line.year,
                    line=line.line, payer=part.payer, deadline=deadline, part_fen=part.fen,
                    disbursed_fen=disbursed, source=SOURCE,
                ))  # fmt: skip
            elif flagged and disbursed >= part.fen:
                changes.append(DisbursementOverdueCleared(
                    code=line.code, division_code=line.division_code, year=line.year,
                    line=line.line, payer=part.payer, deadline=deadline, disbursed_fen=disbursed,
                ))  # fmt: skip
    return changes
