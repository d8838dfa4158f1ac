"""Registry read models, built from its events."""

from __future__ import annotations

import asyncpg

from shared.eventstore import Envelope


class CommunitiesProjection:
    """The `communities` table: one row per community, its latest state."""

    name = "communities"
    tables: tuple[str, ...] = ("communities",)

    async def apply(self, conn: asyncpg.Connection, envelope: Envelope) -> None:
        p = envelope.payload
        if envelope.event_type == "CommunityRegistered":
            await conn.execute(
                """INSERT INTO communities (code, name, division_code, major_type, subtype,
                       has_residents_committee, service_centre_name, households, residents,
                       area_km2, version, registered_at, updated_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text::numeric, $11, $12, $12)
                   ON CONFLICT (code) DO NOTHING""",
                p["code"],
                p["name"],
                p["division_code"],
                p["major_type"],
                p["subtype"],
                p["has_residents_committee"],
                p["service_centre_name"],
                p["households"],
                p["residents"],
                p["area_km2"],
                envelope.stream_version,
                envelope.recorded_at,
            )
        elif envelope.event_type == "CommunityIndicatorsUpdated":
            await conn.execute(
                """UPDATE communities SET households = $2, residents = $3,
                       area_km2 = $4::text::numeric, version = $5, updated_at = $6
                   WHERE code = $1""",
                p["code"],
                p["households"],
                p["residents"],
                p["area_km2"],
                envelope.stream_version,
                envelope.recorded_at,
            )
