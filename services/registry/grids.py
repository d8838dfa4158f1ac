"""Grids and micro-grids of a community (定组织架构; seeds 004 §三, 000 §二(三)2). Pure: no I/O.

A grid has a 17-digit code of its own: its community's code with serial 001-999 in digits
14-16 and a fresh check digit (the community itself holds serial 000). Micro-grids are numbered
per community (`<community code>-M0001`), so a micro-grid keeps its id when a merge or a split
moves it to another grid. Serials are never reused: a merged or split grid is closed, not
deleted, and its successors get new serials.

Every change is an event on the community's stream, so the community's time travel includes
its grids and one `If-Match` version guards both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from pydantic import Field

from services.registry.code import check_digit
from shared.errors import FieldProblem
from shared.eventstore import DomainEvent
from shared.values import Area, CommunityCode, Count, Name, Record, as_stored

GridKind = Literal["residential", "industrial", "office_tower", "market", "demolition_site"]
# 专属网格 (seed 004 §三): dedicated to one object; the household band does not apply to them.
DEDICATED_KINDS = frozenset({"office_tower", "market", "demolition_site"})
# 一企一格 / 一园一格 / 一楼一格 (seed 000 §二(三)2); residential micro-grids group households.
MicroGridKind = Literal["residential", "enterprise", "park", "building"]
MAX_GRIDS = 999


class GridFigures(Record):
    """What a grid is sized by."""

    households: Count = 0
    population: Count = 0
    area_km2: Area = Decimal(0)
    business_entities: Count = 0

    def __add__(self, other: GridFigures) -> GridFigures:
        return GridFigures(
            households=self.households + other.households,
            population=self.population + other.population,
            area_km2=self.area_km2 + other.area_km2,
            business_entities=self.business_entities + other.business_entities,
        )


class MicroGrid(Record):
    id: str
    name: Name
    kind: MicroGridKind
    households: Count = 0
    business_entities: Count = 0


class GridSpec(Record):
    """A grid as an event records it: code, name, kind, figures, micro-grids."""

    grid: CommunityCode
    name: Name
    kind: GridKind
    figures: GridFigures
    micro_grids: list[MicroGrid] = Field(default_factory=list)


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


def grid_code(community_code: str, serial: int) -> str:
    body = f"{community_code[:13]}{serial:03d}"
    return body + check_digit(body)


def micro_grid_id(community_code: str, serial: int) -> str:
    return f"{community_code}-M{serial:04d}"


@dataclass
class Grid:
    spec: GridSpec
    active: bool = True
    closed_by: str | None = None  # the event type that closed it

    @property
    def micro_grids(self) -> dict[str, MicroGrid]:
        return {m.id: m for m in self.spec.micro_grids}


@dataclass
class GridMap:
    """A community's grids as its events left them (closed ones kept: serials are never reused)."""

    grids: dict[str, Grid] = field(default_factory=dict)
    micro_grid_serials: int = 0

    def active(self) -> list[Grid]:
        return [g for g in self.grids.values() if g.active]

    def next_grid_codes(self, community_code: str, count: int) -> list[str]:
        start = len(self.grids) + 1
        return [grid_code(community_code, start + i) for i in range(count)]

    def next_micro_grid_ids(self, community_code: str, count: int) -> list[str]:
        start = self.micro_grid_serials + 1
        return [micro_grid_id(community_code, start + i) for i in range(count)]

    def require_active(self, code: str, field_name: str) -> list[FieldProblem]:
        grid = self.grids.get(code)
        if grid is None:
            return [FieldProblem(field_name, f"no grid {code} in this community")]
        if not grid.active:
            return [FieldProblem(field_name, f"grid {code} was closed ({grid.closed_by})")]
        return []

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, GridCreated):
            with as_stored():  # the event's own values, however it was recorded
                self._open(
                    GridSpec.model_validate(event.model_dump(include=set(GridSpec.model_fields)))
                )
        elif isinstance(event, GridResized):
            grid = self.grids[event.grid]
            resized = {m.id: m for m in event.micro_grids}
            micro = [resized.get(m.id, m) for m in grid.spec.micro_grids]
            grid.spec = grid.spec.model_copy(
                update={"figures": event.figures, "micro_grids": micro}
            )
        elif isinstance(event, MicroGridAdded):
            grid = self.grids[event.grid]
            micro = [*grid.spec.micro_grids, event.micro_grid]
            grid.spec = grid.spec.model_copy(update={"micro_grids": micro})
            self.micro_grid_serials += 1
        elif isinstance(event, GridsMerged):
            for source in event.sources:
                self._close(source, "GridsMerged")
            self.grids[event.merged.grid] = Grid(event.merged)
        elif isinstance(event, GridSplit):
            self._close(event.source, "GridSplit")
            for part in event.parts:
                self.grids[part.grid] = Grid(part)
        elif isinstance(event, GridMembersAssigned):
            self._shift(event.grid, event.moved, +1)
            if event.from_grid:
                self._shift(event.from_grid, event.moved, -1)

    def _open(self, spec: GridSpec) -> None:
        self.grids[spec.grid] = Grid(spec)
        self.micro_grid_serials += len(spec.micro_grids)

    def _close(self, code: str, by: str) -> None:
        self.grids[code].active = False
        self.grids[code].closed_by = by

    def _shift(self, code: str, moved: GridFigures, sign: int) -> None:
        grid = self.grids[code]
        f = grid.spec.figures
        figures = GridFigures(
            households=f.households + sign * moved.households,
            population=f.population + sign * moved.population,
            area_km2=f.area_km2 + sign * moved.area_km2,
            business_entities=f.business_entities + sign * moved.business_entities,
        )
        grid.spec = grid.spec.model_copy(update={"figures": figures})


def check_kind(kind: str, major_type: str, field_name: str = "kind") -> list[FieldProblem]:
    """Industrial communities divide into industrial grids; others into residential ones."""
    if kind in DEDICATED_KINDS:
        return []
    expected = "industrial" if major_type == "industrial" else "residential"
    if kind != expected:
        return [
            FieldProblem(
                field_name,
                f"a {major_type} community's grids are {expected} (or dedicated: "
                + ", ".join(sorted(DEDICATED_KINDS))
                + ")",
            )
        ]
    return []
