"""Seals: signed digests of the log as published, so that deleting or rewriting history shows.

The per-stream hash chain finds an altered event, but not a deleted last event or a deleted
stream, and anyone who can write the table can recompute a chain. So the relay (one active per
service) folds every event it has published, in commit order, into a running digest,
`digest_n = sha256(digest_{n-1} || hash_n)`, and every `every` events or `interval` seconds
appends a `LogSealed` event to the `$seals` stream: the last position folded, the digest, how
many events it covers, and the head (version, hash) of each stream that moved since the last
seal, signed with the service's Ed25519 key (a Secret the database never sees). The seal is an
ordinary event: the relay publishes it, so the city platform keeps a copy, and the next seal
folds it in. `shared/seal_check.py` checks a log or a topic against its seals.
"""

from __future__ import annotations

import base64
import hashlib
import time
from dataclasses import dataclass, field
from typing import Any

import structlog
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.errors import ConcurrencyConflict, StreamPosition
from shared.eventstore.catalog import DomainEvent
from shared.eventstore.envelope import Checkpoint, Envelope, NewEvent
from shared.eventstore.hashing import GENESIS, canonical_json
from shared.eventstore.reader import read_after
from shared.eventstore.store import ENVELOPE_COLUMNS, EventStore, envelopes_from_rows
from shared.observability import metrics

log = structlog.get_logger("wuding.sealing")

SEAL_STREAM = "$seals"
SEAL_EVENT = "LogSealed"


class LogSealed(DomainEvent):
    """A signed seal over the log: every event through `through` (a checkpoint token)."""

    event_type = SEAL_EVENT
    seal: int  # 1, 2, ...: the seal's number, its version in the $seals stream
    through: str  # "transaction_id:position" of the last event it covers
    events: int  # events covered since the previous seal
    total: int  # events covered since the first
    digest: str  # hex running digest through `through`
    streams: dict[str, tuple[int, str]]  # stream -> (version, hex hash) of its head at `through`
    key_id: str
    signature: str  # Ed25519 over the canonical JSON of every other field, base64


def fold(digest: bytes, event_hash: bytes) -> bytes:
    return hashlib.sha256(digest + event_hash).digest()


def new_signing_key() -> str:
    """A new Ed25519 private key as base64 of its 32 raw bytes (WUDING_SEAL_SIGNING_KEY)."""
    return base64.b64encode(Ed25519PrivateKey.generate().private_bytes_raw()).decode()


def signing_key(text: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(text, validate=True))


def public_key_text(key: Ed25519PrivateKey) -> str:
    """The public half as base64 of its raw bytes (WUDING_SEAL_PUBLIC_KEY), for verifiers."""
    return base64.b64encode(key.public_key().public_bytes_raw()).decode()


def verifying_key(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))


def key_id(key: Ed25519PublicKey) -> str:
    return hashlib.sha256(key.public_bytes_raw()).hexdigest()[:16]


def _signed_part(payload: dict[str, Any]) -> bytes:
    return canonical_json({k: v for k, v in payload.items() if k != "signature"})


def signature_ok(payload: dict[str, Any], key: Ed25519PublicKey) -> bool:
    try:
        key.verify(base64.b64decode(payload["signature"]), _signed_part(payload))
    except (InvalidSignature, KeyError, TypeError, ValueError):
        return False
    return True


@dataclass
class _State:
    """What the active relay has folded: through which event, and the last seal's place."""

    digest: bytes = GENESIS
    total: int = 0
    through: Checkpoint = field(default_factory=Checkpoint)
    seal_head: StreamPosition = field(default_factory=StreamPosition)
    pending: int = 0  # folded since the last seal
    news: int = 0  # of those, events other than seals: a seal alone calls for no new seal
    streams: dict[str, tuple[int, str]] = field(default_factory=dict)
    sealed_at: float = field(default_factory=time.monotonic)

    def add(self, e: Envelope) -> None:
        self.digest = fold(self.digest, e.hash)
        self.total += 1
        self.pending += 1
        self.through = e.checkpoint
        self.streams[e.stream_id] = (e.stream_version, e.hash.hex())
        if e.stream_id != SEAL_STREAM:
            self.news += 1


class Sealer:
    """Folds what the relay published and appends a seal when one is due."""

    def __init__(
        self, store: EventStore, key: Ed25519PrivateKey, *, topic: str, every: int,
        interval: float,
    ) -> None:  # fmt: skip
        self.store = store
        self.key = key
        self.key_id = key_id(key.public_key())
        self.topic = topic
        self.every = every
        self.interval = interval
        self._state: _State | None = None

    async def published(self, before: Checkpoint, events: list[Envelope]) -> None:
        """The relay published `events`, read after its checkpoint `before` (maybe none)."""
        if self._state is None or self._state.through < before:
            # First batch, or another replica published meanwhile: pick up from the log.
            if not await self._catch_up(before):
                return  # another replica sealed meanwhile: start again on the next batch
        state = self._state
        assert state is not None
        for e in events:
            if e.checkpoint > state.through:  # else published again: folded already
                state.add(e)
        due = state.news >= self.every or time.monotonic() - state.sealed_at >= self.interval
        if state.news and due:
            await self._seal(state)

    async def _seal(self, state: _State) -> bool:
        """Append a seal over what `state` folded; False if another replica sealed first."""
        payload: dict[str, Any] = {
            "seal": state.seal_head.version + 1,
            "through": state.through.token(),
            "events": state.pending,
            "total": state.total,
            "digest": state.digest.hex(),
            "streams": {s: list(head) for s, head in state.streams.items()},
            "key_id": self.key_id,
        }
        payload["signature"] = base64.b64encode(self.key.sign(_signed_part(payload))).decode()
        metadata = {"actor": "relay", "actor_kind": "system", "subject": SEAL_STREAM}
        try:
            [seal] = await self.store.append(
                SEAL_STREAM, state.seal_head, [NewEvent(SEAL_EVENT, 1, payload, metadata)]
            )
        except ConcurrencyConflict:
            self._state = None
            return False
        state.seal_head = StreamPosition(seal.stream_version, seal.hash)
        state.pending, state.news, state.streams = 0, 0, {}
        state.sealed_at = time.monotonic()
        metrics.SEALS_APPENDED.labels(self.topic).inc()
        log.info("relay.sealed", seal=payload["seal"], through=payload["through"],
                 events=payload["events"])  # fmt: skip
        return True

    async def _catch_up(self, upto: Checkpoint) -> bool:
        """From the last seal in the log, fold what was published after it through `upto`,
        sealing every `every` events (a log sealed for the first time is sealed in steps, so
        no seal outgrows a Kafka message)."""
        self._state = state = _State()
        async with self.store.pool.acquire() as conn:
            row = await conn.fetchrow(
                f"SELECT {ENVELOPE_COLUMNS} FROM events WHERE stream_id = $1"
                " ORDER BY stream_version DESC LIMIT 1",
                SEAL_STREAM,
            )
        if row is not None:
            [last] = envelopes_from_rows([row])
            p = last.payload
            state.digest, state.total = bytes.fromhex(p["digest"]), p["total"]
            state.through = Checkpoint.parse(p["through"])
            state.seal_head = StreamPosition(last.stream_version, last.hash)
        while state.through < upto:
            async with self.store.pool.acquire() as conn:
                events = await read_after(conn, state.through, self.every)
            batch = [e for e in events if e.checkpoint <= upto]
            if not batch:
                break
            for e in batch:
                state.add(e)
            if state.news >= self.every and not await self._seal(state):
                return False
        return True
