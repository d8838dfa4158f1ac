"""Reads of a community's grids."""

from __future__ import annotations

import asyncpg

from services.registry.grids.grid_map import Grid, GridMap
from services.registry.grids.model import DEDICATED_KINDS
from services.registry.grids.schemas import CommunityGrids, GridView, MicroGridView
from shared.queries import Queries


class GridQueries(Queries):
    async def grids(self, code: str) -> CommunityGrids:
        async with self.pool.acquire() as conn:
            return await _grids(conn, code)

    async def grids_at_head(self, code: str) -> tuple[int | None, CommunityGrids]:
        """(the last event of the community's stream the grids projection applied, the grids
        it left), read in one snapshot of that one projection's tables."""
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
            head = await conn.fetchval("SELECT version FROM grid_heads WHERE code = $1", code)
            return head, await _grids(conn, code)


async def _grids(conn: asyncpg.Connection, code: str) -> CommunityGrids:
    grids = await conn.fetch(
        "SELECT grid, name, kind, households, population, area_km2, business_entities,"
        " active, closed_by FROM grids WHERE code = $1 ORDER BY active DESC, grid",
        code,
    )
    micro = await conn.fetch(
        "SELECT grid, id, name, kind, households, business_entities FROM micro_grids"
        " WHERE code = $1 ORDER BY id",
        code,
    )
    by_grid: dict[str, list[MicroGridView]] = {}
    for m in micro:
        by_grid.setdefault(m["grid"], []).append(
            MicroGridView.model_validate({k: v for k, v in m.items() if k != "grid"})
        )
    return CommunityGrids(
        code=code,
        grids=[
            GridView(
                **dict(g),
                dedicated=g["kind"] in DEDICATED_KINDS,
                micro_grids=by_grid.get(g["grid"], []) if g["active"] else [],
            )
            for g in grids
        ],
    )


def sorted_grids(grids: GridMap) -> list[Grid]:
    return sorted(grids.grids.values(), key=lambda g: (not g.active, g.spec.grid))


def grid_view(grid: Grid) -> GridView:
    spec = grid.spec
    return GridView(
        grid=spec.grid,
        name=spec.name,
        kind=spec.kind,
        dedicated=spec.kind in DEDICATED_KINDS,
        **spec.figures.model_dump(),
        active=grid.active,
        closed_by=grid.closed_by,
        micro_grids=[MicroGridView(**m.model_dump()) for m in spec.micro_grids]
        if grid.active
        else [],
    )
