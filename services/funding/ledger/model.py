"""The commitment ledger of a community's budget year, double-entry: pure.

Per budget line and payer, five accounts: the payer's budget `authority`, and the stages
`appropriated`, `allocated`, `disbursed`, `spent`. Each posting moves an amount one stage on:

    appropriate  debit appropriated, credit authority    (budget line → this community)
    allocate     debit allocated,    credit appropriated (committed to the community)
    disburse     debit disbursed,    credit allocated    (paid: the community received it)
    spend        debit spent,        credit disbursed    (the community spent it)
    reverse      the opposite entries of one earlier posting (a correction, never an edit)

An account's balance is its debits less its credits; the balances of a ledger always sum to
zero (the trial balance). What is left at a stage is its balance: appropriated-not-yet-
allocated, allocated-not-yet-disbursed, received-not-yet-spent, spent. The invariants,
checked on every posting and refused with the figures when a posting would break one:

- a payer's appropriation never exceeds its part of the line (the payer-share rule: 区、镇
  1:1 means each appropriates at most half of the line);
- allocated never exceeds appropriated, disbursed never exceeds allocated, spent never
  exceeds disbursed (no stage's balance below zero);
- a posting is reversed at most once, and a reversal is never itself reversed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal

from services.funding.ledger.events import (
    DisbursementOverdue,
    DisbursementOverdueCleared,
    Entry,
    PostingKind,
    PostingRecorded,
)
from services.funding.standards.events import BudgetLineSet
from services.funding.standards.rules import yuan

Stage = Literal["authority", "appropriated", "allocated", "disbursed", "spent"]
STAGES: tuple[Stage, ...] = ("authority", "appropriated", "allocated", "disbursed", "spent")
# Each kind of posting: the account it debits and the one it credits.
MOVES: dict[str, tuple[Stage, Stage]] = {
    "appropriate": ("appropriated", "authority"),
    "allocate": ("allocated", "appropriated"),
    "disburse": ("disbursed", "allocated"),
    "spend": ("spent", "disbursed"),
}


def account(line: str, payer: str, stage: Stage) -> str:
    return f"{line}/{payer}/{stage}"


@dataclass(frozen=True)
class Posting:
    """A posting asked for: a move of `amount_fen`, or the reversal of `reverses`."""

    kind: PostingKind
    line: str = ""
    payer: str = ""
    amount_fen: int = 0
    reverses: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Refusal:
    field: str
    reason: str


@dataclass
class Ledger:
    """A ledger stream, folded: every posting by id, each account's balance."""

    postings: dict[str, PostingRecorded] = field(default_factory=dict)
    reversed_by: dict[str, str] = field(default_factory=dict)
    balances: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    overdue: set[tuple[str, str]] = field(default_factory=set)  # (line, payer) flagged now

    def apply(self, event: object) -> None:
        if isinstance(event, DisbursementOverdue):
            self.overdue.add((event.line, event.payer))
        elif isinstance(event, DisbursementOverdueCleared):
            self.overdue.discard((event.line, event.payer))
        if not isinstance(event, PostingRecorded):
            return
        self.postings[event.posting_id] = event
        if event.reverses is not None:
            self.reversed_by[event.reverses] = event.posting_id
        for entry in event.entries:
            self.balances[entry.account] += entry.debit_fen - entry.credit_fen

    def balance(self, line: str, payer: str, stage: Stage) -> int:
        return self.balances.get(account(line, payer, stage), 0)

    def appropriated(self, line: str, payer: str) -> int:
        """Net appropriated so far (what the payer's authority has given)."""
        return -self.balance(line, payer, "authority")

    def trial_balance(self) -> int:
        """The sum of every account's balance: zero, always."""
        return sum(self.balances.values())


def entries_of(kind: str, line: str, payer: str, amount_fen: int) -> list[Entry]:
    debit, credit = MOVES[kind]
    return [
        Entry(account=account(line, payer, debit), debit_fen=amount_fen),
        Entry(account=account(line, payer, credit), credit_fen=amount_fen),
    ]


def decide_posting(
    posting: Posting, ledger: Ledger, lines: dict[str, BudgetLineSet]
) -> tuple[str, str, str, int, list[Entry]] | Refusal:
    """(kind, line, payer, amount, entries) of the posting, or why it is refused. `lines` are
    the community's budget lines of the ledger's year, by line id."""
    if posting.kind == "reverse":
        return _reversal(posting, ledger)
    budget = lines.get(posting.line)
    if budget is None:
        known = ", ".join(sorted(lines)) or "none"
        return Refusal("line", f"no budget line {posting.line} for the year (lines: {known})")
    parts = {p.payer: p.fen for p in budget.payers}
    if posting.payer not in parts:
        payers = ", ".join(parts)
        reason = f"{posting.payer} pays no part of {posting.line} (payers: {payers})"
        return Refusal("payer", reason)
    if posting.amount_fen <= 0:
        return Refusal("amount_fen", "a posting moves a positive amount; correct by a reversal")
    entries = entries_of(posting.kind, posting.line, posting.payer, posting.amount_fen)
    problem = _breaks(ledger, entries, parts, posting.line, posting.payer, budget)
    if problem is not None:
        return problem
    return posting.kind, posting.line, posting.payer, posting.amount_fen, entries


def _reversal(posting: Posting, ledger: Ledger) -> tuple[str, str, str, int, list[Entry]] | Refusal:
    original = ledger.postings.get(posting.reverses or "")
    if original is None:
        return Refusal("reverses", f"no posting {posting.reverses} in this ledger")
    if original.kind == "reverse":
        return Refusal("reverses", f"{original.posting_id} is a reversal: post the move again")
    if (by := ledger.reversed_by.get(original.posting_id)) is not None:
        return Refusal("reverses", f"{original.posting_id} was already reversed by {by}")
    entries = [
        Entry(account=e.account, debit_fen=e.credit_fen, credit_fen=e.debit_fen)
        for e in original.entries
    ]
    problem = _breaks(ledger, entries, None, original.line, original.payer, None)
    if problem is not None:
        return Refusal("reverses", f"reversing {original.posting_id}: {problem.reason}")
    return "reverse", original.line, original.payer, original.amount_fen, entries


def _breaks(
    ledger: Ledger, entries: list[Entry], parts: dict[str, int] | None, line: str, payer: str,
    budget: BudgetLineSet | None,
) -> Refusal | None:  # fmt: skip
    """What the entries would break, with the figures; None when every invariant holds."""
    before, after = totals(ledger, line, payer), totals(ledger, line, payer, entries)
    pairs = (("spent", "disbursed"), ("disbursed", "allocated"), ("allocated", "appropriated"))
    for lower, upper in pairs:
        if after[lower] > after[upper]:
            return Refusal(
                "amount_fen",
                f"{lower} would exceed {upper} for {line}/{payer}: {upper}"
                f" {yuan(after[upper])} yuan, {lower} {yuan(after[lower])} yuan",
            )
    if after["spent"] < 0:
        return Refusal("amount_fen", f"spent would fall below zero for {line}/{payer}")
    grows = after["appropriated"] > before["appropriated"]
    if grows and parts is not None and budget is not None and after["appropriated"] > parts[payer]:
        shares = ":".join(f"{p.payer} {p.share}" for p in budget.payers)
        return Refusal(
            "amount_fen",
            f"{payer} would appropriate {yuan(after['appropriated'])} yuan of {line}, above its"
            f" part {yuan(parts[payer])} yuan of the line's {yuan(budget.amount_fen)} ({shares})",
        )
    return None


def totals(
    ledger: Ledger, line: str, payer: str, entries: list[Entry] | None = None
) -> dict[str, int]:
    """The amounts that have reached each stage of (line, payer), net of reversals (after
    `entries`, when given), from the account balances: spent is its balance, disbursed what
    is still unspent plus what was spent, allocated what is still allocated plus what was
    disbursed, appropriated what the authority gave."""
    balance = {stage: ledger.balance(line, payer, stage) for stage in STAGES}
    for e in entries or []:
        stage = e.account.rsplit("/", 1)[1]
        balance[stage] += e.debit_fen - e.credit_fen  # type: ignore[index]
    spent = balance["spent"]
    disbursed = balance["disbursed"] + spent
    allocated = balance["allocated"] + disbursed
    return {"appropriated": -balance["authority"], "allocated": allocated,
            "disbursed": disbursed, "spent": spent}  # fmt: skip
