"""Seals make deletion and rewriting of the log evident, in the log and on the topic.

Guards: deleting the last event of a stream, or a whole stream, passed `wuding audit verify`
(each remaining chain was intact). The relay now appends signed seals (shared/sealing.py);
the verifier names what is missing, added or altered against them, and a subscriber checks
what it received (`wuding audit verify-topic`). Tampering is done as a superuser would, with
the append-only triggers switched off.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import dataclass
from uuid import uuid4

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from shared.audit import verify
from shared.errors import StreamPosition
from shared.eventstore import Envelope, EventCatalog, EventStore, NewEvent
from shared.eventstore.hashing import canonical_json, event_hash
from shared.eventstore.store import head_of
from shared.relay import Relay
from shared.sealing import (
    SEAL_STREAM,
    Sealer,
    new_signing_key,
    public_key_text,
    signing_key,
    verifying_key,
)
from shared.topic_audit import check_records, envelope_of, read_whole_topic
from tests.conftest import Stack, superuser_url
from tests.integration.test_audit import tamper


@dataclass
class Sealed:
    service: str
    relay: Relay
    events: dict[str, list[Envelope]]  # stream -> its events
    public_key: str
    signing_key: str


def ev(n: int) -> NewEvent:
    return NewEvent("Counted", 1, {"n": n}, {"subject": "k"})


async def publish_all(relay: Relay) -> None:
    while await relay.publish_batch():
        pass


@pytest.fixture
async def sealed(pool: asyncpg.Pool, stack: Stack) -> Sealed:
    """Three streams (a: 3 events, b: 1, c: 2), published and sealed; the seal published too."""
    service = f"svc{uuid4().hex[:6]}"
    key_text = new_signing_key()
    key = signing_key(key_text)
    store = EventStore(pool)
    sealer = Sealer(store, key, topic=f"{service}.events", every=4, interval=3600)
    relay = Relay(
        pool, EventCatalog("/x"), service=service, bootstrap_servers=stack.bootstrap_servers,
        sealer=sealer,
    )  # fmt: skip
    events: dict[str, list[Envelope]] = {}
    for stream, count in (("a", 3), ("b", 1), ("c", 2)):
        for n in range(count):
            head = head_of(events.get(stream, []))
            events.setdefault(stream, []).extend(await store.append(stream, head, [ev(n)]))
    await publish_all(relay)  # the six events; then the seal over them is due and appended
    await publish_all(relay)  # the seal itself
    await relay._close_producer()
    return Sealed(service, relay, events, public_key_text(key), key_text)


async def report_of(pool: asyncpg.Pool, sealed: Sealed) -> list[tuple[str, str, int]]:
    async with pool.acquire() as conn:
        report = await verify(conn, key=verifying_key(sealed.public_key))
    assert report.seals == 1
    return [(f.kind, f.stream_id, f.stream_version) for f in report.findings]


async def test_an_untouched_sealed_log_verifies(pool: asyncpg.Pool, sealed: Sealed) -> None:
    [seal] = await EventStore(pool).read_stream(SEAL_STREAM)
    assert seal.payload["events"] == 6 and seal.payload["streams"]["a"][0] == 3
    assert await report_of(pool, sealed) == []


async def test_a_deleted_last_event_of_a_stream_is_named(
    pool: asyncpg.Pool, stack: Stack, registry_db: str, sealed: Sealed
) -> None:
    last = sealed.events["a"][-1]
    await tamper(superuser_url(stack, registry_db), "DELETE FROM events WHERE event_id = $1",
                 last.event_id)  # fmt: skip
    assert await report_of(pool, sealed) == [("missing", "a", 3)]


async def test_a_deleted_stream_is_named_event_by_event(
    pool: asyncpg.Pool, stack: Stack, registry_db: str, sealed: Sealed
) -> None:
    await tamper(superuser_url(stack, registry_db), "DELETE FROM events WHERE stream_id = 'c'")
    assert await report_of(pool, sealed) == [("missing", "c", 1), ("missing", "c", 2)]


async def test_an_altered_event_is_named(
    pool: asyncpg.Pool, stack: Stack, registry_db: str, sealed: Sealed
) -> None:
    target = sealed.events["c"][0]
    await tamper(superuser_url(stack, registry_db),
                 """UPDATE events SET payload = '{"n":99}' WHERE event_id = $1""",
                 target.event_id)  # fmt: skip
    assert await report_of(pool, sealed) == [("altered", "c", 1)]


async def test_a_rewritten_chain_is_caught_by_the_seal(
    pool: asyncpg.Pool, stack: Stack, registry_db: str, sealed: Sealed
) -> None:
    """An owner who recomputes the hash of what they altered keeps the chain intact; the
    seal, signed with a key the database never holds, still names the stream's head."""
    target = sealed.events["b"][0]
    payload = {"n": 99}
    forged_hash = event_hash(
        prev_hash=None, event_id=target.event_id, stream_id="b", stream_version=1,
        event_type="Counted", schema_version=1, payload_json=canonical_json(payload),
        metadata_json=canonical_json(target.metadata), recorded_at=target.recorded_at,
    )  # fmt: skip
    await tamper(superuser_url(stack, registry_db),
                 "UPDATE events SET payload = $2::json, hash = $3 WHERE event_id = $1",
                 target.event_id, canonical_json(payload).decode(), forged_hash)  # fmt: skip
    assert await report_of(pool, sealed) == [("altered", "b", 1)]


async def test_an_event_added_within_a_seal_is_named(
    pool: asyncpg.Pool, stack: Stack, registry_db: str, sealed: Sealed
) -> None:
    b1, a3 = sealed.events["b"][0], sealed.events["a"][-1]
    forged_id = uuid4()
    forged_hash = event_hash(
        prev_hash=b1.hash, event_id=forged_id, stream_id="b", stream_version=2,
        event_type="Counted", schema_version=1, payload_json=b'{"n":5}',
        metadata_json=b'{"subject":"k"}', recorded_at=b1.recorded_at,
    )  # fmt: skip
    # Placed in commit order among the sealed events (before the last one the seal covers).
    await tamper(
        superuser_url(stack, registry_db),
        "INSERT INTO events (position, transaction_id, event_id, stream_id, stream_version,"
        " event_type, schema_version, payload, metadata, recorded_at, prev_hash, hash)"
        " OVERRIDING SYSTEM VALUE VALUES (100000, $1, $2, 'b', 2, 'Counted', 1, '{\"n\":5}',"
        " '{\"subject\":\"k\"}', $3, $4, $5)",
        a3.transaction_id, forged_id, b1.recorded_at, b1.hash, forged_hash,
    )  # fmt: skip
    assert await report_of(pool, sealed) == [("added", "b", 2)]


async def test_a_forged_seal_is_named(
    pool: asyncpg.Pool, stack: Stack, registry_db: str, sealed: Sealed
) -> None:
    await tamper(superuser_url(stack, registry_db),
                 "UPDATE events SET payload = json_build_object('seal', 1)::json"
                 " WHERE stream_id = $1", SEAL_STREAM)  # fmt: skip
    async with pool.acquire() as conn:
        report = await verify(conn, key=verifying_key(sealed.public_key))
    assert ("forged", SEAL_STREAM, 1) in [(f.kind, f.stream_id, f.stream_version)
                                          for f in report.findings]  # fmt: skip


async def test_wuding_audit_verify_names_a_deleted_last_event(
    pool: asyncpg.Pool, stack: Stack, registry_db: str, sealed: Sealed
) -> None:
    env = {**os.environ, "WUDING_DATABASE_URL": registry_db,
           "WUDING_SEAL_PUBLIC_KEY": sealed.public_key}  # fmt: skip
    command = [sys.executable, "-m", "services.cli", "audit", "verify", "--service", "registry"]
    ok = await asyncio.to_thread(subprocess.run, command, env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "1 seals checked" in ok.stdout
    await tamper(superuser_url(stack, registry_db), "DELETE FROM events WHERE stream_id = 'b'")
    bad = await asyncio.to_thread(subprocess.run, command, env=env, capture_output=True, text=True)
    assert bad.returncode == 1
    assert "MISSING stream b v1: sealed by seal 1 but not in the log" in bad.stdout


async def test_a_subscriber_finds_a_skipped_event(stack: Stack, sealed: Sealed) -> None:
    records = await read_whole_topic(stack.bootstrap_servers, f"{sealed.service}.events")
    key = verifying_key(sealed.public_key)
    whole = check_records(records, key)
    assert whole.ok and whole.seals == 1 and whole.events == 7, whole.findings
    for skipped, named in ((sealed.events["a"][1], ("a", 2)), (sealed.events["a"][2], ("a", 3))):
        kept = [r for r in records if envelope_of(r).event_id != skipped.event_id]
        report = check_records(kept, key)
        assert [(f.kind, f.stream_id, f.stream_version) for f in report.findings] == [
            ("missing", *named)
        ]


async def test_wuding_audit_verify_topic_finds_a_forged_message(
    stack: Stack, sealed: Sealed
) -> None:
    topic = f"{sealed.service}.events"
    env = {**os.environ, "WUDING_KAFKA_BOOTSTRAP_SERVERS": stack.bootstrap_servers,
           "WUDING_SEAL_PUBLIC_KEY": sealed.public_key}  # fmt: skip
    command = [sys.executable, "-m", "services.cli", "audit", "verify-topic", "--service",
               sealed.service]  # fmt: skip
    ok = await asyncio.to_thread(subprocess.run, command, env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.startswith(f"OK: 7 events in 7 messages of {topic}"), ok.stdout
    got = await read_whole_topic(stack.bootstrap_servers, topic)
    [original] = [r for r in got
                  if envelope_of(r).event_id == sealed.events["b"][0].event_id]  # fmt: skip
    # Someone with write access to the topic slips in a "second" event of stream b.
    forged_id = str(uuid4())
    headers = [
        (k, forged_id.encode() if k == "ce_id" else b"2" if k == "ce_streamversion" else v)
        for k, v in original.headers
        if k != "ce_prevhash"
    ] + [("ce_prevhash", sealed.events["b"][0].hash.hex().encode())]
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b'{"n":7}', key=original.key, headers=headers)
    finally:
        await producer.stop()
    bad = await asyncio.to_thread(subprocess.run, command, env=env, capture_output=True, text=True)
    assert bad.returncode == 1, bad.stdout
    assert f"ADDED event {forged_id} (stream b v2" in bad.stdout


async def test_a_relay_taking_over_continues_the_seals_and_seals_are_due_by_time(
    pool: asyncpg.Pool, stack: Stack, sealed: Sealed
) -> None:
    """Another replica's relay (a fresh sealer) picks up from the last seal in the log; with
    nothing but a seal published since, no seal is due, however long it waits."""
    key = signing_key(sealed.signing_key)
    store = EventStore(pool)
    relay = Relay(
        pool, EventCatalog("/x"), service=sealed.service,
        bootstrap_servers=stack.bootstrap_servers,
        sealer=Sealer(store, key, topic=f"{sealed.service}.events", every=1000, interval=0),
    )  # fmt: skip
    await publish_all(relay)
    assert len(await store.read_stream(SEAL_STREAM)) == 1  # only the seal was new: none due
    await store.append("a", head_of(sealed.events["a"]), [ev(3)])
    await publish_all(relay)  # due by time: sealed at once (interval 0)
    await relay._close_producer()
    seals = await store.read_stream(SEAL_STREAM)
    assert [s.payload["events"] for s in seals] == [6, 2]  # the first seal and a's v4
    async with pool.acquire() as conn:
        report = await verify(conn, key=key.public_key())
    assert report.ok and report.seals == 2, report.findings


async def test_a_log_sealed_for_the_first_time_is_sealed_in_steps(
    pool: asyncpg.Pool, stack: Stack
) -> None:
    """A relay that starts sealing a log already published (an upgrade) seals it in seals of
    `every` events, so no seal outgrows a Kafka message; the log then verifies."""
    service = f"svc{uuid4().hex[:6]}"
    store = EventStore(pool)
    for n in range(10):
        await store.append(f"s-{n}", StreamPosition(), [ev(n)])
    plain = Relay(pool, EventCatalog("/x"), service=service,
                  bootstrap_servers=stack.bootstrap_servers)  # fmt: skip
    await publish_all(plain)
    await plain._close_producer()
    key = signing_key(new_signing_key())
    relay = Relay(
        pool, EventCatalog("/x"), service=service, bootstrap_servers=stack.bootstrap_servers,
        sealer=Sealer(store, key, topic=f"{service}.events", every=4, interval=3600),
    )  # fmt: skip
    await publish_all(relay)
    await relay._close_producer()
    seals = await store.read_stream(SEAL_STREAM)
    assert [s.payload["events"] for s in seals] == [4, 4]
    assert max(len(s.payload["streams"]) for s in seals) == 4
    async with pool.acquire() as conn:
        report = await verify(conn, key=key.public_key())
    assert report.ok and report.seals == 2 and report.unsealed == 4, report.findings
