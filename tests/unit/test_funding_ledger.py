"""The commitment ledger's invariants under random postings (services/funding/ledger/model.py).

A property-based test drives random sequences of appropriations, allocations, disbursements,
spending and reversals (valid or not) and checks after every step: the trial balance is zero, every
posting balances, no stage exceeds the one before it, no payer exceeds its share of the line,
a refused posting changed nothing, and the totals equal an independent tally of the accepted
moves less the reversed ones.
"""

from __future__ import annotations

from collections import Counter
from uuid import uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from services.funding.ledger.events import PostingRecorded
from services.funding.ledger.model import Ledger, Posting, Refusal, decide_posting, totals
from services.funding.standards.events import BudgetLineSet, PayerShare

LINE = BudgetLineSet(
    code="33021100100110001", division_code="330211001001", year=2026,
    line="industrial_operating", name="产业型社区事业保障经费", amount_fen=1_000_001,
    previous_fen=None, rule="", source="seed 000 §二(五)1", inputs={},
    payers=[PayerShare(payer="district", share=1, fen=500_001),
            PayerShare(payer="town", share=1, fen=500_000)],
    policy_region="zhenhai", policy_version="2023.1",
)  # fmt: skip
LINES = {LINE.line: LINE}
STAGE_OF = {"appropriate": "appropriated", "allocate": "allocated", "disburse": "disbursed",
            "spend": "spent"}  # fmt: skip


def post(ledger: Ledger, posting: Posting) -> PostingRecorded | Refusal:
    decided = decide_posting(posting, ledger, LINES)
    if isinstance(decided, Refusal):
        return decided
    kind, line, payer, amount, entries = decided
    event = PostingRecorded(
        posting_id=str(uuid4()), code=LINE.code, division_code=LINE.division_code, year=2026,
        line=line, payer=payer, kind=kind, amount_fen=amount, entries=entries,  # type: ignore[arg-type]
        reverses=posting.reverses,
    )  # fmt: skip
    ledger.apply(event)
    return event


moves = st.tuples(
    st.sampled_from(["appropriate", "allocate", "disburse", "spend"]),
    st.sampled_from(["district", "town", "city"]),  # the city pays no part: refused
    st.one_of(st.integers(1, 150_000), st.integers(-10, 600_000)),
).map(lambda t: Posting(t[0], LINE.line, t[1], t[2]))  # type: ignore[arg-type]
reversals = st.integers(0, 50).map(lambda i: Posting("reverse", reverses=str(i)))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(moves, moves, reversals), max_size=40))
def test_every_invariant_holds_after_every_posting(asked: list[Posting]) -> None:
    ledger = Ledger()
    accepted: list[PostingRecorded] = []
    for posting in asked:
        if posting.kind == "reverse" and accepted:  # name an earlier posting, or none
            i = int(posting.reverses or 0)
            posting = Posting("reverse", reverses=accepted[i % len(accepted)].posting_id
                              if i % 3 else "no-such-posting")  # fmt: skip
        before = dict(ledger.balances), len(ledger.postings)
        outcome = post(ledger, posting)
        if isinstance(outcome, Refusal):
            assert (dict(ledger.balances), len(ledger.postings)) == before  # changed nothing
            assert outcome.reason
        else:
            accepted.append(outcome)
            assert sum(e.debit_fen for e in outcome.entries) == sum(
                e.credit_fen for e in outcome.entries
            ) == outcome.amount_fen  # fmt: skip
        assert ledger.trial_balance() == 0
        tally: Counter[tuple[str, str]] = Counter()
        for p in accepted:
            if p.kind != "reverse":
                undone = p.posting_id in ledger.reversed_by
                tally[(p.payer, STAGE_OF[p.kind])] += 0 if undone else p.amount_fen
        for share in LINE.payers:
            t = totals(ledger, LINE.line, share.payer)
            assert 0 <= t["spent"] <= t["disbursed"] <= t["allocated"] <= t["appropriated"]
            assert t["appropriated"] <= share.fen
            for stage in ("appropriated", "allocated", "disbursed", "spent"):
                assert t[stage] == tally[(share.payer, stage)]
    reversed_ = Counter(p.reverses for p in accepted if p.reverses)
    assert all(n == 1 for n in reversed_.values())  # each posting reversed at most once
    assert not any(ledger.postings[r].kind == "reverse" for r in reversed_)


def test_refusals_name_the_rule_and_the_figures() -> None:
    ledger = Ledger()
    over = post(ledger, Posting("appropriate", LINE.line, "town", 500_001))
    assert isinstance(over, Refusal) and over.reason == (
        "town would appropriate 5,000.01 yuan of industrial_operating, above its part 5,000.00"
        " yuan of the line's 10,000.01 (district 1:town 1)"
    )
    assert isinstance(post(ledger, Posting("appropriate", LINE.line, "town", 400_000)),
                      PostingRecorded)  # fmt: skip
    allocation = post(ledger, Posting("allocate", LINE.line, "town", 300_000))
    assert isinstance(allocation, PostingRecorded)
    too_much = post(ledger, Posting("disburse", LINE.line, "town", 300_001))
    assert isinstance(too_much, Refusal) and too_much.reason == (
        "disbursed would exceed allocated for industrial_operating/town: allocated 3,000.00"
        " yuan, disbursed 3,000.01 yuan"
    )
    assert isinstance(post(ledger, Posting("disburse", LINE.line, "town", 300_000)),
                      PostingRecorded)  # fmt: skip
    # Taking the allocation back would leave more disbursed than allocated.
    undo = post(ledger, Posting("reverse", reverses=allocation.posting_id))
    assert isinstance(undo, Refusal) and undo.field == "reverses"
    assert "disbursed would exceed allocated" in undo.reason
    unknown = post(ledger, Posting("appropriate", "party_organisation", "town", 1))
    assert isinstance(unknown, Refusal) and unknown.field == "line"
