"""Events on Kafka as CloudEvents 1.0, binary mode: attributes in `ce_*` headers, data in the body.

Besides the required attributes we send a few extensions a subscriber needs to route, order
and trace an event: the community's division code, the stream version, correlation and
causation ids, and W3C `traceparent`.
"""

from __future__ import annotations

import functools
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

    The relay calls this for every event it publishes, so the headers are built as a list
    straight away (no dict, no second pass) and what depends only on the service and the
    type is encoded once (`_source_header`, `_type_header`): the same headers, in the same
    order, as listing every attribute and leaving out the empty ones.
    """
    meta = envelope.metadata
    subject = envelope.subject.encode()
    headers: Headers = [
        _SPEC_HEADER,
        ("ce_id", str(envelope.event_id).encode()),
        _source_header(service),
        _type_header(service, envelope.event_type, envelope.schema_version),
    ]
    if subject:
        headers.append(("ce_subject", subject))
    headers.append(("ce_time", envelope.recorded_at.isoformat().encode()))
    headers.append(_CONTENT_TYPE_HEADER)
    _optional(headers, "ce_divisioncode", meta.get("division_code"))
    # The runways (seed 003 §7.2.1) an event concerns, comma-separated: a platform's slice.
    _optional(headers, "ce_runways", meta.get("runways"))
    headers.append(("ce_streamversion", str(envelope.stream_version).encode()))
    # What a subscriber needs to check what it received (wuding audit verify-topic): the
    # stream, its hash chain, and the place in commit order the seals name.
    _optional(headers, "ce_streamid", envelope.stream_id)
    _optional(headers, "ce_eventhash", envelope.hash.hex())
    if envelope.prev_hash:
        headers.append(("ce_prevhash", envelope.prev_hash.hex().encode()))
    token = f"{envelope.transaction_id}:{envelope.position}"  # envelope.checkpoint.token()
    headers.append(("ce_logposition", token.encode()))
    _optional(headers, "ce_correlationid", meta.get("correlation_id"))
    _optional(headers, "ce_causationid", meta.get("causation_id"))
    _optional(headers, "traceparent", trace_headers.get("traceparent"))
    _optional(headers, "tracestate", trace_headers.get("tracestate"))
    return subject, orjson.dumps(envelope.payload), headers


_SPEC_HEADER = ("ce_specversion", SPEC_VERSION.encode())
_CONTENT_TYPE_HEADER = ("content-type", b"application/json; charset=utf-8")


def _optional(headers: Headers, name: str, value: Any) -> None:
    """An attribute without a value (None, empty) is left out."""
    if value:
        headers.append((name, value.encode()))


@functools.cache
def _source_header(service: str) -> tuple[str, bytes]:
    return ("ce_source", f"/wuding/{service}".encode())


@functools.cache
def _type_header(service: str, event_type: str, schema_version: int) -> tuple[str, bytes]:
    return ("ce_type", ce_type(service, event_type, schema_version).encode())


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
