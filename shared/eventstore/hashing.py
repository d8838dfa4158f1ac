"""Canonical JSON and the per-stream hash chain that makes tampering detectable.

Each event's hash covers its identity, place, type, payload, metadata and time, and the hash of
its predecessor in the same stream. Fields are length-prefixed so no two different events can
serialise alike. Payload and metadata are hashed in canonical JSON (sorted keys, no spaces,
UTF-8): the same text is what the database stores, byte for byte (`json` columns; rows from
before migration 0003 hold jsonb's formatting of the same values). The verifier re-canonicalises
what it reads back, which yields that text again for either, and recomputes every hash from the
stored row.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson

from shared.eventstore.envelope import Envelope

GENESIS = b"\x00" * 32


def canonical_json(value: Any) -> bytes:
    """Deterministic JSON: sorted keys, compact, UTF-8. Floats are refused: money is never float."""
    _refuse_floats(value)
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def _refuse_floats(value: Any) -> None:
    # Iterative: this runs on every append, and a recursive walk costs ~30 µs a payload.
    pending = [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is dict:
            pending.extend(item.values())
        elif kind is list:
            pending.extend(item)
        elif kind is float:
            raise TypeError(
                "floats are not allowed in events: use integer fen, or Decimal as a string"
            )


def event_hash(
    *,
    prev_hash: bytes | None,
    event_id: UUID,
    stream_id: str,
    stream_version: int,
    event_type: str,
    schema_version: int,
    payload_json: bytes,
    metadata_json: bytes,
    recorded_at: datetime,
) -> bytes:
    digest = hashlib.sha256(prev_hash or GENESIS)
    for part in (
        event_id.bytes,
        stream_id.encode(),
        str(stream_version).encode(),
        event_type.encode(),
        str(schema_version).encode(),
        payload_json,
        metadata_json,
        recorded_at.isoformat().encode(),
    ):
        digest.update(len(part).to_bytes(4, "big"))
        digest.update(part)
    return digest.digest()


def recompute_hash(envelope: Envelope) -> bytes:
    """The hash a stored event should carry, recomputed from its stored content."""
    return event_hash(
        prev_hash=envelope.prev_hash,
        event_id=envelope.event_id,
        stream_id=envelope.stream_id,
        stream_version=envelope.stream_version,
        event_type=envelope.event_type,
        schema_version=envelope.schema_version,
        payload_json=canonical_json(envelope.payload),
        metadata_json=canonical_json(envelope.metadata),
        recorded_at=envelope.recorded_at,
    )
