"""Community read models: `communities` and `size_findings`."""

from __future__ import annotations

import json

import asyncpg

from services.registry.community.events import community_stream
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
        elif envelope.event_type == "PartyOrganisationRecorded":
            await conn.execute(
                """UPDATE communities SET party_organisation = $4, party_members = $5,
                       version = $2, updated_at = $3 WHERE code = $1""",
                p["code"], envelope.stream_version, envelope.recorded_at,
                p["party_organisation"], p["party_members"],
            )  # fmt: skip
        elif envelope.event_type == "CommunityConverted":
            await conn.execute(
                """UPDATE communities SET status = 'converted', successor = $4,
                       version = $2, updated_at = $3 WHERE code = $1""",
                p["code"], envelope.stream_version, envelope.recorded_at, p["successor_code"],
            )  # fmt: skip
        elif "code" in p and envelope.stream_id == community_stream(p["code"]):
            # Every other event of a community's stream still moves its version: the ETag a
            # client reads must be the one an If-Match is checked against. Events of other
            # streams that name a community (a conversion proposal's) leave it alone.
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
