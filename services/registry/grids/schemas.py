"""HTTP bodies of the grid routes."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from services.registry.grids.model import GridFigures, GridKind, MicroGridKind
from shared.values import (
    Area,
    CommunityCode,
    Count,
    Label,
    Name,
)


class MicroGridInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name = Field(examples=["勤勇小区1幢"])
    kind: MicroGridKind = Field(
        description="residential (50-80 households), enterprise 一企一格, park 一园一格,"
        " building 一楼一格"
    )
    households: Count = 0
    business_entities: Count = 0


class FiguresInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    households: Count = 0
    population: Count = 0
    area_km2: Area = Decimal(0)
    business_entities: Count = 0

    def figures(self) -> GridFigures:
        return GridFigures(**self.model_dump())


class CreateGridRequest(BaseModel):
    """A grid, with its micro-grids. Dedicated grids (专属网格): office_tower, market,
    demolition_site."""

    model_config = ConfigDict(extra="forbid")

    name: Name = Field(examples=["勤勇社区第一网格"])
    kind: GridKind
    figures: FiguresInput
    micro_grids: list[MicroGridInput] = Field(default=[], max_length=200)


class MicroGridResize(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Label
    households: Count
    business_entities: Count = 0


class ResizeGridRequest(BaseModel):
    """The grid's figures, all of them; optionally new figures for some of its micro-grids."""

    model_config = ConfigDict(extra="forbid")

    figures: FiguresInput
    micro_grids: list[MicroGridResize] = Field(default=[], max_length=200)


class MergeGridsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[CommunityCode] = Field(min_length=2, max_length=20)
    name: Name
    kind: GridKind | None = Field(default=None, description="Omit when the sources share one.")


class SplitPartInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    kind: GridKind
    figures: FiguresInput
    micro_grids: list[Label] = Field(
        default=[], max_length=200, description="Ids of the source's micro-grids."
    )


class SplitGridRequest(BaseModel):
    """The parts must divide the source exactly: figures add up, each micro-grid goes once."""

    model_config = ConfigDict(extra="forbid")

    parts: list[SplitPartInput] = Field(min_length=2, max_length=20)


class AssignToGridRequest(BaseModel):
    """Households, people or entities assigned to the grid: moved from `from_grid`, or new."""

    model_config = ConfigDict(extra="forbid")

    moved: FiguresInput
    from_grid: CommunityCode | None = None


class MicroGridView(BaseModel):
    id: str
    name: str
    kind: str
    households: int
    business_entities: int


class GridView(BaseModel):
    grid: str = Field(description="17-digit grid code: the community's, serial 001-999")
    name: str
    kind: str
    dedicated: bool = Field(description="专属网格: office tower, market or demolition site")
    households: int
    population: int
    area_km2: Decimal
    business_entities: int
    active: bool
    closed_by: str | None = Field(description="GridsMerged or GridSplit, once closed")
    micro_grids: list[MicroGridView]


class CommunityGrids(BaseModel):
    code: CommunityCode
    grids: list[GridView] = Field(description="Active grids first, then closed ones.")
