"""Matters' policy packs: each region's function catalogue (定功能职责), as versioned data.

One JSON file per region in `services/matters/policies/`, on the kernel's pack mechanism
(shared/policy_packs.py). A catalogue per community type lists its categories (大类),
subcategories (小类) and basic functions (基本功能), each function on one of the four
runways of seed 003 §7.2.1. Where a seed gives only counts (seed 004: urban 4/17/79, rural
5/20/91), the items are placeholders marked `in_seeds: false`, never invented policy text;
the declared counts are checked when the pack loads.
"""

from __future__ import annotations

from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared import policy_packs as kernel_packs
from shared.policy_packs import PackBase

Runway = Literal["党建统领", "经济生态", "平安法治", "公共服务"]  # seed 003 §7.2.1
CommunityType = Literal["urban", "rural", "industrial"]
# A catalogue id (I01.02, U01.02.03) or an admitted one (<division>-<case>.<item>, admission/).
MATTER_ID_PATTERN = r"[0-9A-Z][0-9A-Z.-]{1,39}"


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=f"^{MATTER_ID_PATTERN}$")
    name: str = Field(min_length=1, max_length=200)
    in_seeds: bool = True  # False: a placeholder where a seed gives the count, not the item


class Function(_Item):
    """A basic function (基本功能): a matter a community of the type carries."""

    runway: Runway
    examples: list[str] = Field(default_factory=list)  # the seed's "包括…"


class Subcategory(_Item):
    functions: list[Function] = Field(min_length=1)


class Category(_Item):
    subcategories: list[Subcategory] = Field(min_length=1)


class Counts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    categories: int = Field(ge=0)
    subcategories: int = Field(ge=0)
    functions: int = Field(ge=0)


class GridDuty(_Item):
    runway: Runway


class GridDuties(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    items: list[GridDuty]


class Catalogue(BaseModel):
    """One community type's basic functions; `counts` are the seed's, checked on load."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    counts: Counts
    categories: list[Category]
    grid_duties: GridDuties

    @property
    def functions(self) -> list[Function]:
        return [f for c in self.categories for s in c.subcategories for f in s.functions]

    def counted(self) -> Counts:
        return Counts(
            categories=len(self.categories),
            subcategories=sum(len(c.subcategories) for c in self.categories),
            functions=len(self.functions),
        )

    @model_validator(mode="after")
    def _counts_hold(self) -> Catalogue:
        if self.counted() != self.counts:
            raise ValueError(f"the catalogue holds {self.counted()}, the seed says {self.counts}")
        ids = [f.id for f in self.functions]
        if len(ids) != len(set(ids)):
            raise ValueError("a function id is used twice")
        return self


class MattersPack(PackBase):
    # A type the region's seed gives no catalogue for has none: its lists start empty and
    # every matter on them comes by admission.
    catalogues: dict[CommunityType, Catalogue]

    def basic_functions(self, community_type: str) -> list[Function]:
        catalogue = self.catalogues.get(community_type)  # type: ignore[call-overload]
        return catalogue.functions if catalogue is not None else []


class MattersBook(kernel_packs.PolicyBook[MattersPack]):
    @classmethod
    def shipped(cls) -> MattersBook:
        return cls(list(packs()))


@cache
def packs() -> tuple[MattersPack, ...]:
    return kernel_packs.load_packs("services.matters", MattersPack)
