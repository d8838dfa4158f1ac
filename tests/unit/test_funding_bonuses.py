"""Qualification bonuses (seed 002 §五(二)), worked by hand (funding/standards/bonuses.py)."""

from __future__ import annotations

from datetime import date

from services.funding.standards.bonuses import LINE, HeldBonuses, Obtained, bonus_line, hold
from services.funding.standards.decide import CommunityFunding
from services.funding.standards.events import QualificationBonusReleased
from services.funding.standards.packs import FundingBook

BOOK = FundingBook.shipped()
XIXIAN = next(p for p in BOOK.packs if p.region == "xixian")
ZHENHAI = next(p for p in BOOK.packs if p.region == "zhenhai")
CODE = "61010400100110001"


def line_for(state: CommunityFunding, year: int, *grants: tuple[str, str]):  # type: ignore[no-untyped-def]
    line = bonus_line(state, CODE, CODE[:12], year, XIXIAN, list(grants))
    if line is not None:
        state.apply(line)
    return line


def test_5000_3000_2000_yuan_once_per_worker_and_qualification() -> None:
    state = CommunityFunding()
    first = line_for(state, 2025, ("w1", "senior_social_worker"), ("w2", "assistant_social_worker"))
    assert first is not None and first.line == LINE
    assert first.amount_fen == 500_000 + 200_000 and first.previous_fen is None
    assert [(p.payer, p.fen) for p in first.payers] == [
        ("new_area", 350_000),
        ("new_city", 350_000),
    ]
    assert "= 7,000.00 yuan, once per worker and qualification" in first.rule
    # The same worker and qualification again, this year or the next: counted already.
    assert line_for(state, 2025, ("w1", "senior_social_worker")) is None
    assert line_for(state, 2026, ("w2", "assistant_social_worker")) is None
    # Another qualification of the same worker counts: the line grows, with its previous amount.
    second = line_for(state, 2025, ("w1", "social_worker"))
    assert second is not None and (second.amount_fen, second.previous_fen) == (1_000_000, 700_000)
    assert sum(int(v) for v in second.inputs.values()) == second.amount_fen  # recomputable


def test_no_bonus_where_the_pack_has_none_or_for_an_unknown_level() -> None:
    state = CommunityFunding()
    assert bonus_line(state, CODE, CODE[:12], 2025, ZHENHAI, [("w1", "social_worker")]) is None
    assert line_for(state, 2025, ("w1", "astronaut")) is None


def test_a_pool_workers_bonus_is_held_once_and_released() -> None:
    worker = HeldBonuses()
    obtained = Obtained(worker_id="w9", division_code=CODE[:12], level="social_worker",
                        effective_from=date(2025, 4, 1))  # fmt: skip
    held = hold(obtained, worker)
    assert held is not None
    worker.apply(held)
    assert hold(obtained, worker) is None  # held once
    worker.apply(QualificationBonusReleased(worker_id="w9", code=CODE, levels=["social_worker"]))
    assert worker.held == {}
    assert hold(obtained, worker) is None  # seen again after its release: not held again
