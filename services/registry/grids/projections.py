"""Grid read models: `grids` and `micro_grids`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from services.registry.community.events import community_stream
from shared.eventstore import Envelope


class GridsProjection:
    """The `grids` and `micro_grids` tables: every grid (closed ones kept) and micro-grid;
    `grid_heads`: the last event of each community's stream this projection applied."""

    name = "grids"
    tables: tuple[str, ...] = ("grids", "micro_grids", "grid_heads")

    async def apply(self, conn: asyncpg.Connection, envelope: Envelope) -> None:
        p = envelope.payload
        await self._apply_grids(conn, envelope)
        if "code" in p and envelope.stream_id == community_stream(p["code"]):
            await conn.execute(
                """INSERT INTO grid_heads (code, version) VALUES ($1, $2)
                   ON CONFLICT (code) DO UPDATE SET version = excluded.version""",
                p["code"], envelope.stream_version,
            )  # fmt: skip

    async def _apply_grids(self, conn: asyncpg.Connection, envelope: Envelope) -> None:
        p, at = envelope.payload, envelope.recorded_at
        kind = envelope.event_type
        if kind == "GridCreated":
            await _insert_grids(conn, p["code"], [p], at)
        elif kind == "GridResized":
            await _set_figures(conn, p["grid"], p["figures"], at)
            await _upsert_micro_grids(conn, p["code"], p["grid"], p["micro_grids"])
        elif kind == "MicroGridAdded":
            await _upsert_micro_grids(conn, p["code"], p["grid"], [p["micro_grid"]])
        elif kind == "GridsMerged":
            await _close(conn, p["sources"], kind, at)
            await _insert_grids(conn, p["code"], [p["merged"]], at)
        elif kind == "GridSplit":
            await _close(conn, [p["source"]], kind, at)
            await _insert_grids(conn, p["code"], p["parts"], at)
        elif kind == "GridMembersAssigned":
            shift = """UPDATE grids SET households = households + $2::int * $3::int,
                           population = population + $2::int * $4::int,
                           area_km2 = area_km2 + $2::int * $5::text::numeric,
                           business_entities = business_entities + $2::int * $6::int,
                           updated_at = $7
                       WHERE grid = $1"""
            m = p["moved"]
            moved = (m["households"], m["population"], m["area_km2"], m["business_entities"])
            await conn.execute(shift, p["grid"], 1, *moved, at)
            if p["from_grid"]:
                await conn.execute(shift, p["from_grid"], -1, *moved, at)


async def _insert_grids(
    conn: asyncpg.Connection, code: str, specs: list[dict[str, Any]], at: datetime
) -> None:
    for spec in specs:
        f = spec["figures"]
        await conn.execute(
            """INSERT INTO grids (grid, code, name, kind, households, population, area_km2,
                   business_entities, created_at, updated_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7::text::numeric, $8, $9, $9)
               ON CONFLICT (grid) DO NOTHING""",
            spec["grid"], code, spec["name"], spec["kind"], f["households"], f["population"],
            f["area_km2"], f["business_entities"], at,
        )  # fmt: skip
        await _upsert_micro_grids(conn, code, spec["grid"], spec["micro_grids"])


async def _upsert_micro_grids(
    conn: asyncpg.Connection, code: str, grid: str, micro: list[dict[str, Any]]
) -> None:
    """Insert the micro-grids, or move/resize the ones that exist (merge, split, resize)."""
    if not micro:
        return
    await conn.execute(
        """INSERT INTO micro_grids (id, code, grid, name, kind, households, business_entities)
           SELECT id, $1, $2, name, kind, households, entities
           FROM unnest($3::text[], $4::text[], $5::text[], $6::int[], $7::int[])
                AS m(id, name, kind, households, entities)
           ON CONFLICT (id) DO UPDATE SET grid = excluded.grid,
               households = excluded.households, business_entities = excluded.business_entities""",
        code, grid, [m["id"] for m in micro], [m["name"] for m in micro],
        [m["kind"] for m in micro], [m["households"] for m in micro],
        [m["business_entities"] for m in micro],
    )  # fmt: skip


async def _set_figures(
    conn: asyncpg.Connection, grid: str, f: dict[str, Any], at: datetime
) -> None:
    await conn.execute(
        """UPDATE grids SET households = $2, population = $3, area_km2 = $4::text::numeric,
               business_entities = $5, updated_at = $6 WHERE grid = $1""",
        grid, f["households"], f["population"], f["area_km2"], f["business_entities"], at,
    )  # fmt: skip


async def _close(conn: asyncpg.Connection, grids: list[str], by: str, at: datetime) -> None:
    await conn.execute(
        "UPDATE grids SET active = false, closed_by = $2, updated_at = $3 WHERE grid = ANY($1)",
        grids, by, at,
    )  # fmt: skip
