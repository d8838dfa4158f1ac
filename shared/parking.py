"""Parked events: what a reader (projection, consumer) could not apply, kept with the reason.

An event that fails the same way on every replica and every retry (a CHECK it breaks, a
payload a projection does not expect) would stop its reader forever. Instead it is parked in
`parked_events`: counted in `wuding_parked_events`, shown in the health report and in
`wuding projections status`, re-applied by `wuding projections retry` once the cause is fixed.
A fault of the moment (the database restarting, a lost connection) is not parked: the reader
retries the whole batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from shared.http import dependency_down
from shared.observability import metrics

_ERROR_CHARS = 500


def is_transient(exc: BaseException) -> bool:
    """A fault of the moment, worth retrying as is: never a reason to park an event. A
    dependency that is down (the one test, `dependency_down`), or what PostgreSQL asks to
    retry or will stop doing: serialization failure, deadlock, a cancelled query, a full disk.
    A DataError (a bare asyncpg InterfaceError) fails the same way every time: not transient."""
    return dependency_down(exc) or isinstance(
        exc,
        asyncpg.TransactionRollbackError
        | asyncpg.OperatorInterventionError
        | asyncpg.InsufficientResourcesError,
    )


def describe(exc: BaseException) -> str:
    """The exception's type and first line: PostgreSQL's DETAIL line would quote the row."""
    first = (str(exc).splitlines() or [""])[0].replace("\x00", "\\x00")  # text holds no NUL
    return f"{type(exc).__name__}: {first}"[:_ERROR_CHARS]


async def held_streams(conn: asyncpg.Connection, reader: str) -> dict[str, UUID]:
    """Streams with a parked event for `reader` → the failed event later ones wait behind."""
    rows = await conn.fetch(
        "SELECT stream_id, COALESCE(held_behind, event_id) AS failed FROM parked_events"
        " WHERE reader = $1",
        reader,
    )
    held = {r["stream_id"]: r["failed"] for r in rows}
    metrics.PARKED_EVENTS.labels(reader).set(len(rows))
    return held


async def park(
    conn: asyncpg.Connection,
    reader: str,
    *,
    event_id: UUID,
    stream_id: str,
    stream_version: int | None,
    event_type: str,
    error: str,
    held_behind: UUID | None = None,
) -> None:
    await conn.execute(
        """INSERT INTO parked_events (reader, event_id, stream_id, stream_version, event_type,
               error, held_behind)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (reader, event_id) DO UPDATE SET error = excluded.error,
               held_behind = excluded.held_behind, attempts = parked_events.attempts + 1""",
        reader, event_id, stream_id, stream_version, event_type, error, held_behind,
    )  # fmt: skip


@dataclass(frozen=True)
class ParkedSummary:
    """One reader's parked events: how many, and the oldest failure with its reason."""

    reader: str
    parked: int
    failed: int
    event_id: UUID
    stream_id: str
    event_type: str
    error: str
    parked_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "parked": self.parked,
            "failed": self.failed,
            "oldest": {
                "event_id": str(self.event_id),
                "stream_id": self.stream_id,
                "event_type": self.event_type,
                "error": self.error,
                "parked_at": self.parked_at.isoformat(),
            },
        }


async def summaries(conn: asyncpg.Connection | asyncpg.Pool) -> list[ParkedSummary]:
    rows = await conn.fetch(
        """SELECT DISTINCT ON (reader) reader,
               count(*) OVER (PARTITION BY reader) AS parked,
               count(*) FILTER (WHERE held_behind IS NULL) OVER (PARTITION BY reader) AS failed,
               event_id, stream_id, event_type, error, parked_at
           FROM parked_events
           ORDER BY reader, held_behind IS NOT NULL, parked_at, event_id"""
    )
    found = [ParkedSummary(**dict(r)) for r in rows]
    for summary in found:
        metrics.PARKED_EVENTS.labels(summary.reader).set(summary.parked)
    return found
