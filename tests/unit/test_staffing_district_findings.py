"""A district's findings as events (services/staffing/district/findings.py): pure, no I/O.
What opens, what resolves, and that an unchanged outcome appends nothing."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from services.staffing.district.events import (
    DistrictFloorFindingOpened,
    DistrictFloorFindingResolved,
    PayFloorFindingOpened,
    PayFloorFindingResolved,
)
from services.staffing.district.findings import OpenFindings, reconcile
from services.staffing.district.schemas import DistrictStaffing, PayAverage, PayFinding


def district(filled: int, residents: int = 10_000, **over: Any) -> DistrictStaffing:
    floor = -(-residents * 18 // 10_000)
    below = filled < floor
    fields: dict[str, Any] = {
        "prefix": "330211", "communities": 3, "residents": residents, "quota": 30,
        "authorised": 20, "filled": filled, "vacant": 20 - filled, "floor": floor,
        "floor_rule": "at least 18 per 10,000 residents (seed 003 §7.1.1)",
        "below_floor": below,
        "finding": f"{filled} filled positions, below the floor of {floor}" if below else None,
        "policy_pack": "ningbo@2023.1", "vacancies": [], "pay_below_floor": [],
    }  # fmt: skip
    return DistrictStaffing(**(fields | over))


def folded(*events: Any) -> OpenFindings:
    found = OpenFindings()
    for event in events:
        found.apply(event)
    return found


def test_filled_positions_below_the_floor_open_a_finding_with_the_figures() -> None:
    (opened,) = reconcile(OpenFindings(), district(filled=12))
    assert isinstance(opened, DistrictFloorFindingOpened)
    assert (opened.residents, opened.filled, opened.floor) == (10_000, 12, 18)
    assert "seed 003 §7.1.1" in opened.rule and "below the floor of 18" in opened.finding


def test_reaching_the_floor_resolves_it_and_an_unchanged_outcome_appends_nothing() -> None:
    (opened,) = reconcile(OpenFindings(), district(filled=12))
    assert reconcile(folded(opened), district(filled=13)) == []  # still below: nothing new
    (resolved,) = reconcile(folded(opened), district(filled=18))
    assert isinstance(resolved, DistrictFloorFindingResolved)
    assert "18 filled positions reach the floor of 18" in resolved.reason
    assert reconcile(folded(opened, resolved), district(filled=18)) == []
    assert reconcile(OpenFindings(), district(filled=18)) == []


def test_a_district_no_pack_covers_any_more_resolves_its_floor_finding() -> None:
    (opened,) = reconcile(OpenFindings(), district(filled=1))
    now = district(filled=1, floor=None, floor_rule=None, below_floor=False, finding=None)
    (resolved,) = reconcile(folded(opened), now)
    assert isinstance(resolved, DistrictFloorFindingResolved) and resolved.floor is None


def test_pay_findings_open_per_worker_and_year_and_for_the_average() -> None:
    low = PayFinding(worker_id="w-1", year=2031, annual_pay_fen=9_000_000,
                     floor_fen=10_500_000, rule="1 × urban income")  # fmt: skip
    average = PayAverage(year=2031, workers=2, average_fen=10_300_000, floor_fen=10_500_000,
                         rule="1.4 × urban income", below_floor=True, finding="below")  # fmt: skip
    met = average.model_copy(update={"year": 2030, "below_floor": False, "finding": None})
    now = district(filled=18, pay_below_floor=[low], pay_averages=[average, met])
    opened = reconcile(OpenFindings(), now)
    assert [(e.worker_id, e.year, e.pay_fen, e.workers) for e in opened] == [
        (None, 2031, 10_300_000, 2), ("w-1", 2031, 9_000_000, 1)
    ]  # fmt: skip
    assert all(isinstance(e, PayFloorFindingOpened) for e in opened)
    assert reconcile(folded(*opened), now) == []
    (resolved,) = reconcile(folded(*opened), now.model_copy(update={"pay_below_floor": []}))
    assert isinstance(resolved, PayFloorFindingResolved)
    assert (resolved.worker_id, resolved.year) == ("w-1", 2031)


@given(st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=30))
def test_the_open_finding_always_follows_the_latest_figures(fills: list[int]) -> None:
    """Whatever the sequence of checks, after each one the stream says "below" exactly when
    the district is, and it appended only when that changed."""
    found, was_below = OpenFindings(), False
    for filled in fills:
        now = district(filled=filled)
        decided = reconcile(found, now)
        assert len(decided) == (1 if now.below_floor != was_below else 0)
        for event in decided:
            found.apply(event)
        assert (found.floor is not None) == now.below_floor
        was_below = now.below_floor
