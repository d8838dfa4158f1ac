"""DOMAIN.md §1: the registration rules, pure."""

from __future__ import annotations

from services.registry.community.rules import (
    check_registration,
    has_residents_committee,
    service_centre_name,
)


def reasons(**kwargs: str) -> list[tuple[str, str]]:
    base = {
        "name": "勤勇社区",
        "division_code": "330211004001",
        "major_type": "urban",
        "subtype": "老城区社区",
    }
    return [(p.field, p.reason) for p in check_registration(**{**base, **kwargs})]


def test_a_valid_urban_registration_has_no_problems() -> None:
    assert reasons() == []


def test_division_code_reasons() -> None:
    assert reasons(division_code="33021100400") == [
        ("division_code", "must be the 12-digit statistical division code")
    ]
    assert [f for f, _ in reasons(division_code="990211004001")] == ["division_code"]
    assert "town/street" in reasons(division_code="330211000001")[0][1]
    assert "village-level" in reasons(division_code="330211004000")[0][1]


def test_unknown_type_and_subtype_are_refused_with_the_known_ones() -> None:
    assert reasons(major_type="suburban", subtype="nothing")[0][0] == "major_type"
    assert "工业社区" in reasons(subtype="nothing")[0][1]
    assert reasons(subtype="工业社区") == [("subtype", "工业社区 belongs to major type industrial")]


def test_industrial_naming_rule_seed_000() -> None:
    ok = reasons(name="蛟川工业社区", major_type="industrial", subtype="工业社区")
    assert ok == []
    bad = reasons(name="蛟川社区", major_type="industrial", subtype="工业社区")
    assert bad[0][0] == "name" and "XX工业社区" in bad[0][1]
    assert reasons(name="甬江楼宇社区", major_type="industrial", subtype="工业社区")[0][0] == "name"
    assert reasons(name="甬江楼宇社区", major_type="industrial", subtype="楼宇社区") == []


def test_industrial_service_centre_and_no_residents_committee() -> None:
    assert service_centre_name("蛟川工业社区", "工业社区") == "蛟川工业社区(党群)服务中心"
    assert service_centre_name("甬江楼宇社区", "楼宇社区") == "甬江楼宇社区(党群)服务中心"
    assert service_centre_name("勤勇社区", "老城区社区") is None
    assert has_residents_committee("industrial") is False
    assert has_residents_committee("urban") is True


def test_types_three_major_types_and_seven_subtypes_seed_004() -> None:
    from services.registry.community.rules import catalogue

    cat = catalogue()
    assert set(cat["major_types"]) == {"urban", "rural", "industrial"}
    assert len(cat["subtypes"]) == 7
    industrial = {n for n, s in cat["subtypes"].items() if s["major_type"] == "industrial"}
    assert industrial == {"工业社区", "楼宇社区"}  # fixed by seed 000 §二(一)
