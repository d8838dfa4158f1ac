"""Funding's policy packs: the guaranteed-funding standards (保障经费) per region, as data.

One JSON file per region in `services/funding/policies/`, on the kernel's pack mechanism
(shared/policy_packs.py), with the seed section of every number. A standard is a budget line:
the community types it applies to, how its yearly amount is computed, and which payers share
it in which proportion. Money is integer fen; a rate is a Decimal; rounding is the pack's.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from functools import cache
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared import policy_packs as kernel_packs
from shared.policy_packs import PackBase

Rounding = Literal["half_up", "ceil", "floor"]
_ROUNDING = {"half_up": ROUND_HALF_UP, "ceil": ROUND_CEILING, "floor": ROUND_FLOOR}
Indicator = Literal["employed_population", "households", "residents", "party_members"]
CommunityType = Literal["urban", "rural", "industrial"]


def rounded(value: Decimal, rounding: Rounding) -> int:
    """`value` (fen) to a whole fen by the pack's rounding."""
    return int(value.to_integral_value(rounding=_ROUNDING[rounding]))


class _Amount(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # The standard grows by `growth_rate` a year, compounded, from `base_year` (the year its
    # figure is for); before the base year the base figure applies.
    growth_rate: Decimal = Field(default=Decimal(0), ge=0, lt=1)
    base_year: int = Field(ge=2000, le=2100)
    rounding: Rounding = "half_up"


class PerCount(_Amount):
    """`fen_per_unit` for every `unit` of an indicator (50 yuan per employed person; 10,000 yuan
    per 1,000 households), proportionally, and at least `minimum_fen` a year."""

    kind: Literal["per_count"] = "per_count"
    indicator: Indicator
    fen_per_unit: int = Field(gt=0)
    unit: int = Field(default=1, gt=0)
    minimum_fen: int = Field(default=0, ge=0)


class Fixed(_Amount):
    """A yearly amount (the seed's "at least": its floor is the standard)."""

    kind: Literal["fixed"] = "fixed"
    fen: int = Field(gt=0)


class ByKind(_Amount):
    """A yearly amount by the kind of something the community has (its party organisation: a
    党委 60,000, a 总支 50,000, a 支部 40,000 yuan); a kind the pack names no figure for, or one
    not recorded yet, sets no line."""

    kind: Literal["by_kind"] = "by_kind"
    of: Literal["party_organisation"]
    fen: dict[str, Annotated[int, Field(gt=0)]] = Field(min_length=1)


AmountRule = Annotated[PerCount | Fixed | ByKind, Field(discriminator="kind")]


class Standard(BaseModel):
    """A budget line: what it is for, where it applies, its amount, who pays which share."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    applies_to: list[CommunityType] = Field(min_length=1)
    amount: AmountRule
    # Payer → its share, in proportion ({"district": 1, "town": 1} is 区、镇(街道) 1:1).
    payers: dict[str, int] = Field(min_length=1)
    source: str
    # The line applies only once the community has this recorded (its party organisation: the
    # member activity line counts the members of a recorded organisation).
    requires: Literal["party_organisation"] | None = None


Qualification = Literal["senior_social_worker", "social_worker", "assistant_social_worker"]


class QualificationBonus(BaseModel):
    """A one-off bonus for each social work qualification a community worker obtains (Xixian,
    seed 002 §五(二)), once per worker per qualification, paid through the line
    `qualification_bonus` of the community the worker serves, in the year it takes effect."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    fen: dict[Qualification, Annotated[int, Field(gt=0)]] = Field(min_length=1)
    payers: dict[str, int] = Field(min_length=1)
    source: str


class FundingPack(PackBase):
    standards: dict[str, Standard] = Field(min_length=1)
    qualification_bonus: QualificationBonus | None = None
    # Payer → the day of each budget year ("MM-DD") by which it disburses its part in full
    # (Xixian, seed 002 §八(三)); a payer not named has no deadline.
    disburse_by: dict[str, str] = Field(default_factory=dict)

    def deadlines(self, standard: Standard, year: int) -> dict[str, date]:
        """The line's payers' deadlines in `year`."""
        return {
            payer: date.fromisoformat(f"{year}-{self.disburse_by[payer]}")
            for payer in standard.payers
            if payer in self.disburse_by
        }


class FundingBook(kernel_packs.PolicyBook[FundingPack]):
    @classmethod
    def shipped(cls) -> FundingBook:
        return cls(list(packs()))


@cache
def packs() -> tuple[FundingPack, ...]:
    return kernel_packs.load_packs("services.funding", FundingPack)
