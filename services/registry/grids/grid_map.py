"""A community's grids as their events left them. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.registry.grids.events import (
    GridCreated,
    GridMembersAssigned,
    GridResized,
    GridsMerged,
    GridSplit,
    MicroGridAdded,
)
from services.registry.grids.model import GridFigures, GridSpec, MicroGrid, grid_code, micro_grid_id
from shared.errors import FieldProblem
from shared.eventstore import DomainEvent
from shared.values import as_stored


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
