"""Reads of the registry's read models."""

from __future__ import annotations

import asyncpg

from services.registry.schemas import CommunityView

_COLUMNS = """code, name, division_code, major_type, subtype, has_residents_committee,
    service_centre_name, households, residents, area_km2, version, registered_at, updated_at"""


class CommunityQueries:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def get(self, code: str) -> CommunityView | None:
        row = await self.pool.fetchrow(f"SELECT {_COLUMNS} FROM communities WHERE code = $1", code)
        return CommunityView.model_validate(dict(row)) if row else None

    async def list_by_division(
        self, prefix: str, after_code: str, limit: int
    ) -> list[CommunityView]:
        rows = await self.pool.fetch(
            f"SELECT {_COLUMNS} FROM communities"
            " WHERE code LIKE $1 || '%' AND code > $2 ORDER BY code LIMIT $3",
            prefix,
            after_code,
            limit,
        )
        return [CommunityView.model_validate(dict(row)) for row in rows]
