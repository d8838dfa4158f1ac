"""The `staffing_pay` read model: each worker's recorded annual pay (the pay floor's input;
the income figures are read from the district's stream, one event per year)."""

from __future__ import annotations

import asyncpg

from shared.eventstore import Envelope


class PayProjection:
    name = "staffing_pay"
    tables: tuple[str, ...] = ("staffing_pay",)

    async def apply(self, conn: asyncpg.Connection, envelope: Envelope) -> None:
        p = envelope.payload
        if envelope.event_type == "PayRecorded":
            await conn.execute(
                """INSERT INTO staffing_pay (worker_id, year, division_code, annual_pay_fen)
                   VALUES ($1, $2, $3, $4) ON CONFLICT (worker_id, year) DO NOTHING""",
                p["worker_id"], p["year"], p["division_code"], p["annual_pay_fen"],
            )  # fmt: skip
