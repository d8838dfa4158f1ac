"""`funding_deadlines` (lines whose payers have a deadline) and `funding_overdue` (the flags)."""

from __future__ import annotations

import asyncpg

from shared.eventstore import Envelope


class DeadlinesProjection:
    name = "funding_deadlines"
    tables: tuple[str, ...] = ("funding_deadlines", "funding_overdue")

    async def apply(self, conn: asyncpg.Connection, envelope: Envelope) -> None:
        p, kind = envelope.payload, envelope.event_type
        if kind == "BudgetLineSet" and p.get("deadlines"):
            await conn.execute(
                """INSERT INTO funding_deadlines (code, division_code, year, line, payer, due)
                   SELECT $1, $2, $3, $4, payer, due::date
                   FROM unnest($5::text[], $6::text[]) AS d(payer, due)
                   ON CONFLICT (code, year, line, payer) DO UPDATE SET due = excluded.due""",
                p["code"], p["division_code"], p["year"], p["line"], list(p["deadlines"]),
                list(p["deadlines"].values()),
            )  # fmt: skip
        elif kind == "DisbursementOverdue":
            await conn.execute(
                """INSERT INTO funding_overdue (code, division_code, year, line, payer, deadline,
                       part_fen, disbursed_fen, flagged_at)
                   VALUES ($1, $2, $3, $4, $5, $6::text::date, $7, $8, $9)
                   ON CONFLICT DO NOTHING""",
                p["code"], p["division_code"], p["year"], p["line"], p["payer"], p["deadline"],
                p["part_fen"], p["disbursed_fen"], envelope.recorded_at,
            )  # fmt: skip
        elif kind == "DisbursementOverdueCleared":
            await conn.execute(
                """UPDATE funding_overdue SET cleared_at = $6, disbursed_fen = $7
                   WHERE code = $1 AND year = $2 AND line = $3 AND payer = $4
                     AND deadline = $5::text::date AND cleared_at IS NULL""",
                p["code"], p["year"], p["line"], p["payer"], p["deadline"], envelope.recorded_at,
                p["disbursed_fen"],
            )  # fmt: skip
