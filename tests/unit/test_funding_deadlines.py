"""Disbursement deadlines (seed 002 §八(三)): flags raised the day after, once, cleared when
paid in full (services/funding/ledger/deadlines.py)."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

from services.funding.ledger.deadlines import overdue_changes
from services.funding.ledger.events import (
    DisbursementOverdue,
    DisbursementOverdueCleared,
    PostingRecorded,
)
from services.funding.ledger.model import Ledger, entries_of
from services.funding.standards.events import CommunityFacts
from services.funding.standards.packs import FundingBook
from services.funding.standards.rules import budget_lines
from tests.unit.test_funding_ledger import LINE

XIXIAN = next(p for p in FundingBook.shipped().packs if p.region == "xixian")


def test_xixian_lines_carry_the_new_area_and_new_city_deadlines() -> None:
    facts = CommunityFacts(code="61010400100110001", division_code="610104001001",
                           major_type="urban", status="active", households=1500,
                           residents=4200, employed_population=0)  # fmt: skip
    [line] = budget_lines(facts, 2026, XIXIAN)
    assert line.deadlines == {"new_area": date(2026, 5, 31), "new_city": date(2026, 6, 30)}


def pay(ledger: Ledger, payer: str, fen: int) -> None:
    for kind in ("appropriate", "allocate", "disburse"):
        ledger.apply(PostingRecorded(
            posting_id=str(uuid4()), code=LINE.code, division_code=LINE.division_code,
            year=2026, line=LINE.line, payer=payer, kind=kind, amount_fen=fen,  # type: ignore[arg-type]
            entries=entries_of(kind, LINE.line, payer, fen),
        ))  # fmt: skip


def test_overdue_the_day_after_once_and_cleared_when_paid_in_full() -> None:
    line = LINE.model_copy(update={"deadlines": {"district": date(2026, 5, 31)}})
    ledger = Ledger()
    assert overdue_changes([line], ledger, date(2026, 5, 31)) == []  # the deadline itself
    [flag] = overdue_changes([line], ledger, date(2026, 6, 1))
    assert isinstance(flag, DisbursementOverdue)
    assert (flag.payer, flag.part_fen, flag.disbursed_fen) == ("district", 500_001, 0)
    ledger.apply(flag)
    assert overdue_changes([line], ledger, date(2026, 6, 2)) == []  # raised once
    pay(ledger, "district", 500_000)  # a fen short
    assert overdue_changes([line], ledger, date(2026, 6, 3)) == []
    pay(ledger, "district", 1)
    [cleared] = overdue_changes([line], ledger, date(2026, 6, 4))
    assert isinstance(cleared, DisbursementOverdueCleared) and cleared.disbursed_fen == 500_001
    ledger.apply(cleared)
    assert ledger.overdue == set() and overdue_changes([line], ledger, date(2026, 6, 5)) == []
    # Paid in full before the deadline: never flagged. The town has no deadline: never.
    early = Ledger()
    pay(early, "district", 500_001)
    assert overdue_changes([line], early, date(2026, 7, 1)) == []
