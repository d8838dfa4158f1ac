"""The `staffing_quotas` read model."""

from __future__ import annotations

import json

import asyncpg

from shared.eventstore import Envelope


class QuotasProjection:
    """The `staffing_quotas` table: each community's view and its latest quota."""

    name = "staffing_quotas"
    tables: tuple[str, ...] = ("staffing_quotas",)

    async def apply(self, conn: asyncpg.Connection, envelope: Envelope) -> None:
        p = envelope.payload
        if envelope.event_type == "CommunityObserved":
            await conn.execute(
                """INSERT INTO staffing_quotas (code, division_code, major_type, status,
                       residents, households, tier, version, updated_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                   ON CONFLICT (code) DO UPDATE SET division_code = $2, major_type = $3,
                       status = $4, residents = $5, households = $6, tier = $7, version = $8,
                       updated_at = $9""",
                p["code"], p["division_code"], p["major_type"], p["status"], p["residents"],
                p["households"], p.get("tier"), envelope.stream_version, envelope.recorded_at,
            )  # fmt: skip
        elif envelope.event_type == "QuotaSet":
            pack = envelope.metadata.get("policy_pack")
            await conn.execute(
                """UPDATE staffing_quotas SET quota = $2, rule = $3, source = $4,
                       inputs = $5::jsonb, policy_pack = $6, version = $7, updated_at = $8
                   WHERE code = $1""",
                p["code"], p["quota"], p["rule"], p["source"],
                json.dumps(p["inputs"], ensure_ascii=False), pack, envelope.stream_version,
                envelope.recorded_at,
            )  # fmt: skip
