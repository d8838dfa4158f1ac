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

    async def get_json(self, code: str) -> tuple[int, bytes] | None:
        """(version, the CommunityView as JSON) built by PostgreSQL: the hot read path skips
        building and re-serialising a model in Python. Same fields as CommunityView."""
        row = await self.pool.fetchrow(
            "SELECT version, json_build_object("
            "'code', code, 'name', name, 'division_code', division_code,"
            " 'major_type', major_type, 'subtype', subtype,"
            " 'has_residents_committee', has_residents_committee,"
            " 'service_centre_name', service_centre_name, 'households', households,"
            " 'residents', residents, 'area_km2', area_km2::text, 'version', version,"
            " 'registered_at', registered_at, 'updated_at', updated_at)::text AS body"
            " FROM communities WHERE code = $1",
            code,
        )
        return (row["version"], row["body"].encode()) if row else None

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
