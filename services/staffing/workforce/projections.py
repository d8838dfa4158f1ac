"""The `staffing_positions` and `staffing_workers` read models (pseudonymous: no personal
field; see migrations/0002_workforce.sql)."""

from __future__ import annotations

import asyncpg

from shared.eventstore import Envelope

_WORKER_STATUS = {
    "WorkerAssigned": "assigned",
    "WorkerTransferred": "assigned",
    "WorkerLeaveStarted": "on_leave",
    "WorkerReturned": "assigned",
    "WorkerDeparted": "departed",
}


class WorkforceProjection:
    name = "staffing_workforce"
    tables: tuple[str, ...] = ("staffing_positions", "staffing_workers", "staffing_holders")

    async def apply(self, conn: asyncpg.Connection, envelope: Envelope) -> None:
        p, kind, at = envelope.payload, envelope.event_type, envelope.recorded_at
        if kind == "PositionAuthorised":
            await conn.execute(
                """INSERT INTO staffing_positions (position_id, code, division_code, post,
                       effective_from, updated_at) VALUES ($1, $2, $3, $4, $5::text::date, $6)
                   ON CONFLICT (position_id) DO NOTHING""",
                p["position_id"], p["code"], p["division_code"], p["post"],
                p["effective_from"], at,
            )  # fmt: skip
        elif kind == "PositionAbolished":
            await conn.execute(
                "UPDATE staffing_positions SET abolished_from = $2::text::date, updated_at = $3"
                " WHERE position_id = $1",
                p["position_id"], p["effective_from"], at,
            )  # fmt: skip
        elif kind in ("PositionFilled", "PositionVacated"):
            filled = p["worker_id"] if kind == "PositionFilled" else None
            await conn.execute(
                "UPDATE staffing_positions SET worker_id = $2, updated_at = $3"
                " WHERE position_id = $1",
                p["position_id"], filled, at,
            )  # fmt: skip
            await self._hold(conn, envelope)
        elif kind == "WorkerRecruited":
            await conn.execute(
                """INSERT INTO staffing_workers (worker_id, division_code, status, recruited_on,
                       version, updated_at) VALUES ($1, $2, 'pool', $3::text::date, $4, $5)
                   ON CONFLICT (worker_id) DO NOTHING""",
                p["worker_id"], p["division_code"], p["effective_from"],
                envelope.stream_version, at,
            )  # fmt: skip
        elif kind in _WORKER_STATUS:
            placed = kind in ("WorkerAssigned", "WorkerTransferred")
            await conn.execute(
                """UPDATE staffing_workers SET status = $2, version = $3, updated_at = $4,
                       position_id = CASE WHEN $5 THEN $6 WHEN $2 = 'departed' THEN NULL
                                          ELSE position_id END,
                       code = CASE WHEN $5 THEN $7 ELSE code END
                   WHERE worker_id = $1""",
                p["worker_id"], _WORKER_STATUS[kind], envelope.stream_version, at, placed,
                p.get("position_id"), p.get("code"),
            )  # fmt: skip
        elif kind == "WorkerErased":
            await conn.execute(
                "UPDATE staffing_workers SET erased = true, version = $2, updated_at = $3"
                " WHERE worker_id = $1",
                p["worker_id"], envelope.stream_version, at,
            )  # fmt: skip
        elif kind in ("WorkerAppraised", "PayRecorded", "QualificationObtained"):
            await conn.execute(
                "UPDATE staffing_workers SET version = $2, updated_at = $3 WHERE worker_id = $1",
                p["worker_id"], envelope.stream_version, at,
            )  # fmt: skip

    async def _hold(self, conn: asyncpg.Connection, envelope: Envelope) -> None:
        """Who holds the position from the event's day (None: vacated)."""
        p = envelope.payload
        await conn.execute(
            """INSERT INTO staffing_holders (position_id, version, since, worker_id)
               VALUES ($1, $2, $3::text::date, $4) ON CONFLICT DO NOTHING""",
            p["position_id"], envelope.stream_version, p["effective_from"],
            p["worker_id"] if envelope.event_type == "PositionFilled" else None,
        )  # fmt: skip
