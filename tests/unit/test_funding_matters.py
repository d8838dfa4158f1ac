"""费随事转 decisions (services/funding/standards/matters.py): pure."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

from services.funding.ledger.model import Ledger, totals
from services.funding.standards.decide import CommunityFunding
from services.funding.standards.events import CommunityFacts
from services.funding.standards.matters import Admitted, Exited, follow_admission, follow_exit
from services.funding.standards.rollover import roll_over

ADMITTED = Admitted(
    code="33021100100110001", division_code="330211001001",
    matter={"matter_id": "330211001001-0A1B2C3D.1", "name": "企业安全隐患排查"},
    admission_id="330211001001-0a1b2c3d", department="镇海区应急管理局",
    effective_from=datetime(2026, 12, 31, 16, 30, tzinfo=UTC),  # 1 January 2027 in Beijing
    funding_per_year_fen=3_000_000,
)  # fmt: skip


def test_an_admitted_matter_is_a_line_appropriated_and_allocated_by_its_department() -> None:
    state, ledger = CommunityFunding(), Ledger()
    line, postings = follow_admission(ADMITTED, state, uuid4())
    assert line is not None and (line.year, line.line, line.amount_fen) == (
        2027, "matter:330211001001-0A1B2C3D.1", 3_000_000,
    )  # fmt: skip
    assert [(p.payer, p.fen) for p in line.payers] == [("镇海区应急管理局", 3_000_000)]
    for posting in postings:
        ledger.apply(posting)
    assert totals(ledger, line.line, "镇海区应急管理局") == {
        "appropriated": 3_000_000, "allocated": 3_000_000, "disbursed": 0, "spent": 0,
    }  # fmt: skip
    assert ledger.trial_balance() == 0
    state.apply(line)  # the same admission again (another delivery): nothing more
    assert follow_admission(ADMITTED, state, uuid4()) == (None, [])
    free = ADMITTED.model_copy(update={"funding_per_year_fen": 0})
    assert follow_admission(free, CommunityFunding(), uuid4()) == (None, [])


def test_an_exit_stops_the_line_from_the_next_budget_year_once() -> None:
    exited = Exited(code=ADMITTED.code, division_code=ADMITTED.division_code,
                    matter_id="330211001001-0A1B2C3D.1", admission_id=ADMITTED.admission_id,
                    reason="职能调整", stops_from=date(2028, 1, 1))  # fmt: skip
    state = CommunityFunding()
    assert follow_exit(exited, state) is None  # no line followed it: nothing to stop
    line, _ = follow_admission(ADMITTED, state, uuid4())
    assert line is not None
    state.apply(line)
    stop = follow_exit(exited, state)
    assert stop is not None and (stop.line, stop.stops_from_year) == (line.line, 2028)
    state.apply(stop)
    assert follow_exit(exited, state) is None and state.stopped == {line.line: 2028}


def test_the_roll_over_carries_a_matter_until_its_exit_and_sets_nothing_twice() -> None:
    state = CommunityFunding()
    line, _ = follow_admission(ADMITTED, state, uuid4())  # a 2027 line
    assert line is not None
    state.apply(line)
    assert roll_over(state, None, 2028, uuid4()) == ([], [])  # funding has no view of it yet
    state.facts = CommunityFacts(code=ADMITTED.code, division_code=ADMITTED.division_code,
                                 major_type="urban", status="active", households=900,
                                 residents=2500, employed_population=0)  # fmt: skip
    lines, carried = roll_over(state, None, 2028, uuid4())
    assert [(e.year, e.line, e.amount_fen, e.inputs["rolled_over_from"]) for e in lines] == [
        (2028, line.line, 3_000_000, "2027"),
    ]  # fmt: skip
    assert [p.kind for p in carried] == ["appropriate", "allocate"]
    for event in lines:
        state.apply(event)
    assert roll_over(state, None, 2028, uuid4()) == ([], [])  # run again: nothing
    stopped = CommunityFunding(facts=state.facts, lines={(2027, line.line): line},
                               stopped={line.line: 2028})  # fmt: skip
    assert roll_over(stopped, None, 2028, uuid4()) == ([], [])
