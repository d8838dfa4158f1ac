"""Grid events, on the community's stream (one `If-Match` version guards both)."""

from __future__ import annotations

from pydantic import Field

from services.registry.grids.model import GridFigures, GridSpec, MicroGrid
from shared.eventstore import DomainEvent


class GridCreated(GridSpec, DomainEvent):
    event_type = "GridCreated"
    schema_version = 1

    code: str


class GridResized(DomainEvent):
    """New figures for a grid, or new households/entities for one of its micro-grids."""

    event_type = "GridResized"
    schema_version = 1

    code: str
    grid: str
    figures: GridFigures
    micro_grids: list[MicroGrid] = Field(default=[], description="Micro-grids resized.")


class MicroGridAdded(DomainEvent):
    event_type = "MicroGridAdded"
    schema_version = 1

    code: str
    grid: str
    micro_grid: MicroGrid


class GridsMerged(DomainEvent):
    """`sources` are closed; `merged` holds their figures and micro-grids."""

    event_type = "GridsMerged"
    schema_version = 1

    code: str
    sources: list[str]
    merged: GridSpec


class GridSplit(DomainEvent):
    """`source` is closed; its figures and micro-grids are divided among `parts`."""

    event_type = "GridSplit"
    schema_version = 1

    code: str
    source: str
    parts: list[GridSpec]


class GridMembersAssigned(DomainEvent):
    """Households, people or entities assigned to a grid: new arrivals, or moved from another."""

    event_type = "GridMembersAssigned"
    schema_version = 1

    code: str
    grid: str
    from_grid: str | None
    moved: GridFigures


GRID_EVENT_TYPES: tuple[type[DomainEvent], ...] = (
    GridCreated,
    GridResized,
    MicroGridAdded,
    GridsMerged,
    GridSplit,
    GridMembersAssigned,
)
