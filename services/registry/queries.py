"""Reads of the registry's read models and, for explanations, of its log."""

from __future__ import annotations

import asyncpg

from services.registry.domain import stream_id
from services.registry.schemas import (
    CommunityView,
    Explanation,
    SizeFindings,
    SizeFindingView,
    TierDecisionView,
)
from shared.eventstore import EventStore

_FIELDS = (
    "code", "name", "division_code", "major_type", "subtype", "has_residents_committee",
    "service_centre_name", "households", "residents", "area_km2", "floating_population",
    "employed_population", "business_entities", "on_site_share", "region", "tier", "tier_score",
    "policy_version", "version", "registered_at", "updated_at",
)  # fmt: skip
_NUMERIC = {"area_km2", "on_site_share", "tier_score"}  # sent as JSON strings, like Decimal
_COLUMNS = ", ".join(_FIELDS)
# The CommunityView as JSON, built by PostgreSQL: the hot read path skips building and
# re-serialising a model in Python. Same fields as CommunityView.
_JSON = "json_build_object({})::text".format(
    ", ".join(f"'{f}', {f}::text" if f in _NUMERIC else f"'{f}', {f}" for f in _FIELDS)
)


class CommunityQueries:
    def __init__(self, pool: asyncpg.Pool, store: EventStore) -> None:
        self.pool = pool
        self.store = store

    async def get(self, code: str) -> CommunityView | None:
        row = await self.pool.fetchrow(f"SELECT {_COLUMNS} FROM communities WHERE code = $1", code)
        return CommunityView.model_validate(dict(row)) if row else None

    async def get_json(self, code: str) -> tuple[int, bytes] | None:
        """(version, the CommunityView as JSON)."""
        row = await self.pool.fetchrow(
            f"SELECT version, {_JSON} AS body FROM communities WHERE code = $1", code
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

    async def findings(self, code: str) -> SizeFindings:
        rows = await self.pool.fetch(
            "SELECT rule, indicator, value, limit_text AS limit, source, policy_region,"
            " policy_version, raised_at, resolved_at FROM size_findings WHERE code = $1"
            " ORDER BY raised_at, rule",
            code,
        )
        views = [SizeFindingView.model_validate(dict(r)) for r in rows]
        return SizeFindings(
            code=code,
            open=[v for v in views if v.resolved_at is None],
            resolved=[v for v in views if v.resolved_at is not None],
        )

    async def explain(self, code: str) -> Explanation | None:
        """Why the community has its tier: every tier decision, from the log itself."""
        decisions = [
            TierDecisionView(
                **{k: v for k, v in e.payload.items() if k != "code"},
                decided_at=e.recorded_at,
                event_id=str(e.event_id),
                stream_version=e.stream_version,
            )
            for e in await self.store.read_stream(stream_id(code))
            if e.event_type == "CommunityTierAssigned"
        ]
        if not decisions:
            return None
        return Explanation(
            code=code, tier=decisions[-1].tier, current=decisions[-1], history=decisions
        )
