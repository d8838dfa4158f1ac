"""The `establishments` read model."""

from __future__ import annotations

import json

import asyncpg

from services.registry.establishment.workflow import ESTABLISHMENT
from shared.eventstore import Envelope


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
