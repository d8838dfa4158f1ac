"""The relay publishes the log to Kafka as CloudEvents, in order, surviving a broker outage."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import asyncpg
import pytest

from shared.errors import StreamPosition
from shared.eventstore import EventCatalog, EventStore, NewEvent
from shared.eventstore.store import head_of
from shared.relay import Relay
from shared.supervisor import Supervisor
from tests.conftest import Stack
from tests.integration.kafka_helpers import all_events, assert_in_log_order, read_topic


def community_event(code: str, n: int) -> NewEvent:
    return NewEvent(
        "Counted", 1, {"n": n}, {"subject": code, "division_code": code[:12], "correlation_id": "c"}
    )


async def test_relay_publishes_cloudevents_keyed_by_community_code(
    pool: asyncpg.Pool, stack: Stack
) -> None:
    service = f"svc{uuid4().hex[:6]}"
    store = EventStore(pool)
    code = "33021100400110006"
    appended = await store.append("c-1", StreamPosition(), [community_event(code, 1)])
    relay = Relay(
        pool, EventCatalog("/x"), service=service, bootstrap_servers=stack.bootstrap_servers
    )
    assert await relay.publish_batch() == 1
    await relay._close_producer()
    [record] = await read_topic(stack.bootstrap_servers, f"{service}.events", expect=1)
    headers = {k: v.decode() for k, v in record.headers}
    assert record.key == code.encode()
    assert headers["ce_id"] == str(appended[0].event_id)
    assert headers["ce_type"] == f"cn.wuding.{service}.Counted.v1"
    assert headers["ce_source"] == f"/wuding/{service}"
    assert headers["ce_subject"] == code
    assert headers["ce_specversion"] == "1.0"
    assert headers["ce_divisioncode"] == code[:12]
    assert headers["ce_time"] == appended[0].recorded_at.isoformat()
    assert headers["content-type"].startswith("application/json")
    assert record.value == b'{"n":1}'
    checkpoint = await pool.fetchval(
        "SELECT position FROM checkpoints WHERE name = $1", f"relay:{service}.events"
    )
    assert checkpoint == appended[0].position


async def test_broker_down_then_back_every_event_arrives_in_order(
    pool: asyncpg.Pool, stack: Stack
) -> None:
    """The memory-only broker comes back empty: the relay republishes the whole log, the event
    it had published before the outage included (the README's promise)."""
    if stack.broker is None:
        pytest.skip("needs a broker the tests own (the embedded one) to stop and restart")
    service = f"svc{uuid4().hex[:6]}"
    topic = f"{service}.events"
    relay = Relay(
        pool,
        EventCatalog("/x"),
        service=service,
        bootstrap_servers=stack.bootstrap_servers,
        poll_interval=0.05,
        publish_timeout=3.0,
    )
    supervisor = Supervisor(service, initial_backoff=0.1, max_backoff=1.0)
    store = EventStore(pool)
    head = head_of(await store.append("c-2", StreamPosition(), [community_event("k", 0)]))
    supervisor.start("relay", relay.run)
    try:
        await read_topic(stack.bootstrap_servers, topic, expect=1)
        stack.broker.stop()
        for n in range(1, 31):
            head = head_of(await store.append("c-2", head, [community_event("k", n)]))
        await asyncio.sleep(1.0)  # the relay is failing to publish meanwhile
        stack.broker.start()  # memory-only: it comes back empty
        records = await read_topic(
            stack.bootstrap_servers, topic, expect=31, timeout=60, distinct=True
        )
    finally:
        await supervisor.stop(30)
    assert_in_log_order(records, await all_events(pool))


async def test_full_batches_while_appends_go_on_publish_everything_once_in_order(
    pool: asyncpg.Pool, stack: Stack
) -> None:
    """Guards the read-ahead: while the broker acknowledges a full batch the relay reads the
    next one. Events appended meanwhile, between batches, are neither skipped nor sent twice,
    and each key's events stay in log order."""
    service = f"svc{uuid4().hex[:6]}"
    store = EventStore(pool)
    relay = Relay(
        pool,
        EventCatalog("/x"),
        service=service,
        bootstrap_servers=stack.bootstrap_servers,
        batch_size=7,
        backlog_count_interval=0.0,
    )
    heads = {key: StreamPosition() for key in ("k1", "k2", "k3")}

    async def append_round(n: int) -> None:
        for key, head in heads.items():
            events = [community_event(key, n * 10 + i) for i in range(3)]
            heads[key] = head_of(await store.append(f"c-{key}", head, events))

    published = 0
    for n in range(6):
        await append_round(n)
        published += await relay.publish_batch()  # full batches: each reads one ahead
    while n := await relay.publish_batch():
        published += n
    await relay._close_producer()
    log = await all_events(pool)
    assert published == len(log) == 54
    records = await read_topic(stack.bootstrap_servers, f"{service}.events", expect=54)
    assert assert_in_log_order(records, log) == 0  # no repeats either
