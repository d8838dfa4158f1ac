"""Registry read models, built from its events."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import asyncpg

from services.registry.conversion import CONVERSION
from services.registry.establishment import ESTABLISHMENT
from shared.eventstore import Envelope

_INDICATORS = (
    "households",
    "residents",
    "area_km2",
    "floating_population",
    "employed_population",
    "business_entities",
    "on_site_share",
    "occupancy_share",
)


def _indicator_values(p: dict[str, object]) -> list[object]:
    """Indicator values in _INDICATORS order; decimals stay strings (cast in SQL)."""
    defaults: dict[str, object] = {"area_km2": "0", "on_site_share": "0", "occupancy_share": "0"}
    return [p.get(name, defaults.get(name, 0)) for name in _INDICATORS]


class CommunitiesProjection:
    """The `communities` table: one row per community, its latest state."""

    name = "communities"
    tables: tuple[str, ...] = ("communities",)

    async def apply(self, conn: asyncpg.Connection, envelope: Envelope) -> None:
        p = envelope.payload
        if envelope.event_type == "CommunityRegistered":
            await conn.execute(
                """INSERT INTO communities (code, name, division_code, major_type, subtype,
                       has_residents_committee, service_centre_name, region, version,
                       registered_at, updated_at, households, residents, area_km2,
                       floating_population, employed_population, business_entities,
                       on_site_share, occupancy_share, status, establishment, predecessor,
                       committee_name, trust_areas)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12,
                           $13::text::numeric, $14, $15, $16, $17::text::numeric,
                           $18::text::numeric, $19, $20, $21, $22, $23::text::jsonb)
                   ON CONFLICT (code) DO NOTHING""",
                p["code"], p["name"], p["division_code"], p["major_type"], p["subtype"],
                p["has_residents_committee"], p["service_centre_name"], p.get("region"),
                envelope.stream_version, envelope.recorded_at, *_indicator_values(p),
                p.get("status", "active"), p.get("establishment"), p.get("predecessor"),
                p.get("committee_name"), json.dumps(p.get("trust_areas", []), ensure_ascii=False),
            )  # fmt: skip
        elif envelope.event_type == "CommunityIndicatorsUpdated":
            await conn.execute(
                """UPDATE communities SET households = $2, residents = $3,
                       area_km2 = $4::text::numeric, floating_population = $5,
                       employed_population = $6, business_entities = $7,
                       on_site_share = $8::text::numeric, occupancy_share = $9::text::numeric,
                       version = $10, updated_at = $11
                   WHERE code = $1""",
                p["code"], *_indicator_values(p), envelope.stream_version, envelope.recorded_at,
            )  # fmt: skip
        elif envelope.event_type == "CommunityTierAssigned":
            await conn.execute(
                """UPDATE communities SET tier = $2, tier_score = $3::text::numeric,
                       policy_version = $4, region = $5, version = $6, updated_at = $7
                   WHERE code = $1""",
                p["code"], p["tier"], p["score"], p["policy_version"], p["policy_region"],
                envelope.stream_version, envelope.recorded_at,
            )  # fmt: skip
        elif envelope.event_type == "CommunityActivated":
            await conn.execute(
                """UPDATE communities SET status = 'active', version = $2, updated_at = $3
                   WHERE code = $1""",
                p["code"], envelope.stream_version, envelope.recorded_at,
            )  # fmt: skip
        elif envelope.event_type == "ResidentsCommitteeEstablished":
            await conn.execute(
                """UPDATE communities SET has_residents_committee = true, committee_name = $4,
                       version = $2, updated_at = $3 WHERE code = $1""",
                p["code"], envelope.stream_version, envelope.recorded_at, p["committee_name"],
            )  # fmt: skip
        elif envelope.event_type == "CommunityConverted":
            await conn.execute(
                """UPDATE communities SET status = 'converted', successor = $4,
                       version = $2, updated_at = $3 WHERE code = $1""",
                p["code"], envelope.stream_version, envelope.recorded_at, p["successor_code"],
            )  # fmt: skip
        elif "code" in p:
            # Every other event of a community's stream still moves its version: the ETag a
            # client reads must be the one an If-Match is checked against.
            await conn.execute(
                "UPDATE communities SET version = $2, updated_at = $3 WHERE code = $1",
                p["code"], envelope.stream_version, envelope.recorded_at,
            )  # fmt: skip


class SizeFindingsProjection:
    """The `size_findings` table: every finding, open until resolved."""

    name = "size_findings"
    tables: tuple[str, ...] = ("size_findings",)

    async def apply(self, conn: asyncpg.Connection, envelope: Envelope) -> None:
        p = envelope.payload
        if envelope.event_type == "SizeFindingRaised":
            await conn.execute(
                """INSERT INTO size_findings (code, rule, indicator, value, limit_text, source,
                       policy_region, policy_version, raised_at, subject)
                   VALUES ($1, $2, $3, $4::text::numeric, $5, $6, $7, $8, $9, $10)
                   ON CONFLICT DO NOTHING""",
                p["code"], p["rule"], p["indicator"], p["value"], p["limit"], p["source"],
                p["policy_region"], p["policy_version"], envelope.recorded_at,
                p.get("subject") or "",
            )  # fmt: skip
        elif envelope.event_type == "SizeFindingResolved":
            await conn.execute(
                "UPDATE size_findings SET resolved_at = $3"
                " WHERE code = $1 AND rule = $2 AND subject = $4 AND resolved_at IS NULL",
                p["code"], p["rule"], envelope.recorded_at, p.get("subject") or "",
            )  # fmt: skip


class GridsProjection:
    """The `grids` and `micro_grids` tables: every grid (closed ones kept) and micro-grid."""

    name = "grids"
    tables: tuple[str, ...] = ("grids", "micro_grids")

    async def apply(self, conn: asyncpg.Connection, envelope: Envelope) -> None:
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


class EstablishmentsProjection:
    """The `establishments` table: where each industrial establishment proposal stands."""

    name = "establishments"
    tables: tuple[str, ...] = ("establishments",)

    async def apply(self, conn: asyncpg.Connection, envelope: Envelope) -> None:
        p, at = envelope.payload, envelope.recorded_at
        if envelope.event_type == "EstablishmentProposed":
            step = {
                "step": "proposal", "title": "方案申报", "actor_role": p["actor_role"],
                "outcome": "filed", "documents": p["documents"], "at": at.isoformat(),
            }  # fmt: skip
            await conn.execute(
                """INSERT INTO establishments (proposal_id, division_code, name, subtype, status,
                       next_step, steps, version, proposed_at, updated_at)
                   VALUES ($1, $2, $3, $4, 'proposed', 'preliminary_review', $5::jsonb, $6, $7, $7)
                   ON CONFLICT DO NOTHING""",
                p["proposal_id"], p["division_code"], p["name"], p["subtype"],
                json.dumps([step], ensure_ascii=False), envelope.stream_version, at,
            )  # fmt: skip
        elif envelope.event_type == "EstablishmentStepRecorded":
            step = {k: p[k] for k in ("step", "title", "actor_role", "outcome", "documents",
                                      "departments", "note")}  # fmt: skip
            step["at"] = at.isoformat()
            await conn.execute(
                """UPDATE establishments SET status = $2, next_step = $3,
                       code = COALESCE($4, code),
                       certificate_number = COALESCE($5, certificate_number),
                       steps = steps || $6::jsonb, version = $7, updated_at = $8
                   WHERE proposal_id = $1""",
                p["proposal_id"], p["status"], ESTABLISHMENT.next_step[p["status"]], p.get("code"),
                p.get("certificate_number"), json.dumps([step], ensure_ascii=False),
                envelope.stream_version, at,
            )  # fmt: skip


class ConversionsProjection:
    """The `conversions` table: where each 撤村建居 proposal stands."""

    name = "conversions"
    tables: tuple[str, ...] = ("conversions",)

    async def apply(self, conn: asyncpg.Connection, envelope: Envelope) -> None:
        p, at = envelope.payload, envelope.recorded_at
        if envelope.event_type == "ConversionProposed":
            step = {
                "step": "proposal", "title": "镇街提出方案", "actor_role": p["actor_role"],
                "outcome": "filed", "documents": p["documents"], "at": at.isoformat(),
            }  # fmt: skip
            await conn.execute(
                """INSERT INTO conversions (proposal_id, code, village_name, successor_name,
                       status, next_step, steps, version, proposed_at, updated_at)
                   VALUES ($1, $2, $3, $4, 'proposed', 'consent', $5::jsonb, $6, $7, $7)
                   ON CONFLICT DO NOTHING""",
                p["proposal_id"], p["code"], p["village_name"], p["successor_name"],
                json.dumps([step], ensure_ascii=False), envelope.stream_version, at,
            )  # fmt: skip
        elif envelope.event_type == "ConversionStepRecorded":
            step = {k: p.get(k) for k in ("step", "title", "actor_role", "outcome", "documents",
                                          "note", "votes_for", "votes_total")}  # fmt: skip
            step["at"] = at.isoformat()
            await conn.execute(
                """UPDATE conversions SET status = $2, next_step = $3,
                       successor_code = COALESCE($4, successor_code),
                       steps = steps || $5::jsonb, version = $6, updated_at = $7
                   WHERE proposal_id = $1""",
                p["proposal_id"], p["status"], CONVERSION.next_step[p["status"]],
                p.get("successor_code"), json.dumps([step], ensure_ascii=False),
                envelope.stream_version, at,
            )  # fmt: skip
