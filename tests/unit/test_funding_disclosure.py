"""Disclosure statements (seed 003 §6.3): periods and figures (services/funding/disclosure.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from services.funding.disclosure import as_csv, as_html, period_bounds, statement
from services.funding.ledger.events import PostingRecorded
from services.funding.ledger.model import entries_of
from shared.errors import ValidationFailed


def test_a_period_is_a_quarter_or_a_month() -> None:
    assert period_bounds("2026Q4") == (2026, date(2026, 10, 1), date(2027, 1, 1))
    assert period_bounds("2026-02") == (2026, date(2026, 2, 1), date(2026, 3, 1))
    for bad in ("2026Q5", "2026-13", "2026", "２０２６Q1"):
        with pytest.raises(ValidationFailed):
            period_bounds(bad)


def moved(
    kind: str, fen: int, at: datetime, reverses: str | None = None
) -> tuple[datetime, PostingRecorded]:
    entries = [] if kind == "reverse" else entries_of(kind, "service_fund", "district", fen)
    return at, PostingRecorded(
        posting_id=str(uuid4()), code="33021100100110001", division_code="330211001001",
        year=2026, line="service_fund", payer="district", kind=kind, amount_fen=fen,  # type: ignore[arg-type]
        entries=entries, reverses=reverses,
    )  # fmt: skip


def test_received_and_spent_in_the_period_and_to_date_by_beijing_day() -> None:
    june = datetime(2026, 6, 30, 16, 30, tzinfo=UTC)  # 1 July in Beijing: the third quarter
    paid = moved("disburse", 100_000, datetime(2026, 5, 1, tzinfo=UTC))
    postings = [
        paid, moved("spend", 30_000, june), moved("disburse", 50_000, june),
        moved("reverse", 50_000, datetime(2026, 7, 2, tzinfo=UTC), reverses=None),
        moved("allocate", 999, june),  # not received: no figure
    ]  # fmt: skip
    reversed_id = postings[2][1].posting_id
    postings[3] = (postings[3][0], postings[3][1].model_copy(update={"reverses": reversed_id}))
    kinds = {p.posting_id: p.kind for _, p in postings}
    lines = {"service_fund": ("社区党组织服务群众专项经费", 20_000_000)}
    q3 = statement("33021100100110001", "330211001001", "2026Q3", lines, postings, kinds)
    [line] = q3.lines
    assert (line.received_fen, line.spent_fen) == (0, 30_000)  # 50,000 in and reversed
    assert (line.received_to_date_fen, line.spent_to_date_fen, line.balance_fen) == (
        100_000, 30_000, 70_000,
    )  # fmt: skip
    q2 = statement("33021100100110001", "330211001001", "2026Q2", lines, postings, kinds)
    assert (q2.lines[0].received_fen, q2.lines[0].spent_fen) == (100_000, 0)
    text = as_csv(q3)
    assert text.startswith("\ufeffcode,period,line,") and "社区党组织服务群众专项经费" in text
    page = as_html(q3.model_copy(update={"lines": [line.model_copy(update={"name": "<b>x</b>"})]}))
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page and "700.00" in page
