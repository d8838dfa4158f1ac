"""The audit verifier: recompute every event's hash and walk each stream's chain.

It reports OK, or names each event whose stored content no longer matches its hash, or whose
link to its predecessor is broken (a row altered, removed or inserted behind the log's back).
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import asyncpg

from shared.eventstore.envelope import Envelope
from shared.eventstore.hashing import recompute_hash
from shared.eventstore.store import ENVELOPE_COLUMNS, envelopes_from_rows


@dataclass(frozen=True)
class Finding:
    position: int
    event_id: UUID
    stream_id: str
    stream_version: int
    problem: str

    def describe(self) -> str:
        return (
            f"event {self.event_id} (stream {self.stream_id} v{self.stream_version},"
            f" position {self.position}): {self.problem}"
        )


@dataclass(frozen=True)
class AuditReport:
    events_checked: int
    streams_checked: int
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        return not self.findings


def check_link(e: Envelope, prev: Envelope | None) -> list[str]:
    """What is wrong with one event given its predecessor in the stream (empty: nothing)."""
    problems = []
    prev_version = prev.stream_version if prev else 0
    if e.stream_version != prev_version + 1:
        problems.append(f"version gap: follows v{prev_version}")
    if e.prev_hash != (prev.hash if prev else None):
        problems.append("its link to the previous event does not match that event's hash")
    if recompute_hash(e) != e.hash:
        problems.append("stored content no longer matches its hash")
    return problems


async def verify(conn: asyncpg.Connection, *, batch_size: int = 5000) -> AuditReport:
    """Check every stream's chain, in (stream, version) order, in batches."""
    findings: list[Finding] = []
    checked = streams = 0
    prev: Envelope | None = None
    after: tuple[str, int] = ("", 0)
    while rows := await conn.fetch(
        f"SELECT {ENVELOPE_COLUMNS} FROM events WHERE (stream_id, stream_version) > ($1, $2)"
        " ORDER BY stream_id, stream_version LIMIT $3",
        *after,
        batch_size,
    ):
        for e in envelopes_from_rows(rows):
            if prev is None or e.stream_id != prev.stream_id:
                prev = None
                streams += 1
            checked += 1
            findings += [
                Finding(e.position, e.event_id, e.stream_id, e.stream_version, problem)
                for problem in check_link(e, prev)
            ]
            prev = e
        after = (rows[-1]["stream_id"], rows[-1]["stream_version"])
    return AuditReport(checked, streams, findings)
