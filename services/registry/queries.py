"""Reads of the registry's read models and, for explanations, of its log."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import asyncpg
import orjson

from services.registry.domain import Community, policy_stream_id, stream_id
from services.registry.grids import DEDICATED_KINDS, Grid, GridMap
from services.registry.policy import PolicyBook
from services.registry.schemas import (
    CommunityGrids,
    CommunitySnapshot,
    CommunityView,
    ConversionView,
    EstablishmentView,
    Explanation,
    GridView,
    HistoryEntry,
    MicroGridView,
    PolicyPackDocument,
    SizeFindings,
    SizeFindingView,
    TierDecisionView,
)
from shared.audit import check_link
from shared.eventstore import Envelope, EventCatalog, EventStore

_REGISTRATION_FIELDS = {
    "code", "name", "division_code", "major_type", "subtype", "has_residents_committee",
    "service_centre_name", "region", "establishment", "predecessor", "committee_name",
    "trust_areas",
}  # fmt: skip

_FIELDS = (
    "code", "name", "division_code", "major_type", "subtype", "has_residents_committee",
    "service_centre_name", "households", "residents", "area_km2", "floating_population",
    "employed_population", "business_entities", "on_site_share", "occupancy_share", "status",
    "establishment", "predecessor", "successor", "committee_name", "trust_areas", "region",
    "tier",
    "tier_score",
    "policy_version", "version", "registered_at", "updated_at",
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


_ESTABLISHMENT = (
    "proposal_id, division_code, name, subtype, status, next_step, code, certificate_number,"
    " steps::text AS steps, version, proposed_at, updated_at"
)
_CONVERSION = (
    "proposal_id, code, village_name, successor_name, status, next_step, successor_code,"
    " steps::text AS steps, version, proposed_at, updated_at"
)


def _view(row: asyncpg.Record) -> CommunityView:
    return CommunityView.model_validate({**row, "trust_areas": orjson.loads(row["trust_areas"])})


class CommunityQueries:
    def __init__(self, pool: asyncpg.Pool, store: EventStore, catalog: EventCatalog) -> None:
        self.pool = pool
        self.store = store
        self.catalog = catalog

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

    async def grids(self, code: str) -> CommunityGrids:
        grids = await self.pool.fetch(
            "SELECT grid, name, kind, households, population, area_km2, business_entities,"
            " active, closed_by FROM grids WHERE code = $1 ORDER BY active DESC, grid",
            code,
        )
        micro = await self.pool.fetch(
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

    async def as_of(self, code: str, moment: datetime) -> CommunitySnapshot | None:
        """The community as it was at `moment`, rebuilt from the log (not the read model)."""
        envelopes = await self.store.read_stream(stream_id(code), until=moment)
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
        envelopes = await self.store.read_stream(stream_id(code))
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

    async def policy_packs(
        self, book: PolicyBook, region: str | None = None, version: str | None = None
    ) -> list[PolicyPackDocument]:
        """The shipped pack versions (all, or those of `region` / `version`), each with its
        publication (from the policy streams)."""
        packs = sorted(
            (p for p in book.packs if region in (None, p.region) and version in (None, p.version)),
            key=lambda p: (p.region, p.effective_from),
        )
        published: dict[tuple[str, str], Envelope] = {}
        for name in sorted({pack.region for pack in packs}):
            for e in await self.store.read_stream(policy_stream_id(name)):
                published.setdefault((name, str(e.payload["version"])), e)
        hashes = {k: str(e.payload["content_sha256"]) for k, e in published.items()}
        deciding = {
            name: book.deciding(name, {v: h for (r, v), h in hashes.items() if r == name})
            for name in {pack.region for pack in packs}
        }
        documents = []
        for pack in packs:
            publication = published.get((pack.region, pack.version))
            document = PolicyPackDocument(
                region=pack.region,
                version=pack.version,
                name=pack.name,
                effective_from=pack.effective_from,
                in_force=deciding[pack.region] is pack,
                content_sha256=pack.content_sha256(),
                published_at=publication.recorded_at if publication else None,
                published_sha256=(
                    str(publication.payload["content_sha256"]) if publication else None
                ),
                pack=pack.model_dump(mode="json"),
            )
            documents.append(document)
        return documents

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


def _establishment_view(row: asyncpg.Record) -> EstablishmentView:
    return EstablishmentView.model_validate({**row, "steps": orjson.loads(row["steps"])})


def _conversion_view(row: asyncpg.Record) -> ConversionView:
    return ConversionView.model_validate({**row, "steps": orjson.loads(row["steps"])})
