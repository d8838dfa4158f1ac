"""Budget lines from the seeds' standards, worked by hand (services/funding/standards)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.funding.standards.decide import CommunityFunding, budget_year, decide
from services.funding.standards.events import BudgetLineSet, CommunityFacts
from services.funding.standards.packs import FundingBook
from services.funding.standards.rules import budget_lines, split

BOOK = FundingBook.shipped()
ZHENHAI = next(p for p in BOOK.packs if p.region == "zhenhai")
DEVZONE = next(p for p in BOOK.packs if p.region == "devzone")


def facts(
    major_type: str = "industrial", division: str = "330211001001", **over: int
) -> CommunityFacts:
    figures = {"households": 1200, "residents": 3000, "employed_population": 8000} | over
    return CommunityFacts(code="33021100100110001", division_code=division,
                          major_type=major_type, status="active", **figures)  # fmt: skip


def amounts(lines: list) -> dict[str, int]:
    return {line.line: line.amount_fen for line in lines}


def test_zhenhai_operating_guarantee_is_50_yuan_per_employed_person_shared_1_to_1() -> None:
    """Seed 000 §二(五)1: 8,000 employed × 50 yuan = 400,000 yuan in the base year (2023),
    above the 350,000 minimum; district and town pay 200,000 each."""
    [operating, service] = budget_lines(facts(), 2023, ZHENHAI)
    assert (operating.line, operating.amount_fen) == ("industrial_operating", 40_000_000)
    assert [(p.payer, p.fen) for p in operating.payers] == [
        ("district", 20_000_000), ("town", 20_000_000),
    ]  # fmt: skip
    assert operating.source == "seed 000 §二(五)1"
    assert "8,000 employed_population × 50.00 yuan each" in operating.rule
    # The service-the-masses fund: at least 200,000 a year (seed 000 §二(五)1).
    assert (service.line, service.amount_fen) == ("service_fund", 20_000_000)


def test_the_standard_grows_5_percent_a_year_and_the_minimum_is_350_000() -> None:
    """Why 630,000? 12,000 employed × 50 × 1.05 in 2024. 441,000 = 8,000 × 50 × 1.05² (2025).
    5,000 employed would be 250,000: the minimum, 350,000, applies."""
    assert (
        amounts(budget_lines(facts(employed_population=12_000), 2024, ZHENHAI))[
            "industrial_operating"
        ]
        == 63_000_000
    )
    assert amounts(budget_lines(facts(), 2025, ZHENHAI))["industrial_operating"] == 44_100_000
    low = budget_lines(facts(employed_population=5_000), 2023, ZHENHAI)[0]
    assert low.amount_fen == 35_000_000 and "at least 350,000.00" in low.rule


def test_odd_fen_split_1_to_1_goes_to_the_payer_listed_first() -> None:
    """12,345 employed × 52.50 (2024) = 648,112.50 yuan: 64,811,250 fen, halved exactly; an
    odd fen goes to the district, listed first."""
    line = budget_lines(facts(employed_population=12_345), 2024, ZHENHAI)[0]
    assert line.amount_fen == 64_811_250
    assert [p.fen for p in line.payers] == [32_405_625, 32_405_625]
    assert [p.fen for p in split(1, {"district": 1, "town": 1})] == [1, 0]


@pytest.mark.parametrize(
    ("organisation", "fen"), [("党委", 6_000_000), ("总支", 5_000_000), ("支部", 4_000_000)]
)
def test_party_organisation_funds_by_its_form_and_120_yuan_per_member(
    organisation: str, fen: int
) -> None:
    """Seed 000 §二(五)1: a 党委 / 总支 / 支部 at least 60,000 / 50,000 / 40,000 yuan a year,
    party-member activity at least 120 yuan per member a year: 86 members → 10,320 yuan."""
    recorded = facts().model_copy(update={"party_organisation": organisation,
                                          "party_members": 86})  # fmt: skip
    lines = {line.line: line for line in budget_lines(recorded, 2025, ZHENHAI)}
    assert lines["party_organisation"].amount_fen == fen  # does not grow
    assert lines["party_organisation"].inputs["party_organisation"] == organisation
    assert organisation in lines["party_organisation"].rule
    assert lines["party_members"].amount_fen == 86 * 12_000
    assert "86 party_members × 120.00 yuan each" in lines["party_members"].rule
    assert [p.payer for p in lines["party_members"].payers] == ["district"]


def test_no_party_line_before_the_registry_records_the_organisation() -> None:
    assert set(amounts(budget_lines(facts(), 2025, ZHENHAI))) == {
        "industrial_operating", "service_fund",
    }  # fmt: skip
    # An unknown form (not one the pack prices) sets no line rather than a guess.
    odd = facts().model_copy(update={"party_organisation": "工委", "party_members": 3})
    assert "party_organisation" not in amounts(budget_lines(odd, 2025, ZHENHAI))


@given(st.integers(0, 10**12), st.dictionaries(st.sampled_from("abcde"), st.integers(1, 9),
                                               min_size=1))  # fmt: skip
def test_payers_parts_always_add_up_to_the_amount(amount: int, shares: dict[str, int]) -> None:
    parts = split(amount, shares)
    assert sum(p.fen for p in parts) == amount
    total = sum(shares.values())
    for p in parts:  # each within a fen of its exact proportion
        assert abs(p.fen * total - amount * p.share) < total


def test_development_zone_work_station_and_residents_committee() -> None:
    """Seed 001 §二(三)2: 10,000 yuan per 1,000 households a year (3,456 households: 34,560
    yuan, in proportion) and at least 30,000 for the residents' committee; urban only."""
    lines = budget_lines(facts("urban", "370501001001", households=3456), 2026, DEVZONE)
    assert amounts(lines) == {"work_station": 3_456_000, "residents_committee": 3_000_000}
    assert [p.payer for p in lines[0].payers] == ["zone"]
    assert budget_lines(facts("industrial", "370501001001"), 2026, DEVZONE) == []


def test_a_line_is_set_again_only_when_its_amount_changes() -> None:
    state = CommunityFunding()
    first = decide(facts(), state, ZHENHAI, 2026)
    for event in first:
        state.apply(event)
    assert [type(e).__name__ for e in first] == [
        "FundingCommunityObserved", "BudgetLineSet", "BudgetLineSet",
    ]  # fmt: skip
    assert decide(facts(), state, ZHENHAI, 2026) == []  # a redelivery, or nothing funding uses
    more = decide(facts(employed_population=9_000), state, ZHENHAI, 2026)
    [line] = [e for e in more if isinstance(e, BudgetLineSet)]
    # 2026 is the base year + 3: × 1.157625. 8,000 → 463,050.00; 9,000 → 520,931.25 yuan.
    assert (line.line, line.previous_fen, line.amount_fen) == (
        "industrial_operating", 46_305_000, 52_093_125,
    )  # fmt: skip


def test_ended_communities_get_no_new_lines_and_no_pack_none() -> None:
    ended = facts().model_copy(update={"status": "ended"})
    assert budget_lines(ended, 2026, ZHENHAI) == []
    assert [type(e).__name__ for e in decide(facts(), CommunityFunding(), None, 2026)] == [
        "FundingCommunityObserved"
    ]


@pytest.mark.parametrize(
    ("moment", "year"),
    [(datetime(2025, 12, 31, 15, 59, tzinfo=UTC), 2025),
     (datetime(2025, 12, 31, 16, 0, tzinfo=UTC), 2026)],  # midnight in Beijing
)  # fmt: skip
def test_the_budget_year_is_beijing_s_calendar_year(moment: datetime, year: int) -> None:
    assert budget_year(moment) == year
