"""Grid commands: create, resize, add a micro-grid, merge, split, assign members."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from services.registry.grids.model import (
    GridFigures,
    GridKind,
    MicroGridKind,
)


@dataclass(frozen=True)
class NewMicroGrid:
    name: str
    kind: MicroGridKind
    households: int = 0
    business_entities: int = 0


@dataclass(frozen=True)
class CreateGrid:
    command_type: ClassVar[str] = "CreateGrid"  # stable: the metadata's `command`
    code: str
    name: str
    kind: GridKind
    figures: GridFigures
    micro_grids: list[NewMicroGrid] = field(default_factory=list)
    expected_version: int | None = None


@dataclass(frozen=True)
class ResizeGrid:
    command_type: ClassVar[str] = "ResizeGrid"  # stable: the metadata's `command`
    code: str
    grid: str
    figures: GridFigures
    micro_grids: dict[str, tuple[int, int]] = field(
        default_factory=dict
    )  # id → (households, entities)
    expected_version: int | None = None


@dataclass(frozen=True)
class AddMicroGrid:
    command_type: ClassVar[str] = "AddMicroGrid"  # stable: the metadata's `command`
    code: str
    grid: str
    micro_grid: NewMicroGrid
    expected_version: int | None = None


@dataclass(frozen=True)
class MergeGrids:
    command_type: ClassVar[str] = "MergeGrids"  # stable: the metadata's `command`
    code: str
    sources: list[str]
    name: str
    kind: GridKind | None = None  # None: the sources' common kind
    expected_version: int | None = None


@dataclass(frozen=True)
class SplitPart:
    name: str
    kind: GridKind
    figures: GridFigures
    micro_grids: list[str]


@dataclass(frozen=True)
class SplitGrid:
    command_type: ClassVar[str] = "SplitGrid"  # stable: the metadata's `command`
    code: str
    source: str
    parts: list[SplitPart]
    expected_version: int | None = None


@dataclass(frozen=True)
class AssignToGrid:
    command_type: ClassVar[str] = "AssignToGrid"  # stable: the metadata's `command`
    code: str
    grid: str
    moved: GridFigures
    from_grid: str | None = None  # None: new arrivals (a new building, a new enterprise)
    expected_version: int | None = None


GridCommand = CreateGrid | ResizeGrid | AddMicroGrid | MergeGrids | SplitGrid | AssignToGrid
