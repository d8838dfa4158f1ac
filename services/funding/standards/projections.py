"""The `funding_communities` read model: each community funding follows, its division."""

from __future__ import annotations

import asyncpg

from shared.eventstore import Envelope


class CommunitiesProjection:
    name = "funding_communities"
    tables: tuple[str, ...] = ("funding_communities",)

    async def apply(self, conn: asyncpg.Connection, envelope: Envelope) -> None:
        if envelope.event_type != "FundingCommunityObserved":
            return
        p = envelope.payload
        await conn.execute(
            """INSERT INTO funding_communities (code, division_code, major_type, status)
               VALUES ($1, $2, $3, $4)
               ON CONFLICT (code) DO UPDATE SET division_code = $2, major_type = $3,
                   status = $4""",
            p["code"], p["division_code"], p["major_type"], p["status"],
        )  # fmt: skip


class LinesProjection:
    """`funding_lines`: every community's budget lines per year, as last set."""

    name = "funding_lines"
    tables: tuple[str, ...] = ("funding_lines",)

    async def apply(self, conn: asyncpg.Connection, envelope: Envelope) -> None:
        if envelope.event_type != "BudgetLineSet":
            return
        p = envelope.payload
        await conn.execute(
            """INSERT INTO funding_lines (code, division_code, year, line, name, amount_fen)
               VALUES ($1, $2, $3, $4, $5, $6)
               ON CONFLICT (code, year, line) DO UPDATE SET name = $5, amount_fen = $6""",
            p["code"], p["division_code"], p["year"], p["line"], p["name"], p["amount_fen"],
        )  # fmt: skip
