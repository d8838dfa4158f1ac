"""Position control, worker, district floor, ID number and purpose rules: pure, no I/O."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.staffing.district.floor import check_floor
from services.staffing.district.pay import Income, check_average, check_pay
from services.staffing.quota.events import CommunityObserved, QuotaSet
from services.staffing.quota.packs import StaffingBook
from services.staffing.workforce import decide as rules
from services.staffing.workforce.decide import CommunityPositions, Worker, WorkforceConflict
from services.staffing.workforce.events import PositionAuthorised, PositionFilled
from services.staffing.workforce.ids import require_worker_id, worker_id
from shared.errors import ValidationFailed
from shared.id_card import check_character, id_number_problem
from shared.personal_data import PersonalVault, Sealed
from shared.pipeline import Refused
from shared.purpose import stated_purpose

CODE = "33021100100110003"
DAY = date(2025, 1, 1)
PACK = StaffingBook.shipped().pack_for(CODE[:12])


def community(quota: int | None, *posts: str) -> CommunityPositions:
    state = CommunityPositions()
    state.apply(CommunityObserved(code=CODE, division_code=CODE[:12], major_type="urban",
                                  status="active", residents=1400))  # fmt: skip
    if quota is not None:
        state.apply(QuotaSet(code=CODE, division_code=CODE[:12], quota=quota, previous=None,
                             rule="22 per 10,000 residents", source="seed 004 §四", inputs={},
                             policy_region="ningbo", policy_version="2023.1"))  # fmt: skip
    for post in posts:
        decided = rules.authorise(state, CODE, post, DAY, PACK)
        assert isinstance(decided, PositionAuthorised)
        state.apply(decided)
    return state


def pooled(division: str = CODE[:12]) -> Worker:
    worker = Worker()
    worker.apply(rules.recruit(Worker(), worker_id(division, uuid4()), division, DAY,
                               Sealed(nonce="", ciphertext="")))  # fmt: skip
    return worker


def test_a_position_beyond_the_quota_is_refused_with_the_rule() -> None:
    full = community(2, "grid_worker", "social_worker")
    refused = rules.authorise(full, CODE, "grid_worker", DAY, PACK)
    assert isinstance(refused, Refused)
    assert "2 positions are authorised and the quota is 2 (22 per 10,000" in (
        refused.problems[0].reason
    )
    assert isinstance(rules.authorise(community(3, "grid_worker"), CODE, "grid_worker", DAY,
                                      PACK), PositionAuthorised)  # fmt: skip


def test_no_quota_or_an_unknown_post_refuses_with_every_reason() -> None:
    refused = rules.authorise(community(None), CODE, "astronaut", DAY, PACK)
    assert isinstance(refused, Refused)
    reasons = " | ".join(p.reason for p in refused.problems)
    assert "not in the post catalogue" in reasons and "has no quota" in reasons


def test_an_abolished_position_frees_its_place_under_the_quota() -> None:
    state = community(1, "grid_worker")
    state.apply(rules.abolish(state, CODE, f"{CODE}-001", date(2025, 6, 1), "合并"))
    assert state.counts_on(date(2025, 5, 31)) == (1, 0)
    assert state.counts_on(date(2025, 6, 1)) == (0, 0)
    decided = rules.authorise(state, CODE, "social_worker", DAY, PACK)
    assert isinstance(decided, PositionAuthorised) and decided.position_id == f"{CODE}-002"


def test_a_vacancy_is_filled_once_and_only_by_a_worker_of_its_district() -> None:
    state, worker = community(2, "grid_worker"), pooled()
    placed = rules.assign(worker, state, f"{CODE}-001", DAY)
    assert not isinstance(placed, Refused)
    for event in placed:
        (worker if event.event_type.startswith("Worker") else state).apply(event)
    with pytest.raises(WorkforceConflict, match="is filled by"):
        rules.assign(pooled(), state, f"{CODE}-001", DAY)
    with pytest.raises(WorkforceConflict, match="only a worker in the pool"):
        rules.assign(worker, state, f"{CODE}-001", DAY)
    other = community(2, "grid_worker", "social_worker")
    refused = rules.assign(pooled("330212001001"), other, f"{CODE}-002", DAY)
    assert isinstance(refused, Refused) and "own district" in refused.title


def test_holders_are_effective_dated() -> None:
    state = community(1, "grid_worker")
    state.apply(PositionFilled(code=CODE, position_id=f"{CODE}-001", worker_id="w",
                               effective_from=date(2025, 3, 1)))  # fmt: skip
    assert state.counts_on(date(2025, 2, 28)) == (1, 0)
    assert state.counts_on(date(2025, 3, 1)) == (1, 1)


def test_appraisal_and_qualification_are_recorded_once() -> None:
    assert PACK is not None
    worker = pooled()
    worker.apply(rules.appraise(worker, 2025, "不合格", PACK))
    with pytest.raises(WorkforceConflict, match="already appraised"):
        rules.appraise(worker, 2025, "优秀", PACK)
    worker.apply(rules.qualify(worker, "social_worker", DAY))
    with pytest.raises(WorkforceConflict, match="recorded once"):
        rules.qualify(worker, "social_worker", DAY)
    assert rules.qualify(worker, "senior_social_worker", DAY).level == "senior_social_worker"


@pytest.mark.parametrize(
    ("residents", "filled", "floor", "below"),
    [(10000, 18, 18, False), (10000, 17, 18, True), (10100, 18, 19, True), (0, 0, 0, False)],
)
def test_the_district_floor_is_18_per_10000_rounded_up(
    residents: int, filled: int, floor: int, below: bool
) -> None:
    check = check_floor(residents, filled, Decimal(18), "seed 003 §7.1.1")
    assert (check.floor, check.below) == (floor, below)
    assert (check.finding is not None) == below
    if below:
        assert f"{filled} filled positions, below the floor of {floor}" in str(check.finding)


def test_id_numbers_follow_gb_11643() -> None:
    assert id_number_problem("11010519491231002X") is None  # the standard's own example
    assert "check character" in str(id_number_problem("110105194912310021"))
    assert "birth date" in str(id_number_problem("110105194913310029"))
    assert id_number_problem("11010519491231002x") is not None  # X is upper case


@given(st.text(min_size=17, max_size=17, alphabet="0123456789"))
def test_the_check_character_catches_every_single_digit_change(first17: str) -> None:
    number = first17 + check_character(first17)
    for i in range(17):
        changed = first17[:i] + str((int(first17[i]) + 1) % 10) + first17[i + 1 :]
        assert check_character(changed) != number[17]


@given(st.text(max_size=300))
def test_a_purpose_is_5_to_200_characters_of_one_line_or_refused(text: str) -> None:
    raw = text.encode("utf-8").decode("latin-1")  # as HTTP hands a raw UTF-8 header over
    try:
        purpose = stated_purpose(raw)
    except ValidationFailed as exc:
        assert exc.errors[0].field == "header.X-Purpose"
    else:
        assert 5 <= len(purpose) <= 200 and "\n" not in purpose


def test_sealed_fields_hold_no_plaintext_and_worker_ids_are_well_formed() -> None:
    vault = PersonalVault()
    sealed, key = vault.seal("a", {"name": "王晓梅"})
    assert "王晓梅" not in sealed.model_dump_json() and len(key) == 32
    require_worker_id(worker_id("330211001001", uuid4()))


def test_the_pay_floor_is_1_4_times_the_prior_years_urban_income_in_ningbo() -> None:
    """Seed 004 §五 bounds the district's average (年平均收入), not each worker's pay."""
    rule = StaffingBook.shipped().pack_for("330211001001").pay_floor  # type: ignore[union-attr]
    assert rule is not None and rule.measured_on == "district_average"
    incomes = {2024: Income(7_500_000, 4_000_000, "2024年统计公报")}
    check = check_pay(rule, 2025, 10_499_999, "grid_worker", "urban", incomes)
    assert (check.floor_fen, check.below, check.measured_on) == (
        10_500_000,
        False,
        "district_average",
    )
    assert "1.4 × the urban per-capita disposable income of 2024" in check.rule
    below = check_average(rule, 2025, [10_000_000, 10_999_999], incomes)
    assert below is not None and (below.workers, below.average_fen, below.below) == (
        2,
        10_500_000,
        True,  # 10,499,999.5 rounds up for reading; the exact sum is below
    )
    met = check_average(rule, 2025, [10_000_000, 11_000_000], incomes)
    assert met is not None and not met.below and met.floor_fen == 10_500_000
    assert check_average(rule, 2026, [1], incomes) is None  # 2025's figure not recorded
    waiting = check_pay(rule, 2026, 1, None, None, incomes)
    assert waiting.floor_fen is None and not waiting.below and "2025" in waiting.rule


def test_a_village_head_in_the_development_zone_is_measured_against_twice_rural_income() -> None:
    rule = StaffingBook.shipped().pack_for("370501001001").pay_floor  # type: ignore[union-attr]
    assert rule is not None
    incomes = {2025: Income(5_000_000, 2_000_000, "公报")}
    head = check_pay(rule, 2025, 3_999_999, "party_secretary", "rural", incomes)
    assert (head.floor_fen, head.below) == (4_000_000, True) and "village head" in head.rule
    worker = check_pay(rule, 2025, 5_000_000, "grid_worker", "urban", incomes)
    assert (worker.floor_fen, worker.below) == (5_000_000, False)
