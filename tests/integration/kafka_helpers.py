"""A plain aiokafka consumer, as the city platform would use, for reading what was published."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from uuid import uuid4

from aiokafka import AIOKafkaConsumer, ConsumerRecord


async def read_topic(
    bootstrap: str, topic: str, *, expect: int, timeout: float = 30.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Read `topic` from the beginning until `expect` records arrived (or time ran out)."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"reader-{uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        metadata_max_age_ms=1000,  # notice a topic created after we subscribed
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(records) < expect and asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for part in batch.values():
                records.extend(part)
    finally:
        await consumer.stop()
    return records


async def event_types_for(
    bootstrap: str,
    topic: str,
    key: str,
    *,
    until: Callable[[list[str]], bool],
    timeout: float = 20.0,
) -> list[str]:
    """The CloudEvents types (without prefix and version) published under `key`, read from the
    beginning until `until(types)` holds or time runs out."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"reader-{uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        metadata_max_age_ms=1000,
    )
    await consumer.start()
    types: list[str] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while not until(types) and asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for part in batch.values():
                for record in part:
                    if record.key == key.encode():
                        ce_type = dict(record.headers)["ce_type"].decode()
                        types.append(ce_type.split(".")[-2])
    finally:
        await consumer.stop()
    return types
