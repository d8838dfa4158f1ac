"""Reads of the community read models and, for time travel and explanations, of its log."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import asyncpg
import orjson

from services.registry.community.aggregate import Community
from services.registry.community.events import community_stream
from services.registry.community.schemas import (
    CommunitySnapshot,
    CommunityView,
    Explanation,
    HistoryEntry,
    SizeFindings,
    SizeFindingView,
    TierDecisionView,
)
from services.registry.grids.queries import grid_view, sorted_grids
from shared.audit import check_link
from shared.queries import Queries

_REGISTRATION_FIELDS = {
    "code", "name", "division_code", "major_type", "subtype", "has_residents_committee",
    "service_centre_name", "region", "establishment", "predecessor", "committee_name",
    "trust_areas",
}  # fmt: skip


_FIELDS = (
    "code", "name", "division_code", "major_type", "subtype", "has_residents_committee",
    "service_centre_name", "households", "residents", "area_km2", "floating_population",
    "employed_population", "business_entities", "on_site_share", "occupancy_share", "status",
    "establishment", "predecessor", "successor", "committee_name", "trust_areas",
    "party_organisation", "party_members", "region", "tier", "tier_score", "policy_version",
    "version", "registered_at", "updated_at",
)  # fmt: skip


_NUMERIC = {
    "area_km2",
    "on_site_share",
    "occupancy_share",
    "tier_score",
}  # sent as JSON strings, like Decimal


_COLUMNS = ", ".join(_FIELDS)


# The CommunityView as JSON, built by PostgreSQL: the hot read path skips building and
# re-serialising a model in Python. Same fields as CommunityView.
_JSON = "json_build_object({})::text".format(
    ", ".join(f"'{f}', {f}::text" if f in _NUMERIC else f"'{f}', {f}" for f in _FIELDS)
)


def _view(row: asyncpg.Record) -> CommunityView:
    return CommunityView.model_validate({**row, "trust_areas": orjson.loads(row["trust_areas"])})


class CommunityQueries(Queries):
    async def get(self, code: str) -> CommunityView | None:
        row = await self.pool.fetchrow(f"SELECT {_COLUMNS} FROM communities WHERE code = $1", code)
        return _view(row) if row else None

    async def version(self, code: str) -> int | None:
        """The community's version in the read model: the last event of its stream applied."""
        version: int | None = await self.pool.fetchval(
            "SELECT version FROM communities WHERE code = $1", code
        )
        return version

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
        return [_view(row) for row in rows]

    async def codes_in_region(self, region: str) -> list[str]:
        rows = await self.pool.fetch(
            "SELECT code FROM communities WHERE region = $1 ORDER BY code", region
        )
        return [row["code"] for row in rows]

    async def indicators_in_region(self, region: str) -> list[tuple[str, dict[str, Decimal]]]:
        """(major type, indicators) of every community of the region, for calibration."""
        rows = await self.pool.fetch(
            "SELECT major_type, households, residents, area_km2, floating_population,"
            " employed_population, business_entities, on_site_share"
            " FROM communities WHERE region = $1",
            region,
        )
        return [
            (row["major_type"], {k: Decimal(v) for k, v in row.items() if k != "major_type"})
            for row in rows
        ]

    async def findings(self, code: str) -> SizeFindings:
        rows = await self.pool.fetch(
            "SELECT rule, NULLIF(subject, '') AS subject, indicator, value, limit_text AS limit,"
            " source, policy_region,"
            " policy_version, raised_at, resolved_at FROM size_findings WHERE code = $1"
            " ORDER BY raised_at, subject, rule",
            code,
        )
        views = [SizeFindingView.model_validate(dict(r)) for r in rows]
        return SizeFindings(
            code=code,
            open=[v for v in views if v.resolved_at is None],
            resolved=[v for v in views if v.resolved_at is not None],
        )

    async def as_of(self, code: str, moment: datetime) -> CommunitySnapshot | None:
        """The community as it was at `moment`, rebuilt from the log (not the read model)."""
        envelopes = await self.store.read_stream(community_stream(code), until=moment)
        if not envelopes:
            return None
        community = Community.from_history(code, [(e, self.catalog.decode(e)) for e in envelopes])
        registered, indicators, decision = (
            community.registered,
            community.indicators,
            community.tier_decision,
        )
        assert registered is not None and indicators is not None
        return CommunitySnapshot(
            **registered.model_dump(include=_REGISTRATION_FIELDS - {"has_residents_committee"}),
            has_residents_committee=community.has_residents_committee,
            status=community.status,
            successor=community.successor,
            party_organisation=community.party.party_organisation if community.party else None,
            party_members=community.party.party_members if community.party else 0,
            **indicators.model_dump(),
            tier=community.tier,
            tier_score=decision.score if decision else None,
            policy_version=decision.policy_version if decision else None,
            version=community.head.version,
            registered_at=envelopes[0].recorded_at,
            updated_at=envelopes[-1].recorded_at,
            grids=[grid_view(g) for g in sorted_grids(community.grids)],
        )

    async def history(self, code: str) -> list[HistoryEntry]:
        """Every event of the community with who, when, which policy, and its chain status."""
        envelopes = await self.store.read_stream(community_stream(code))
        entries, previous = [], None
        for e in envelopes:
            problems = [f.problem for f in check_link(e, previous)]
            entries.append(
                HistoryEntry(
                    stream_version=e.stream_version,
                    event_type=e.event_type,
                    schema_version=e.schema_version,
                    event_id=str(e.event_id),
                    recorded_at=e.recorded_at,
                    actor=e.metadata.get("actor"),
                    actor_kind=e.metadata.get("actor_kind"),
                    correlation_id=e.metadata.get("correlation_id"),
                    policy_pack=e.metadata.get("policy_pack"),
                    hash=e.hash.hex(),
                    chain_ok=not problems,
                    chain_problems=problems,
                )
            )
            previous = e
        return entries

    async def explain(self, code: str) -> Explanation | None:
        """Why the community has its tier: every tier decision, from the log itself."""
        decisions = [
            TierDecisionView(
                **{k: v for k, v in e.payload.items() if k != "code"},
                decided_at=e.recorded_at,
                event_id=str(e.event_id),
                stream_version=e.stream_version,
            )
            for e in await self.store.read_stream(community_stream(code))
            if e.event_type == "CommunityTierAssigned"
        ]
        if not decisions:
            return None
        return Explanation(
            code=code, tier=decisions[-1].tier, current=decisions[-1], history=decisions
        )
