"""DOMAIN.md §1 "Size rules" and "Grids": findings (alerts) with the rule and the figures."""

from __future__ import annotations

from decimal import Decimal as D

from services.registry.community.findings import breaches, grid_breaches
from services.registry.grids.model import GridFigures, GridSpec, MicroGrid
from services.registry.policy.packs import PolicyPack, pack_for

NINGBO, XIXIAN, DEVZONE = (
    pack_for("330211004001"),
    pack_for("610400100200"),
    pack_for("370500100200"),
)


def rule_ids(
    pack: PolicyPack, major_type: str, households: int, *, committee: bool = True, **more: str
) -> list[str]:
    indicators = {"households": D(households), **{k: D(v) for k, v in more.items()}}
    return [b.rule for b in breaches(pack, major_type, indicators, committee)]


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


def test_size_rule_occupancy_50_percent_needs_a_residents_committee() -> None:
    rule = "occupancy_50_without_residents_committee"
    for pack in (XIXIAN, DEVZONE):  # seeds 002 §二(三) and 001
        assert rule in rule_ids(pack, "urban", 3000, committee=False, occupancy_share="0.5")
        assert rule not in rule_ids(pack, "urban", 3000, committee=False, occupancy_share="0.49")
        assert rule not in rule_ids(pack, "urban", 3000, committee=True, occupancy_share="0.9")


def test_a_breach_states_its_figures() -> None:
    [breach] = breaches(XIXIAN, "rural", {"households": D(900)}, True)
    assert breach.limit == "households 900 < 1000"
    assert "seed 002" in breach.source and breach.subject is None


def spec(kind: str, households: int = 0, *micro: int, **figures: int | str) -> GridSpec:
    return GridSpec(
        grid="33021100400110018", name="网格", kind=kind,  # type: ignore[arg-type]
        figures=GridFigures(households=households, **figures),  # type: ignore[arg-type]
        micro_grids=[
            MicroGrid(id=f"m{i}", name="微网格", kind="residential", households=h)
            for i, h in enumerate(micro)
        ],
    )  # fmt: skip


def test_grid_rule_300_to_500_households() -> None:
    assert [b.rule for b in grid_breaches(NINGBO, spec("residential", 299))] == [
        "grid.households_band"
    ]
    assert grid_breaches(NINGBO, spec("residential", 300)) == []
    assert grid_breaches(NINGBO, spec("residential", 500)) == []
    assert grid_breaches(NINGBO, spec("residential", 501))[0].limit == (
        "households 501 outside 300-500"
    )


def test_grid_rule_micro_grid_50_to_80_households() -> None:
    found = grid_breaches(NINGBO, spec("residential", 400, 49, 50, 80, 81))
    assert [(b.rule, b.subject) for b in found] == [
        ("micro_grid.households_band", "m0"), ("micro_grid.households_band", "m3"),
    ]  # fmt: skip


def test_grid_rule_dedicated_grids_are_not_sized_by_households() -> None:
    for kind in ("office_tower", "market", "demolition_site"):
        assert grid_breaches(NINGBO, spec(kind, 5)) == []


def test_grid_rule_industrial_about_1000_people_or_1km2_or_30_entities() -> None:
    # About the guide on any measure is fine; far past one of them (tolerance 50%) is a finding.
    assert grid_breaches(NINGBO, spec("industrial", population=1400, business_entities=30)) == []
    [over] = grid_breaches(NINGBO, spec("industrial", population=1600))
    assert (over.rule, over.indicator) == ("industrial_grid.above_guide", "population")
    [over] = grid_breaches(NINGBO, spec("industrial", area_km2="1.6"))
    assert over.indicator == "area_km2"
