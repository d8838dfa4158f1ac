"""Checking events against their seals (shared/sealing.py): the log's, or what a subscriber got.

Feed the events in commit order. At each seal, the events it covers (through its checkpoint)
are folded again and compared with its signed digest; where they differ, the stream heads it
names say exactly what is missing (sealed, but absent), added (present, but not sealed) or
altered (a head whose hash differs: its chain was recomputed). After a seal the signed digest
is taken as the base, so one difference is reported once, by the seal that covers it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from shared.eventstore.envelope import Checkpoint, Envelope
from shared.eventstore.hashing import GENESIS
from shared.sealing import SEAL_EVENT, SEAL_STREAM, fold, signature_ok


@dataclass(frozen=True)
class Finding:
    kind: str  # missing | added | altered | forged
    stream_id: str
    stream_version: int
    problem: str
    event_id: UUID | None = None  # None for an event that is missing
    position: int | None = None

    def describe(self) -> str:
        where = f"stream {self.stream_id} v{self.stream_version}"
        if self.event_id is not None:
            where = f"event {self.event_id} ({where}, position {self.position})"
        return f"{self.kind.upper()} {where}: {self.problem}"


class _Seen(NamedTuple):
    """What the checker keeps of an event until a seal covers it (not its payload)."""

    checkpoint: Checkpoint
    event_id: UUID
    stream_id: str
    stream_version: int
    position: int
    hash: bytes


class SealChecker:
    def __init__(self, key: Ed25519PublicKey | None, *, source: str = "the log") -> None:
        self.key = key  # None: signatures are not checked (the report says so)
        self.source = source
        self.findings: list[Finding] = []
        self.unexplained: list[Finding] = []  # a digest differs and no head says why
        self.seals = 0
        self._digest = GENESIS
        self._pending: list[_Seen] = []  # events after the last seal's checkpoint
        self._sealed: dict[str, int] = {}  # stream -> the highest version sealed so far

    @property
    def unsealed(self) -> int:
        """Events after the last seal: nothing vouches for them yet."""
        return len(self._pending)

    def feed(self, e: Envelope) -> None:
        self._pending.append(
            _Seen(e.checkpoint, e.event_id, e.stream_id, e.stream_version, e.position, e.hash)
        )
        if e.stream_id == SEAL_STREAM and e.event_type == SEAL_EVENT:
            self._check(e)

    def _check(self, seal: Envelope) -> None:
        p = seal.payload
        problem = None
        if self.key is not None and not signature_ok(p, self.key):
            problem = "the seal's signature does not verify: forged or altered"
        else:
            try:
                through = Checkpoint.parse(p["through"])
                bytes.fromhex(p["digest"]), int(p["events"]), dict(p["streams"])
            except (KeyError, TypeError, ValueError):
                problem = "not a well-formed seal: forged or altered"
        if problem is not None:
            self.findings.append(
                Finding("forged", seal.stream_id, seal.stream_version, problem, seal.event_id,
                        seal.position)
            )  # fmt: skip
            return
        self.seals += 1
        covered = [e for e in self._pending if e.checkpoint <= through]
        self._pending = [e for e in self._pending if e.checkpoint > through]
        digest = self._digest
        for e in covered:
            digest = fold(digest, e.hash)
        if digest.hex() != p["digest"] or len(covered) != p["events"]:
            self._name_differences(p, covered)
        self._digest = bytes.fromhex(p["digest"])
        for stream, (version, _) in p["streams"].items():
            self._sealed[stream] = max(version, self._sealed.get(stream, 0))

    def _name_differences(self, p: dict[str, Any], covered: list[_Seen]) -> None:
        n, sealed = p["seal"], {s: (v, h) for s, (v, h) in p["streams"].items()}
        heads: dict[str, _Seen] = {}
        for e in covered:
            if e.stream_id not in heads or heads[e.stream_id].stream_version < e.stream_version:
                heads[e.stream_id] = e
        before = len(self.findings)
        for stream, (version, hash_hex) in sealed.items():
            head = heads.get(stream)
            present = max(head.stream_version if head else 0, self._sealed.get(stream, 0))
            for missing in range(present + 1, version + 1):
                problem = f"sealed by seal {n} but not in {self.source}"
                self.findings.append(Finding("missing", stream, missing, problem))
            if head is not None and head.stream_version == version and head.hash.hex() != hash_hex:
                problem = f"differs from what seal {n} sealed: altered, its chain recomputed"
                self.findings.append(
                    Finding("altered", stream, version, problem, head.event_id, head.position)
                )
        for e in covered:
            if e.stream_version > sealed.get(e.stream_id, (0, ""))[0]:
                problem = f"not sealed by seal {n}, which covers its place in the log"
                self.findings.append(
                    Finding("added", e.stream_id, e.stream_version, problem, e.event_id,
                            e.position)
                )  # fmt: skip
        if len(self.findings) == before:
            problem = (
                f"the {len(covered)} events through {p['through']} in {self.source} do not"
                f" fold to its digest ({p['events']} sealed): reordered or replaced"
            )
            self.unexplained.append(Finding("altered", SEAL_STREAM, n, problem))
