"""Reads of the establishment proposals."""

from __future__ import annotations

import asyncpg
import orjson

from services.registry.establishment.schemas import EstablishmentView
from shared.queries import Queries

_ESTABLISHMENT = (
    "proposal_id, division_code, name, subtype, status, next_step, code, certificate_number,"
    " steps::text AS steps, version, proposed_at, updated_at"
)


def _establishment_view(row: asyncpg.Record) -> EstablishmentView:
    return EstablishmentView.model_validate({**row, "steps": orjson.loads(row["steps"])})


class EstablishmentQueries(Queries):
    async def establishment(self, proposal_id: str) -> EstablishmentView | None:
        row = await self.pool.fetchrow(
            f"SELECT {_ESTABLISHMENT} FROM establishments WHERE proposal_id = $1", proposal_id
        )
        return _establishment_view(row) if row else None

    async def establishments(
        self, prefix: str, status: str | None, after: str, limit: int
    ) -> list[EstablishmentView]:
        rows = await self.pool.fetch(
            f"SELECT {_ESTABLISHMENT} FROM establishments WHERE proposal_id LIKE $1 || '%'"
            " AND ($2::text IS NULL OR status = $2) AND proposal_id > $3"
            " ORDER BY proposal_id LIMIT $4",
            prefix, status, after, limit,
        )  # fmt: skip
        return [_establishment_view(r) for r in rows]
