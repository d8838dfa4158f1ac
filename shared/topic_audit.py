"""`wuding audit verify-topic`: check a topic, as a subscriber received it, against its seals.

A subscriber (the city platform) reads the topic from its beginning with a fresh consumer.
Every message carries its stream, version, hash, predecessor's hash and place in commit order
(shared/cloudevents.py), so the receiver can walk each stream's chain (a skipped event is a
version gap; a forged one breaks a link or claims a version twice) and fold the events in
commit order against each signed seal (anything sealed but not received, or received within
a seal but not sealed, is named). It cannot recompute an event's hash: the topic carries the
payload upcast to its current version and only part of the metadata; `wuding audit verify`
does that against the log.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

import orjson
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from shared.audit import check_link, merge
from shared.eventstore.envelope import Envelope
from shared.seal_check import Finding, SealChecker


@dataclass(frozen=True)
class TopicReport:
    messages: int
    events: int  # distinct event ids
    duplicates: int  # the same event received again (at-least-once delivery)
    findings: list[Finding]
    seals: int
    unsealed: int

    @property
    def ok(self) -> bool:
        return not self.findings


async def read_whole_topic(
    bootstrap_servers: str, topic: str, *, timeout: float = 120.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every message of `topic`, read from the beginning by a fresh consumer group, up to the
    end each partition had once assigned and until a poll brings nothing more."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap_servers, group_id=f"wuding-verify-{uuid4().hex[:8]}",
        auto_offset_reset="earliest", enable_auto_commit=False, metadata_max_age_ms=1000,
    )  # fmt: skip
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    ends: dict[TopicPartition, int] | None = None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        while loop.time() < deadline:
            got = [r for part in (await consumer.getmany(timeout_ms=1000)).values() for r in part]
            records.extend(got)
            if not (assigned := list(consumer.assignment())):
                continue  # still joining the group
            if ends is None:
                ends = await consumer.end_offsets(assigned)
            elif not got and all([await consumer.position(tp) >= ends[tp] for tp in assigned]):
                return records
        raise TimeoutError(f"{topic} not read to its end in {timeout:.0f} s")
    finally:
        await consumer.stop()


def envelope_of(record: ConsumerRecord[bytes, bytes]) -> Envelope:
    """The event a message claims to be; ValueError/KeyError if it lacks what is needed."""
    h = {k: v.decode() for k, v in record.headers}
    txid, _, position = h["ce_logposition"].partition(":")
    _, event_type, version = h["ce_type"].rsplit(".", 2)
    prev = h.get("ce_prevhash")
    return Envelope(
        position=int(position), transaction_id=int(txid), event_id=UUID(h["ce_id"]),
        stream_id=h["ce_streamid"], stream_version=int(h["ce_streamversion"]),
        event_type=event_type, schema_version=int(version.removeprefix("v")),
        payload=orjson.loads(record.value or b"{}"), metadata={},
        recorded_at=datetime.fromisoformat(h["ce_time"]),
        prev_hash=bytes.fromhex(prev) if prev else None, hash=bytes.fromhex(h["ce_eventhash"]),
    )  # fmt: skip


def check_records(
    records: Sequence[ConsumerRecord[bytes, bytes]], key: Ed25519PublicKey | None
) -> TopicReport:
    findings: list[Finding] = []
    received: dict[UUID, Envelope] = {}
    duplicates = 0
    for r in records:
        try:
            e = envelope_of(r)
        except (KeyError, ValueError) as exc:
            where = f"partition {r.partition} offset {r.offset}"
            findings.append(Finding("forged", "?", 0, f"{where}: not a sealed event ({exc!r})"))
            continue
        if (seen := received.get(e.event_id)) is not None:
            if seen.hash == e.hash:
                duplicates += 1
                continue
            problem = "received twice with different hashes: one is forged"
            findings.append(Finding("forged", e.stream_id, e.stream_version, problem, e.event_id))
            continue
        received[e.event_id] = e
    events = sorted(received.values(), key=lambda e: e.checkpoint)
    findings += _chain_findings(events)
    seals = SealChecker(key, source="the topic")
    for e in events:
        seals.feed(e)
    return TopicReport(
        len(records), len(received), duplicates, merge(findings, seals), seals.seals,
        seals.unsealed,
    )  # fmt: skip


def _chain_findings(events: list[Envelope]) -> list[Finding]:
    findings: list[Finding] = []
    streams: dict[str, list[Envelope]] = {}
    for e in events:
        streams.setdefault(e.stream_id, []).append(e)
    for stream in streams.values():
        prev: Envelope | None = None
        for e in sorted(stream, key=lambda e: (e.stream_version, e.checkpoint)):
            if prev is not None and e.stream_version == prev.stream_version:
                problem = f"a second event claims v{e.stream_version}: one is forged"
                findings.append(
                    Finding("forged", e.stream_id, e.stream_version, problem, e.event_id,
                            e.position)
                )  # fmt: skip
                continue
            findings += check_link(e, prev, content=False)
            prev = e
    return findings


async def verify_topic(
    bootstrap_servers: str, topic: str, key: Ed25519PublicKey | None
) -> TopicReport:
    return check_records(await read_whole_topic(bootstrap_servers, topic), key)
