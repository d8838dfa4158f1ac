"""The `conversions` read model."""

from __future__ import annotations

import json

import asyncpg

from services.registry.conversion.workflow import CONVERSION
from shared.eventstore import Envelope


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
