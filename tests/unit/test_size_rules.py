"""DOMAIN.md §1 "Size rules": findings (alerts) with the rule and the figures, per region."""

from __future__ import annotations

from decimal import Decimal as D

from services.registry.findings import breaches
from services.registry.policy import pack_for

NINGBO, XIXIAN = pack_for("330211004001"), pack_for("610400100200")


def rule_ids(pack, major_type: str, households: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [b.rule.id for b in breaches(pack, major_type, {"households": D(households)})]


def test_size_rule_ningbo_above_6000_households() -> None:
    assert "ningbo.households_above_6000" in rule_ids(NINGBO, "urban", 6400)
    assert "ningbo.households_above_6000" not in rule_ids(NINGBO, "urban", 6000)


def test_size_rule_residents_committee_above_3000_households() -> None:
    assert rule_ids(NINGBO, "urban", 3200) == ["residents_committee_above_3000_households"]
    assert rule_ids(NINGBO, "industrial", 3200) == []  # no residents' committee there


def test_size_rule_xixian_below_1000_or_above_5000_households() -> None:
    assert rule_ids(XIXIAN, "rural", 900) == ["xixian.households_below_1000"]
    assert rule_ids(XIXIAN, "urban", 5200) == ["xixian.households_above_5000"]
    assert rule_ids(XIXIAN, "urban", 3000) == []


def test_a_breach_states_its_figures() -> None:
    [breach] = breaches(XIXIAN, "rural", {"households": D(900)})
    assert breach.limit_text == "households 900 < 1000"
    assert "seed 002" in breach.rule.source
