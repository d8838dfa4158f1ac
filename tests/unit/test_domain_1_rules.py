"""Each rule of DOMAIN.md §1 (Registry — 定类型编码), one test named after it, on the pure rules.

The same rules through the gateway and on the topic: tests/e2e/test_registry_*.py (the table in
docs/registry.md maps each rule to both).
"""

from __future__ import annotations

from decimal import Decimal as D

from services.registry.community.findings import breaches, grid_breaches
from services.registry.community.rules import (
    catalogue,
    check_registration,
    has_residents_committee,
    service_centre_name,
)
from services.registry.community.tiers import decide_tier
from services.registry.conversion.workflow import (
    CONVERSION,
    Conversion,
    ConversionStep,
    check_conversion_step,
    check_eligibility,
    renamed_committee,
    successor_name,
)
from services.registry.establishment.workflow import (
    ESTABLISHMENT,
    EstablishmentStep,
    Proposal,
    check_establishment_step,
)
from services.registry.grids.model import GridFigures, GridSpec, grid_code
from services.registry.policy.packs import pack_for
from shared.community_code import check_digit, is_valid_code, issue_code

NINGBO, XIXIAN = pack_for("330211004001"), pack_for("610400100200")


def test_domain_1_types_three_major_seven_subtypes() -> None:
    types = catalogue()
    assert set(types["major_types"]) == {"urban", "rural", "industrial"}
    assert len(types["subtypes"]) == 7
    industrial = {k for k, v in types["subtypes"].items() if v["major_type"] == "industrial"}
    assert industrial == {"工业社区", "楼宇社区"}  # fixed by seed 000


def test_domain_1_industrial_community_naming_and_no_residents_committee() -> None:
    ok = dict(division_code="330211004501", major_type="industrial")
    assert check_registration(name="澥浦工业社区", subtype="工业社区", **ok) == []
    assert check_registration(name="澥浦楼宇社区", subtype="楼宇社区", **ok) == []
    [problem] = check_registration(name="澥浦社区", subtype="工业社区", **ok)
    assert problem.field == "name"
    [problem] = check_registration(name="澥浦楼宇社区", subtype="工业社区", **ok)
    assert problem.field == "name"  # the suffix must match the subtype
    assert service_centre_name("澥浦工业社区", "工业社区") == "澥浦工业社区(党群)服务中心"
    assert service_centre_name("天安楼宇社区", "楼宇社区") == "天安楼宇社区(党群)服务中心"
    assert has_residents_committee("industrial") is False
    assert has_residents_committee("urban") is True


def test_domain_1_industrial_community_contiguous_area_parts_only_in_trust() -> None:
    ok = dict(name="澥浦工业社区", division_code="330211004501", subtype="工业社区")
    [problem] = check_registration(major_type="industrial", area_contiguous=False, **ok)
    assert problem.field == "area_contiguous" and "trust_areas" in problem.reason
    assert check_registration(major_type="industrial", holds_trust_areas=True, **ok) == []
    village = dict(name="勤勇村", division_code="330211004201", subtype="纯农型农村社区")
    [problem] = check_registration(major_type="rural", holds_trust_areas=True, **village)
    assert problem.field == "trust_areas"


def test_domain_1_industrial_community_size_is_a_finding_above_the_max() -> None:
    values = {"employed_population": D(15001), "area_km2": D(3), "business_entities": D(200)}
    [found] = breaches(NINGBO, "industrial", values, False)
    assert found.rule == "industrial.employed_above_max" and "seed 000" in found.source
    assert breaches(NINGBO, "industrial", {**values, "employed_population": D(15000)}, False) == []


def test_domain_1_establishment_workflow_steps_in_order() -> None:
    assert ESTABLISHMENT.order == (
        "proposal", "preliminary_review", "field_survey", "joint_review", "approval",
        "registration",
    )  # fmt: skip
    proposal = Proposal()
    early = EstablishmentStep("approval", "district_government", "approved")
    [problem] = check_establishment_step(proposal, early)
    assert "missing step(s) preliminary_review, field_survey, joint_review" in problem.reason
    review = EstablishmentStep("preliminary_review", "district_civil_affairs", "pass")
    assert check_establishment_step(proposal, review) == []
    joint = ESTABLISHMENT.by_name["joint_review"]
    assert joint.outcomes == {
        "pass": "jointly_reviewed", "terminate": "terminated", "defer": "deferred",
    }  # fmt: skip
    assert "deferred" in joint.from_status  # a deferred proposal is reviewed again
    proposal.status = "approved"
    unregistered = EstablishmentStep("registration", "civil_affairs_registration", "registered")
    [problem] = check_establishment_step(proposal, unregistered)
    assert problem.field == "certificate_number"  # only a registered community is active


def test_domain_1_code_17_digits_layout_and_check_digit() -> None:
    code = issue_code("330211004001", "urban")
    assert len(code) == 17 and code[:12] == "330211004001"  # 1-12 division code
    assert code[12] == "1" and code[13:16] == "000"  # 13 major type, 14-16 serial (000 itself)
    assert code[16] == check_digit(code[:16]) and is_valid_code(code)  # 17 MOD 11,10
    assert issue_code("330211004001", "rural")[12] == "2"
    assert issue_code("330211004001", "industrial")[12] == "3"
    assert grid_code(code, 1)[13:16] == "001" and is_valid_code(grid_code(code, 1))


def test_domain_1_scale_tier_weighted_score() -> None:
    small = {"households": D(800), "residents": D(2000), "floating_population": D(100),
             "area_km2": D("0.5")}  # fmt: skip
    large = {"households": D(5000), "residents": D(14000), "floating_population": D(4000),
             "area_km2": D(4)}  # fmt: skip
    assert decide_tier(NINGBO, "urban", small).tier == "一般"
    assert decide_tier(NINGBO, "urban", large).tier == "特大"
    industrial = decide_tier(NINGBO, "industrial", {"employed_population": D(12000),
        "area_km2": D(3), "business_entities": D(300), "on_site_share": D("0.3")})  # fmt: skip
    assert set(industrial.inputs) == {
        "employed_population", "area_km2", "business_entities", "on_site_share",
    }  # fmt: skip


def test_domain_1_size_rules_are_findings_not_refusals() -> None:
    def rules(pack, major, committee=True, **values):  # type: ignore[no-untyped-def]
        found = breaches(pack, major, {k: D(v) for k, v in values.items()}, committee)
        return {b.rule for b in found}

    assert "ningbo.households_above_6000" in rules(NINGBO, "urban", households=6001)
    assert rules(XIXIAN, "rural", households=999) == {"xixian.households_below_1000"}
    assert rules(XIXIAN, "urban", households=5001) == {"xixian.households_above_5000"}
    assert "residents_committee_above_3000_households" in rules(NINGBO, "urban", households=3001)
    assert rules(XIXIAN, "urban", False, households=3000, occupancy_share="0.5") == {
        "occupancy_50_without_residents_committee"
    }


def test_domain_1_grid_sizes() -> None:
    def grid(kind: str, **figures: int | str) -> GridSpec:
        return GridSpec(grid="33021100400110018", name="网格", kind=kind,  # type: ignore[arg-type]
                        figures=GridFigures(**figures))  # type: ignore[arg-type]  # fmt: skip

    assert grid_breaches(NINGBO, grid("residential", households=400)) == []
    assert grid_breaches(NINGBO, grid("residential", households=520))
    assert grid_breaches(NINGBO, grid("office_tower", households=5)) == []  # 专属网格
    assert grid_breaches(NINGBO, grid("industrial", population=1000, business_entities=30)) == []
    assert grid_breaches(NINGBO, grid("industrial", business_entities=60))


def test_domain_1_village_to_community_conversion() -> None:
    assert CONVERSION.order == (
        "proposal", "consent", "civil_affairs_review", "approval", "filing",
    )  # fmt: skip
    assert check_eligibility("rural", "active", True, False) == []
    assert check_eligibility("rural", "active", False, True) == []  # 整村拆迁 must convert
    assert check_eligibility("rural", "active", False, False)
    assert check_eligibility("urban", "active", True, False)
    case = Conversion()
    no_majority = ConversionStep("consent", "villagers_meeting", "consented", votes_for=50,
                                 votes_total=100)  # fmt: skip
    assert [p.field for p in check_conversion_step(case, no_majority)] == [
        "documents", "votes_for",  # the meeting's minutes, and a majority
    ]  # fmt: skip
    assert successor_name("勤勇村") == "勤勇社区"
    assert renamed_committee("庄市街道勤勇村村民委员会") == "庄市街道勤勇社区居民委员会"
