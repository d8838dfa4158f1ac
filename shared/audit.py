"""The audit verifier: each stream's hash chain, and the whole log against its signed seals.

It reports OK, or names each event that is missing (deleted: a version gap in its stream, or
sealed but absent, which covers a deleted last event and a deleted stream), altered (stored
content no longer matches its hash, a broken link, or a head that differs from its seal) or
added (within what a seal covers, but not sealed). Events after the newest seal are counted:
only the chain vouches for them until the next seal.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from shared.eventstore.envelope import Checkpoint, Envelope
from shared.eventstore.hashing import recompute_hash
from shared.eventstore.reader import read_after
from shared.eventstore.store import ENVELOPE_COLUMNS, envelopes_from_rows
from shared.seal_check import Finding, SealChecker

__all__ = ["AuditReport", "Finding", "check_link", "verify"]


@dataclass(frozen=True)
class AuditReport:
    events_checked: int
    streams_checked: int
    findings: list[Finding]
    seals: int = 0  # seals the log was checked against
    unsealed: int = 0  # events after the newest seal
    signatures_checked: bool = False

    @property
    def ok(self) -> bool:
        return not self.findings


def check_link(e: Envelope, prev: Envelope | None, *, content: bool = True) -> list[Finding]:
    """What is wrong with one event given its predecessor in the stream (empty: nothing).

    A version gap names the missing versions, not their successor (whose link to a deleted
    event cannot match). `content=False` where the event's content is not at hand (a topic).
    """
    found = []
    prev_version = prev.stream_version if prev else 0
    for missing in range(prev_version + 1, e.stream_version):
        problem = f"not there: the stream goes on at v{e.stream_version}"
        found.append(Finding("missing", e.stream_id, missing, problem))
    if e.stream_version == prev_version + 1 and e.prev_hash != (prev.hash if prev else None):
        problem = "its link to the previous event does not match that event's hash"
        found.append(Finding("altered", e.stream_id, e.stream_version, problem, e.event_id,
                             e.position))  # fmt: skip
    if content and recompute_hash(e) != e.hash:
        problem = "stored content no longer matches its hash"
        found.append(Finding("altered", e.stream_id, e.stream_version, problem, e.event_id,
                             e.position))  # fmt: skip
    return found


async def verify(
    conn: asyncpg.Connection, *, key: Ed25519PublicKey | None = None, batch_size: int = 5000
) -> AuditReport:
    """Every stream's chain, in (stream, version) order; then the log, in commit order,
    against its seals (their signatures checked with `key`, when given)."""
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
            findings += check_link(e, prev)
            prev = e
        after = (rows[-1]["stream_id"], rows[-1]["stream_version"])
    seals = SealChecker(key)
    checkpoint = Checkpoint()
    while events := await read_after(conn, checkpoint, batch_size):
        for e in events:
            seals.feed(e)
        checkpoint = events[-1].checkpoint
    findings = merge(findings, seals)
    return AuditReport(checked, streams, findings, seals.seals, seals.unsealed, key is not None)


def merge(chain: list[Finding], seals: SealChecker) -> list[Finding]:
    """Chain and seal findings, each missing version once; a digest that differs with nothing
    else to explain it only when nothing else was found."""
    seen: set[tuple[str, int]] = set()
    merged = []
    for f in [*chain, *seals.findings]:
        if f.kind == "missing":
            if (f.stream_id, f.stream_version) in seen:
                continue
            seen.add((f.stream_id, f.stream_version))
        merged.append(f)
    return merged or list(seals.unexplained)
