"""The pay floor (seed 004 §五, seed 001 §二(三)2): pure. A recorded annual pay, the pack's
rule and the district's income figures in → the floor, the rule in words, below or not."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from services.staffing.quota.packs import PayFloorRule
from shared.eventstore import Envelope


@dataclass(frozen=True)
class Income:
    urban_fen: int
    rural_fen: int | None
    source: str


@dataclass(frozen=True)
class PayCheck:
    floor_fen: int | None  # None: the income figure is not recorded yet
    rule: str
    below: bool  # this pay is a finding (never, when the floor bounds the district's average)
    measured_on: str = "each_worker"


@dataclass(frozen=True)
class AverageCheck:
    """A district's urban community workers' average pay of a year against the floor."""

    year: int
    workers: int
    average_fen: int  # rounded half up, for reading; `below` compares the exact sum
    floor_fen: int
    rule: str
    below: bool


def check_pay(
    rule: PayFloorRule, year: int, pay_fen: int, post: str | None, major_type: str | None,
    incomes: Mapping[int, Income],
) -> PayCheck:  # fmt: skip
    income_year = year - 1 if rule.income_year == "prior" else year
    village_head = (
        post in rule.village_head_posts and major_type == "rural"
        and rule.village_head_rural_multiple is not None
    )  # fmt: skip
    kind, multiple = (
        ("rural", rule.village_head_rural_multiple) if village_head
        else ("urban", rule.urban_multiple)
    )  # fmt: skip
    assert multiple is not None
    income = incomes.get(income_year)
    figure = None if income is None else (income.rural_fen if village_head else income.urban_fen)
    if income is None or figure is None:
        return PayCheck(None, f"waiting for the district's {kind} income of {income_year}", False)
    floor = int((Decimal(figure) * multiple).to_integral_value(rounding=ROUND_CEILING))
    who = "a village head" if village_head else "a community worker"
    text = (
        f"{who}: at least {multiple} × the {kind} per-capita disposable income of"
        f" {income_year} ({figure} fen, {income.source}) = {floor} fen ({rule.source})"
    )
    if rule.measured_on == "district_average" and not village_head:
        return PayCheck(floor, f"{text}; measured on the district's average", False,
                        "district_average")  # fmt: skip
    return PayCheck(floor, text, pay_fen < floor)


def check_average(
    rule: PayFloorRule, year: int, pays_fen: Sequence[int], incomes: Mapping[int, Income]
) -> AverageCheck | None:
    """The district's average urban pay of `year` against the floor (None: nothing to
    measure, the rule bounds each worker, or the income figure is not recorded yet)."""
    if rule.measured_on != "district_average" or not pays_fen:
        return None
    check = check_pay(rule, year, 0, None, "urban", incomes)
    if check.floor_fen is None:
        return None
    total, n = sum(pays_fen), len(pays_fen)
    average = int((Decimal(total) / n).to_integral_value(rounding=ROUND_HALF_UP))
    return AverageCheck(year, n, average, check.floor_fen, check.rule,
                        total < check.floor_fen * n)  # fmt: skip


def incomes_of(envelopes: Sequence[Envelope]) -> dict[int, Income]:
    """A district's income figures by year, from its stream (the latest recording counts)."""
    return {
        e.payload["year"]: Income(
            e.payload["urban_per_capita_fen"], e.payload["rural_per_capita_fen"],
            e.payload["source"],
        )
        for e in envelopes
        if e.event_type == "DistrictIncomeRecorded"
    }  # fmt: skip
