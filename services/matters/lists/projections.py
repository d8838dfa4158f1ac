"""The `matters_lists` and `matters_tasks` read models."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from shared.eventstore import Envelope


class ListsProjection:
    """`matters_lists`: each community's list, its basic functions and whether it has ended;
    `matters_entries`: each admitted matter on each list, and when it left;
    `matters_tasks`: every push, accepted or refused."""

    name = "matters_lists"
    tables: tuple[str, ...] = ("matters_lists", "matters_entries", "matters_tasks")

    async def apply(self, conn: asyncpg.Connection, envelope: Envelope) -> None:
        p, kind = envelope.payload, envelope.event_type
        if kind == "MatterListOpened":
            await conn.execute(
                """INSERT INTO matters_lists (code, division_code, community_type, opened_at,
                       items, policy_pack, version)
                   VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (code) DO NOTHING""",
                p["code"], p["division_code"], p["community_type"],
                datetime.fromisoformat(p["effective_from"]),
                len(p["items"]), envelope.metadata.get("policy_pack"), envelope.stream_version,
            )  # fmt: skip
        elif kind == "MatterListEnded":
            await conn.execute(
                "UPDATE matters_lists SET ended_at = $2, version = $3 WHERE code = $1",
                p["code"], datetime.fromisoformat(p["effective_from"]), envelope.stream_version,
            )  # fmt: skip
        elif kind == "MatterAdmitted":
            await conn.execute(
                """INSERT INTO matters_entries (code, matter_id, division_code, department,
                       runway, since)
                   VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING""",
                p["code"], p["matter"]["matter_id"], p["division_code"], p["department"],
                p["matter"]["runway"], datetime.fromisoformat(p["effective_from"]),
            )  # fmt: skip
        elif kind == "MatterExited":
            await conn.execute(
                "UPDATE matters_entries SET until = $3 WHERE code = $1 AND matter_id = $2",
                p["code"], p["matter_id"], datetime.fromisoformat(p["effective_from"]),
            )  # fmt: skip
        elif kind in ("TaskPushed", "TaskRefused"):
            await conn.execute(
                """INSERT INTO matters_tasks (task_id, code, division_code, matter_id,
                       department, accepted, runway, pushed_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (task_id) DO NOTHING""",
                p["task_id"], p["code"], p["division_code"], p["matter_id"], p["department"],
                kind == "TaskPushed", p.get("runway"), envelope.recorded_at,
            )  # fmt: skip
