"""DOMAIN.md §1 "Scale tier": a weighted score over indicators, rules as versioned policy data."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from services.registry.community.tiers import decide_tier
from services.registry.policy.packs import NoRegion, PolicyPack, TierRules, pack_for, packs

NINGBO = pack_for("330211004001")


def test_every_shipped_pack_loads_and_names_its_sources() -> None:
    assert {p.region for p in packs()} >= {"ningbo", "devzone", "xixian"}
    for pack in packs():
        assert pack.sources and pack.version and pack.division_prefixes
        assert set(pack.tier) == {"urban_rural", "industrial"}


def test_region_is_the_longest_matching_division_prefix() -> None:
    assert pack_for("330211004001").region == "ningbo"
    assert pack_for("610400100200").region == "xixian"
    with pytest.raises(NoRegion, match="110101"):
        pack_for("110101001001")


def test_pack_rules_are_validated() -> None:
    with pytest.raises(ValidationError, match="add up to 1"):
        TierRules.model_validate(
            {"indicators": {"households": {"weight": "0.5", "reference": "1"}},
             "thresholds": {"较大": "1", "特大": "2"}}
        )  # fmt: skip
    with pytest.raises(ValidationError, match="below the 特大"):
        TierRules.model_validate(
            {"indicators": {"households": {"weight": "1", "reference": "1"}},
             "thresholds": {"较大": "2", "特大": "1"}}
        )  # fmt: skip
    raw = NINGBO.model_dump(mode="json") | {"surprise": 1}
    with pytest.raises(ValidationError):
        PolicyPack.model_validate(raw)


def urban(households: int, residents: int, area: str, floating: int = 0) -> dict[str, D]:
    return {"households": D(households), "residents": D(residents), "area_km2": D(area),
            "floating_population": D(floating)}  # fmt: skip


def test_scale_tier_thresholds_decide_the_tier_and_the_rule_says_why() -> None:
    small = decide_tier(NINGBO, "urban", urban(2860, 7420, "1.35"))
    assert small.tier == "一般" and small.score == D("0.7470")
    assert small.rule == "ningbo@2023.1 tier.urban_rural: score 0.7470 < 较大 threshold 1.00"
    assert small.contributions["households"] == "0.3337"  # 0.35 × 2860/3000
    big = decide_tier(NINGBO, "urban", urban(6000, 16000, "3", 3000))
    assert big.tier == "特大" and "≥ 特大 threshold 1.60" in big.rule
    middle = decide_tier(NINGBO, "rural", urban(3600, 9000, "2.5", 1000))
    assert middle.tier == "较大"


def test_industrial_communities_are_scored_on_their_own_indicators() -> None:
    decision = decide_tier(
        NINGBO, "industrial",
        {"employed_population": D(12000), "area_km2": D(4), "business_entities": D(420),
         "on_site_share": D("0.25"), "households": D(0)},
    )  # fmt: skip
    assert set(decision.inputs) == {"employed_population", "area_km2", "business_entities",
                                    "on_site_share"}  # fmt: skip
    assert decision.tier == "较大" and "tier.industrial" in decision.rule


@given(
    st.integers(0, 50_000), st.integers(0, 200_000), st.integers(0, 50_000),
    st.decimals(min_value=D("0.01"), max_value=D(500), places=2),
)  # fmt: skip
def test_score_is_monotonic_and_exact_decimal(h: int, r: int, f: int, area: D) -> None:
    base = decide_tier(NINGBO, "urban", urban(h, r, str(area), f))
    more = decide_tier(NINGBO, "urban", urban(h + 100, r, str(area), f))
    assert isinstance(base.score, D) and more.score >= base.score
    assert "一般 较大 特大".split().index(more.tier) >= "一般 较大 特大".split().index(base.tier)
    assert base.score <= D(3)  # every indicator is capped at 3 × its weight
