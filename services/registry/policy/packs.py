"""Policy packs: the registry's rules as versioned data, one pack per region and version
(the mechanism is the kernel's: shared/policy_packs.py).

A pack lives in `services/registry/policies/<region>.json`, is validated by the models below,
and names the seed section each number comes from. Every decision records the pack's region
and version, so "why is this community 较大?" can be answered years later.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared import policy_packs as kernel_packs
from shared.policy_packs import NoRegion, PackBase

__all__ = ["NoRegion", "PolicyBook", "PolicyPack", "pack_for", "packs"]

Tier = Literal["一般", "较大", "特大"]
TIERS: tuple[Tier, ...] = ("一般", "较大", "特大")


class Indicator(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    weight: Decimal = Field(ge=0, le=1)
    reference: Decimal = Field(gt=0, description="The value that scores 1.0 before weighting.")


class TierRules(BaseModel):
    """A weighted score over indicators, and the score a community needs for each tier."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    indicators: dict[str, Indicator]
    thresholds: dict[Literal["较大", "特大"], Decimal]
    cap: Decimal = Field(default=Decimal(3), description="An indicator scores at most this.")

    @model_validator(mode="after")
    def _weights_and_thresholds(self) -> TierRules:
        total = sum((i.weight for i in self.indicators.values()), Decimal(0))
        if total != 1:
            raise ValueError(f"indicator weights must add up to 1, not {total}")
        if self.thresholds["较大"] >= self.thresholds["特大"]:
            raise ValueError("the 较大 threshold must be below the 特大 threshold")
        return self


class SizeRule(BaseModel):
    """A size rule (DOMAIN.md §1 "Size rules"): breaking it raises a finding, never a refusal."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    indicator: str
    min: Decimal | None = Field(default=None, description="Broken below this.")
    max: Decimal | None = Field(default=None, description="Broken above this.")
    reaches: Decimal | None = Field(default=None, description="Broken at or above this.")
    major_types: list[Literal["urban", "rural", "industrial"]]
    only_without_residents_committee: bool = Field(
        default=False, description="Applies only to a community without a residents' committee."
    )
    source: str

    @model_validator(mode="after")
    def _a_bound(self) -> SizeRule:
        if self.min is None and self.max is None and self.reaches is None:
            raise ValueError(f"size rule {self.id} needs a min, a max or a reaches")
        return self


class Band(BaseModel):
    """A size band: below `min` or above `max` raises a finding."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min: Decimal
    max: Decimal
    source: str


class IndustrialGridGuide(BaseModel):
    """An industrial grid's basic unit: about N people OR A km² OR E entities (seed 000 §二(三)2).

    "左右" (about): a grid is over-sized when any measure passes its guide by more than
    `tolerance` (a share). The tolerance is a documented parameter; the seed gives none.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    population: Decimal = Decimal(1000)
    area_km2: Decimal = Decimal(1)
    business_entities: Decimal = Decimal(30)
    tolerance: Decimal = Field(default=Decimal("0.5"), ge=0)
    source: str = "seed 000 §二(三)2: 规模1000人或占地面积1平方公里或主体30家左右"


class GridRules(BaseModel):
    """Grid and micro-grid sizes (seed 004 §三; industrial grids: seed 000 §二(三)2)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    grid_households: Band = Band(
        min=Decimal(300), max=Decimal(500), source="seed 004 §三: 网格按300-500户标准划分"
    )
    micro_grid_households: Band = Band(
        min=Decimal(50), max=Decimal(80), source="seed 004 §三: 微网格按50-80户标准划分"
    )
    industrial_grid: IndustrialGridGuide = IndustrialGridGuide()


class PolicyPack(PackBase):
    tier: dict[Literal["urban_rural", "industrial"], TierRules]
    size_rules: list[SizeRule] = Field(default_factory=list)
    grids: GridRules = GridRules()

    def tier_rules(self, major_type: str) -> TierRules:
        return self.tier["industrial" if major_type == "industrial" else "urban_rural"]


class PolicyBook(kernel_packs.PolicyBook[PolicyPack]):
    """The registry's packs (shared/policy_packs.py)."""

    @classmethod
    def shipped(cls) -> PolicyBook:
        return cls(list(packs()))


@cache
def packs() -> tuple[PolicyPack, ...]:
    return kernel_packs.load_packs("services.registry", PolicyPack)


def pack_for(division_code: str) -> PolicyPack:
    """The shipped pack in force today for a division code."""
    return PolicyBook.shipped().pack_for(division_code)
