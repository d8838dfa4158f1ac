"""Old event versions are upcast on read; stored events are never rewritten."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import asyncpg

from shared.errors import StreamPosition
from shared.eventstore import DomainEvent, EventCatalog, EventStore
from shared.relay import Relay
from tests.conftest import Stack
from tests.integration.kafka_helpers import read_topic


class AreaRecordedV1(DomainEvent):
    event_type = "AreaRecorded"
    schema_version = 1
    area_mu: int  # v1 recorded area in 亩


class AreaRecorded(DomainEvent):
    event_type = "AreaRecorded"
    schema_version = 2
    area_m2: int  # v2 records square metres


def catalog_v2() -> EventCatalog:
    catalog = EventCatalog("/wuding/test")
    catalog.register(AreaRecorded)

    @catalog.upcaster("AreaRecorded", from_version=1)
    def mu_to_square_metres(payload: dict[str, Any]) -> dict[str, Any]:
        return {"area_m2": payload["area_mu"] * 2000 // 3}  # 1 亩 = 2000/3 m²

    return catalog


async def test_v1_event_is_read_as_v2_and_published_as_v2(pool: asyncpg.Pool, stack: Stack) -> None:
    old = EventCatalog("/wuding/test")
    old.register(AreaRecordedV1)
    store = EventStore(pool)
    await store.append("s", StreamPosition(), [old.new_event(AreaRecordedV1(area_mu=3), {})])

    catalog = catalog_v2()
    [stored] = await store.read_stream("s")
    assert (stored.schema_version, stored.payload) == (1, {"area_mu": 3})  # never rewritten
    assert catalog.decode(stored) == AreaRecorded(area_m2=2000)

    service = f"up{uuid4().hex[:6]}"
    relay = Relay(pool, catalog, service=service, bootstrap_servers=stack.bootstrap_servers)
    await relay.publish_batch()
    await relay._close_producer()
    [record] = await read_topic(stack.bootstrap_servers, f"{service}.events", expect=1)
    headers = dict(record.headers)
    assert headers["ce_type"] == f"cn.wuding.{service}.AreaRecorded.v2".encode()
    assert record.value == b'{"area_m2":2000}'
