"""Ledger events, on the stream `ledger-<code>-<year>` of a community's budget year."""

from __future__ import annotations

from datetime import date
from typing import Literal

from shared.eventstore import DomainEvent
from shared.values import Record

PostingKind = Literal["appropriate", "allocate", "disburse", "spend", "reverse"]


class Entry(Record):
    """One side of a posting on one account: exactly one of debit and credit is non-zero."""

    account: str  # "<line>/<payer>/<stage>" (ledger/model.py)
    debit_fen: int = 0
    credit_fen: int = 0


class PostingRecorded(DomainEvent):
    """A posting of the commitment ledger: its entries balance (debits = credits). A reversal
    posts the opposite entries of the posting it reverses; nothing is ever edited."""

    event_type = "PostingRecorded"
    schema_version = 1

    posting_id: str
    code: str
    division_code: str
    year: int
    line: str
    payer: str
    kind: PostingKind
    amount_fen: int
    entries: list[Entry]
    reverses: str | None = None
    note: str = ""


class DisbursementOverdue(DomainEvent):
    """A payer had not disbursed its part of a line in full by its deadline (the day after it,
    in Beijing): the figures as they stood."""

    event_type = "DisbursementOverdue"
    schema_version = 1

    code: str
    division_code: str
    year: int
    line: str
    payer: str
    deadline: date
    part_fen: int
    disbursed_fen: int
    source: str


class DisbursementOverdueCleared(DomainEvent):
    """The payer has now disbursed its part in full: the overdue flag is cleared."""

    event_type = "DisbursementOverdueCleared"
    schema_version = 1

    code: str
    division_code: str
    year: int
    line: str
    payer: str
    deadline: date
    disbursed_fen: int


def ledger_stream(code: str, year: int) -> str:
    return f"ledger-{code}-{year}"


LEDGER_EVENT_TYPES: tuple[type[DomainEvent], ...] = (
    PostingRecorded, DisbursementOverdue, DisbursementOverdueCleared,
)  # fmt: skip
