"""The `funding_balances` read model: per community, year, line and payer, what has reached
each stage, for district and city-wide reads (the trial balance across the city)."""

from __future__ import annotations

import asyncpg

from shared.eventstore import Envelope

# The stage a posting's kind moves an amount into (a reversal takes its posting's back).
_STAGE = {"appropriate": "appropriated_fen", "allocate": "allocated_fen",
          "disburse": "disbursed_fen", "spend": "spent_fen"}  # fmt: skip


class BalancesProjection:
    name = "funding_balances"
    tables: tuple[str, ...] = ("funding_balances", "funding_postings")

    async def apply(self, conn: asyncpg.Connection, envelope: Envelope) -> None:
        if envelope.event_type != "PostingRecorded":
            return
        p = envelope.payload
        sign, kind = 1, p["kind"]
        if kind == "reverse":
            kind = await conn.fetchval(
                "SELECT kind FROM funding_postings WHERE posting_id = $1", p["reverses"]
            )
            sign = -1
        await conn.execute(
            """INSERT INTO funding_postings (posting_id, kind) VALUES ($1, $2)
               ON CONFLICT (posting_id) DO NOTHING""",
            p["posting_id"], p["kind"],
        )  # fmt: skip
        column = _STAGE[kind]
        await conn.execute(
            f"""INSERT INTO funding_balances (code, division_code, year, line, payer, {column})
                VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (code, year, line, payer)
                DO UPDATE SET {column} = funding_balances.{column} + excluded.{column}""",
            p["code"], p["division_code"], p["year"], p["line"], p["payer"],
            sign * p["amount_fen"],
        )  # fmt: skip
