"""The `matters_admissions` read model: where each admission case stands."""

from __future__ import annotations

import asyncpg

from shared.eventstore import Envelope

_STEPS = ("JointMeetingConvened", "ItemJudged", "AdmissionDecided", "HandoverSigned")


class AdmissionsProjection:
    name = "matters_admissions"
    tables: tuple[str, ...] = ("matters_admissions",)

    async def apply(self, conn: asyncpg.Connection, envelope: Envelope) -> None:
        p, at = envelope.payload, envelope.recorded_at
        if envelope.event_type == "AdmissionApplied":
            await conn.execute(
                """INSERT INTO matters_admissions (admission_id, division_code, applicant,
                       status, items, runways, applied_at, updated_at, version)
                   VALUES ($1, $2, $3, 'applied', $4, $5, $6, $6, $7)
                   ON CONFLICT DO NOTHING""",
                p["admission_id"], p["division_code"], p["applicant"], len(p["items"]),
                sorted({i["runway"] for i in p["items"]}), at, envelope.stream_version,
            )  # fmt: skip
        elif envelope.event_type in _STEPS:
            await conn.execute(
                """UPDATE matters_admissions SET status = $2, updated_at = $3, version = $4
                   WHERE admission_id = $1 AND version < $4""",
                p["admission_id"], p["status"], at, envelope.stream_version,
            )  # fmt: skip
        elif envelope.event_type == "MatterExitRecorded":
            await conn.execute(
                """UPDATE matters_admissions SET updated_at = $2, version = $3
                   WHERE admission_id = $1 AND version < $3""",
                p["admission_id"], at, envelope.stream_version,
            )  # fmt: skip
