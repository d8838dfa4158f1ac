"""Reads of the conversion proposals."""

from __future__ import annotations

import asyncpg
import orjson

from services.registry.conversion.schemas import ConversionView
from shared.queries import Queries

_CONVERSION = (
    "proposal_id, code, village_name, successor_name, status, next_step, successor_code,"
    " steps::text AS steps, version, proposed_at, updated_at"
)


def _conversion_view(row: asyncpg.Record) -> ConversionView:
    return ConversionView.model_validate({**row, "steps": orjson.loads(row["steps"])})


class ConversionQueries(Queries):
    async def conversion(self, proposal_id: str) -> ConversionView | None:
        row = await self.pool.fetchrow(
            f"SELECT {_CONVERSION} FROM conversions WHERE proposal_id = $1", proposal_id
        )
        return _conversion_view(row) if row else None

    async def conversions(
        self, prefix: str, status: str | None, after: str, limit: int
    ) -> list[ConversionView]:
        rows = await self.pool.fetch(
            f"SELECT {_CONVERSION} FROM conversions WHERE proposal_id LIKE $1 || '%'"
            " AND ($2::text IS NULL OR status = $2) AND proposal_id > $3"
            " ORDER BY proposal_id LIMIT $4",
            prefix, status, after, limit,
        )  # fmt: skip
        return [_conversion_view(r) for r in rows]
