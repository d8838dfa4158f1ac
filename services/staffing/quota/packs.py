"""Staffing's policy packs: the quota (员额) rules per region, as versioned data.

One JSON file per region in `services/staffing/policies/`, on the kernel's pack mechanism
(shared/policy_packs.py), with the seed section of every number. Where a seed gives a bound
but no formula (Zhenhai's "by the composite index"), the formula's parameters are the pack's
and say so in `sources`; a major type a seed gives no rule for has none (no quota is set).
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from functools import cache
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared import policy_packs as kernel_packs
from shared.policy_packs import PackBase

Rounding = Literal["half_up", "ceil", "floor"]
_ROUNDING = {"half_up": ROUND_HALF_UP, "ceil": ROUND_CEILING, "floor": ROUND_FLOOR}


def rounded(value: Decimal, rounding: Rounding) -> int:
    return int(value.to_integral_value(rounding=_ROUNDING[rounding]))


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str


class PerResidents(_Rule):
    """`per_10000` full-time workers per 10,000 residents (Ningbo's 员额池, seed 004 §四)."""

    kind: Literal["per_residents"] = "per_residents"
    per_10000: Decimal = Field(gt=0)
    rounding: Rounding = "half_up"
    minimum: int = Field(default=0, ge=0)


class ByHouseholds(_Rule):
    """A base for the first `base_households`, one more per further full `step_households`,
    at most `maximum` (the development zone's work station, seed 001 §二(三)1)."""

    kind: Literal["by_households"] = "by_households"
    base: int = Field(ge=0)
    base_households: int = Field(gt=0)
    step_households: int = Field(gt=0)
    maximum: int = Field(gt=0)


class ByCompositeIndex(_Rule):
    """`per_score` workers per 1.0 of the registry's composite index (the tier score), at
    least `minimum`, at most `maximum` except in `uncapped_tiers` (Zhenhai, seed 000 §二(四)2)."""

    kind: Literal["by_composite_index"] = "by_composite_index"
    per_score: Decimal = Field(gt=0)
    rounding: Rounding = "half_up"
    minimum: int = Field(ge=0)
    maximum: int = Field(gt=0)
    uncapped_tiers: list[str] = Field(default_factory=list)


class ByBodies(_Rule):
    """The upper bounds of the community's bodies added up (Xixian, seed 002 §五(一): 党组织
    3–5, 居委会 5–9, 监委会 3, 服务站 5–9 people → at most 26), where a seed sizes the
    bodies but gives no total: the bodies are the pack's `bodies`."""

    kind: Literal["by_bodies"] = "by_bodies"
    bodies: list[str] = Field(min_length=1)


QuotaRule = Annotated[
    PerResidents | ByHouseholds | ByCompositeIndex | ByBodies, Field(discriminator="kind")
]


class Band(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min: int = Field(ge=0)
    max: int = Field(ge=0)
    source: str


class Post(BaseModel):
    """A post of the catalogue (岗位目录, seed 000 §二(四)1): name, duties, qualifications."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    duties: str
    qualifications: list[str] = Field(default_factory=list)
    source: str


TeamRole = Literal["leader", "full_time", "part_time", "instructor", "other"]


class GridTeamRule(BaseModel):
    """The grid team "1+3+N" (seed 000 §二(四)3, seed 004 §四): the roles a grid must have."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    required: list[TeamRole]
    leadership_posts: list[str]  # the posts of a "班子成员", who may lead a grid
    source: str


class PayFloorRule(BaseModel):
    """A worker's annual pay at least `urban_multiple` × the district's urban per-capita
    disposable income (of the prior or the same year); a village head's at least
    `village_head_rural_multiple` × the rural one (seed 004 §五, seed 001 §二(三)2)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    urban_multiple: Decimal = Field(gt=0)
    # each_worker: every worker's pay against the floor; district_average: the district's
    # urban community workers' average (Ningbo, seed 004 §五 "年平均收入"). A village head's
    # rural multiple is always each head's.
    measured_on: Literal["each_worker", "district_average"] = "each_worker"
    income_year: Literal["prior", "same"]
    village_head_posts: list[str] = Field(default_factory=list)
    village_head_rural_multiple: Decimal | None = Field(default=None, gt=0)
    source: str


AppraisalResult = Literal["优秀", "合格", "基本合格", "不合格"]  # seed 000 §二(四)4


class StaffingPack(PackBase):
    quotas: dict[Literal["urban", "rural", "industrial"], QuotaRule]
    district_floor_per_10000: Decimal = Field(gt=0)
    district_floor_source: str
    bodies: dict[str, Band] = Field(default_factory=dict)
    posts: dict[str, Post] = Field(min_length=1)
    appraisal: dict[AppraisalResult, str]  # each result's consequence
    grid_team: GridTeamRule
    pay_floor: PayFloorRule | None = None  # None: the region's seed sets none

    @model_validator(mode="after")
    def _bodies_named(self) -> StaffingPack:
        for rule in self.quotas.values():
            if isinstance(rule, ByBodies) and (unknown := set(rule.bodies) - set(self.bodies)):
                raise ValueError(f"a by_bodies quota names bodies the pack has not: {unknown}")
        return self


class StaffingBook(kernel_packs.PolicyBook[StaffingPack]):
    @classmethod
    def shipped(cls) -> StaffingBook:
        return cls(list(packs()))


@cache
def packs() -> tuple[StaffingPack, ...]:
    return kernel_packs.load_packs("services.staffing", StaffingPack)
