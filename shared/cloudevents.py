"""Events on Kafka as CloudEvents 1.0, binary mode: attributes in `ce_*` headers, data in the body.

Besides the required attributes we send a few extensions a subscriber needs to route, order
and trace an event: the community's division code, the stream version, correlation and
causation ids, and W3C `traceparent`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson

from shared.eventstore.envelope import Envelope

SPEC_VERSION = "1.0"
TYPE_PREFIX = "cn.wuding"
Headers = list[tuple[str, bytes]]


def ce_type(service: str, event_type: str, schema_version: int) -> str:
    """`cn.wuding.registry.CommunityRegistered.v1`: the version suffix is part of the contract."""
    return f"{TYPE_PREFIX}.{service}.{event_type}.v{schema_version}"


def to_message(
    envelope: Envelope, service: str, trace_headers: Mapping[str, Any]
) -> tuple[bytes, bytes, Headers]:
    """(key, value, headers) for the relay; keyed by subject so a community's events stay ordered.

    `trace_headers` is the publishing span's context, so a consumer continues that trace.
    """
    meta = envelope.metadata
    attributes: dict[str, str | None] = {
        "ce_specversion": SPEC_VERSION,
        "ce_id": str(envelope.event_id),
        "ce_source": f"/wuding/{service}",
        "ce_type": ce_type(service, envelope.event_type, envelope.schema_version),
        "ce_subject": envelope.subject,
        "ce_time": envelope.recorded_at.isoformat(),
        "content-type": "application/json; charset=utf-8",
        "ce_divisioncode": meta.get("division_code"),
        "ce_streamversion": str(envelope.stream_version),
        # What a subscriber needs to check what it received (wuding audit verify-topic): the
        # stream, its hash chain, and the place in commit order the seals name.
        "ce_streamid": envelope.stream_id,
        "ce_eventhash": envelope.hash.hex(),
        "ce_prevhash": envelope.prev_hash.hex() if envelope.prev_hash else None,
        "ce_logposition": envelope.checkpoint.token(),
        "ce_correlationid": meta.get("correlation_id"),
        "ce_causationid": meta.get("causation_id"),
        "traceparent": trace_headers.get("traceparent"),
        "tracestate": trace_headers.get("tracestate"),
    }
    headers = [(k, v.encode()) for k, v in attributes.items() if v]
    return envelope.subject.encode(), orjson.dumps(envelope.payload), headers


class MalformedEvent(ValueError):
    """A message that is not a Wuding CloudEvent: it goes to the dead-letter topic."""


@dataclass(frozen=True, slots=True)
class IncomingEvent:
    """A CloudEvent read from Kafka, checked and decoded."""

    event_id: UUID
    source: str
    type: str  # the bare event type, e.g. CommunityRegistered
    schema_version: int
    subject: str
    time: datetime
    data: dict[str, Any]
    headers: dict[str, str]


def from_message(headers: Sequence[tuple[str, bytes]] | None, value: bytes | None) -> IncomingEvent:
    """Decode a binary-mode CloudEvent; raise MalformedEvent with the reason if it is not one."""
    try:
        attrs = {k: v.decode() for k, v in (headers or [])}
    except UnicodeDecodeError as exc:
        raise MalformedEvent("headers are not UTF-8") from exc
    missing = [
        name
        for name in ("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_subject", "ce_time")
        if not attrs.get(name)
    ]
    if missing:
        raise MalformedEvent(f"missing CloudEvents attributes: {', '.join(missing)}")
    if attrs["ce_specversion"] != SPEC_VERSION:
        raise MalformedEvent(f"unsupported specversion {attrs['ce_specversion']}")
    try:
        event_id = UUID(attrs["ce_id"])
    except ValueError as exc:
        raise MalformedEvent("ce_id is not a UUID") from exc
    prefix, _, rest = attrs["ce_type"].partition(f"{TYPE_PREFIX}.")
    parts = rest.split(".")
    if prefix or len(parts) != 3 or not parts[2].startswith("v") or not parts[2][1:].isdigit():
        raise MalformedEvent(f"ce_type {attrs['ce_type']!r} is not cn.wuding.<service>.<Type>.v<n>")
    try:
        time = datetime.fromisoformat(attrs["ce_time"])
    except ValueError as exc:
        raise MalformedEvent("ce_time is not an RFC 3339 time") from exc
    try:
        data = orjson.loads(value or b"")
    except orjson.JSONDecodeError as exc:
        raise MalformedEvent(f"body is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise MalformedEvent("body is not a JSON object")
    return IncomingEvent(
        event_id=event_id,
        source=attrs["ce_source"],
        type=parts[1],
        schema_version=int(parts[2][1:]),
        subject=attrs["ce_subject"],
        time=time,
        data=data,
        headers=attrs,
    )
