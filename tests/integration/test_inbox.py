"""Consumers apply each event once (inbox), and dead-letter what they can never read."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import uuid4

import asyncpg
import orjson
from aiokafka import AIOKafkaProducer

from shared.cloudevents import IncomingEvent
from shared.inbox import InboxConsumer, PerEvent, PoisonEvent
from shared.kafka import ensure_topics
from shared.stack.embedded import free_port
from shared.supervisor import Supervisor
from tests.conftest import Stack, owner_url
from tests.integration.kafka_helpers import read_topic


def cloudevent(event_id: str, n: int) -> tuple[bytes, list[tuple[str, bytes]]]:
    headers = {
        "ce_specversion": "1.0",
        "ce_id": event_id,
        "ce_source": "/wuding/registry",
        "ce_type": "cn.wuding.registry.Counted.v1",
        "ce_subject": "33021100400110006",
        "ce_time": datetime.now(UTC).isoformat(),
    }
    return orjson.dumps({"n": n}), [(k, v.encode()) for k, v in headers.items()]


async def until(condition, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)


async def test_redelivered_event_changes_nothing_and_malformed_goes_to_dead_letter(
    pool: asyncpg.Pool, stack: Stack, registry_db: str
) -> None:
    topic, name = f"in-{uuid4().hex[:6]}.events", f"consumer-{uuid4().hex[:6]}"
    owner = await asyncpg.connect(owner_url(stack, registry_db, "registry"))  # a migration's work
    await owner.execute("CREATE TABLE effects (event_id uuid, n int)")
    await owner.close()

    async def handler(conn: asyncpg.Connection, event: IncomingEvent) -> None:
        if event.data.get("n") == -1:
            raise PoisonEvent("n must not be negative")
        await conn.execute("INSERT INTO effects VALUES ($1, $2)", event.event_id, event.data["n"])

    consumer = InboxConsumer(
        pool,
        name=name,
        topics=[topic],
        handler=PerEvent(handler),
        bootstrap_servers=stack.bootstrap_servers,
    )
    await ensure_topics(stack.bootstrap_servers, topic)
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap_servers)
    await producer.start()
    first, second, poison = str(uuid4()), str(uuid4()), str(uuid4())
    try:
        for event_id, n in [(first, 1), (first, 1), (poison, -1)]:
            value, headers = cloudevent(event_id, n)
            await producer.send_and_wait(topic, value, key=b"k", headers=headers)
        await producer.send_and_wait(topic, b"not json at all", key=b"k", headers=[])
        value, headers = cloudevent(second, 2)
        await producer.send_and_wait(topic, value, key=b"k", headers=headers)
        value, headers = cloudevent(first, 1)  # a late redelivery of the first event
        await producer.send_and_wait(topic, value, key=b"k", headers=headers)
        await consumer.start()

        async def both_applied() -> bool:
            return await pool.fetchval("SELECT count(*) FROM inbox WHERE consumer = $1", name) == 2

        await until(both_applied)
        dead = await read_topic(stack.bootstrap_servers, f"{name}.dlt", expect=2)
        await asyncio.sleep(0.5)  # let the late redelivery be processed too
    finally:
        await consumer.stop()
        await producer.stop()
    effects = sorted(tuple(r) for r in await pool.fetch("SELECT event_id::text, n FROM effects"))
    assert effects == sorted([(first, 1), (second, 2)])
    reasons = sorted(dict((k, v.decode()) for k, v in r.headers)["dlt_reason"] for r in dead)
    assert reasons == [
        "missing CloudEvents attributes: ce_specversion, ce_id, ce_source, ce_type,"
        " ce_subject, ce_time",
        "n must not be negative",
    ]
    assert {r.value for r in dead} == {b"not json at all", b'{"n":-1}'}


async def test_a_consumer_runs_under_the_supervisor_and_backs_off_while_the_broker_is_down(
    pool: asyncpg.Pool,
) -> None:
    """Guards: a consumer whose broker is unreachable is a task backing off in the health
    report, restarted by the supervisor, not a start-up crash or a silent stop."""

    async def handler(conn: asyncpg.Connection, event: IncomingEvent) -> None:
        return None

    consumer = InboxConsumer(
        pool,
        name=f"c-{uuid4().hex[:6]}",
        topics=["nowhere.events"],
        handler=PerEvent(handler),
        bootstrap_servers=f"127.0.0.1:{free_port()}",  # nothing listens there
    )
    supervisor = Supervisor("consumer-test", initial_backoff=0.1, max_backoff=0.2)
    supervisor.start(consumer.name, consumer.run)
    try:
        deadline = asyncio.get_running_loop().time() + 30
        while supervisor.report()[consumer.name]["restarts"] < 2:
            assert asyncio.get_running_loop().time() < deadline, "the consumer was not restarted"
            await asyncio.sleep(0.1)
        assert supervisor.report()[consumer.name]["last_error"]
    finally:
        await supervisor.stop(10)
    assert supervisor.report()[consumer.name]["state"] == "stopped"


async def test_one_failing_event_in_a_batch_is_rolled_back_alone_and_the_rest_commit(
    pool: asyncpg.Pool, stack: Stack, registry_db: str
) -> None:
    """Guards the batched inbox: the events of one batch share a transaction, each in its own
    savepoint. An event whose handler fails for good (here: after writing, a bug) leaves no
    effect and is parked and dead-lettered; the events before and after it in the same batch
    commit; a record whose headers are not UTF-8 is dead-lettered, not a stuck consumer."""
    topic, name = f"in-{uuid4().hex[:6]}.events", f"consumer-{uuid4().hex[:6]}"
    owner = await asyncpg.connect(owner_url(stack, registry_db, "registry"))
    await owner.execute(f"CREATE TABLE effects_{name.replace('-', '_')} (n int)")
    await owner.close()
    table = f"effects_{name.replace('-', '_')}"

    async def handler(conn: asyncpg.Connection, event: IncomingEvent) -> None:
        await conn.execute(f"INSERT INTO {table} VALUES ($1)", event.data["n"])
        if event.data["n"] == 13:
            raise RuntimeError("a bug after a write")

    await ensure_topics(stack.bootstrap_servers, topic, partitions=1)
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap_servers)
    await producer.start()
    try:  # all before the consumer starts: they arrive as one batch
        for n in range(10, 17):
            value, headers = cloudevent(str(uuid4()), n)
            await producer.send_and_wait(topic, value, key=b"k", headers=headers)
        value, headers = cloudevent(str(uuid4()), 99)
        await producer.send_and_wait(
            topic, value, key=b"k", headers=[*headers[:-1], ("ce_time", b"\xff\xfe")]
        )
    finally:
        await producer.stop()
    consumer = InboxConsumer(
        pool,
        name=name,
        topics=[topic],
        handler=PerEvent(handler),
        bootstrap_servers=stack.bootstrap_servers,
    )
    await consumer.start()
    try:
        dead = await read_topic(stack.bootstrap_servers, f"{name}.dlt", expect=2)

        async def six_applied() -> bool:
            return await pool.fetchval("SELECT count(*) FROM inbox WHERE consumer = $1", name) == 6

        await until(six_applied)
    finally:
        await consumer.stop()
    applied = sorted(r["n"] for r in await pool.fetch(f"SELECT n FROM {table}"))
    assert applied == [10, 11, 12, 14, 15, 16]
    reasons = sorted(dict((k, v.decode(errors="replace")) for k, v in r.headers)["dlt_reason"]
                     for r in dead)  # fmt: skip
    assert reasons == ["RuntimeError: a bug after a write", "headers are not UTF-8"]
    parked = await pool.fetchval(
        "SELECT count(*) FROM parked_events WHERE reader = $1", f"consumer:{name}"
    )
    assert parked == 1
