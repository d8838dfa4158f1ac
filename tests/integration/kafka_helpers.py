"""A plain aiokafka consumer, as the city platform would use, for reading what was published."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from shared.eventstore import Envelope
from shared.eventstore.envelope import Checkpoint
from shared.eventstore.reader import read_after


async def read_topic(
    bootstrap: str,
    topic: str,
    *,
    expect: int,
    timeout: float = 30.0,
    distinct: bool = False,
) -> list[ConsumerRecord[bytes, bytes]]:
    """Read `topic` from the beginning until `expect` records arrived (or time ran out);
    `distinct`: until `expect` different event ids arrived (repeats are kept in the result)."""
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
        ids: set[bytes] = set()
        while asyncio.get_running_loop().time() < deadline:
            if (len(ids) if distinct else len(records)) >= expect:
                break
            batch = await consumer.getmany(timeout_ms=500)
            for part in batch.values():
                records.extend(part)
                ids.update(dict(r.headers).get("ce_id", b"") for r in part)
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
    found = await events_for(
        bootstrap, topic, key, until=lambda es: until([e.type for e in es]), timeout=timeout
    )
    return [e.type for e in found]


@dataclass(frozen=True)
class Published:
    type: str  # without prefix and version
    headers: dict[str, str]
    data: dict[str, Any]


async def events_for(
    bootstrap: str,
    topic: str,
    key: str,
    *,
    until: Callable[[list[Published]], bool],
    timeout: float = 20.0,
) -> list[Published]:
    """The CloudEvents published under `key`, read from the beginning until `until(events)`
    holds or time runs out."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"reader-{uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        metadata_max_age_ms=1000,
    )
    await consumer.start()
    found: list[Published] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while not until(found) and asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for part in batch.values():
                for record in part:
                    if record.key == key.encode():
                        headers = {k: v.decode() for k, v in record.headers}
                        data = json.loads(record.value or b"{}")
                        found.append(Published(headers["ce_type"].split(".")[-2], headers, data))
    finally:
        await consumer.stop()
    return found


async def all_events(pool: asyncpg.Pool) -> list[Envelope]:
    """The whole log, in commit order."""
    return await read_after(pool, Checkpoint(), 1_000_000)


def assert_in_log_order(records: list[ConsumerRecord[bytes, bytes]], events: list[Envelope]) -> int:
    """The topic holds every event of the log, each key's events in log order, and nothing
    else; a repeat of an event already read is the only duplicate allowed. Returns the number
    of repeats."""
    ids = [dict(r.headers)["ce_id"].decode() for r in records]
    assert set(ids) == {str(e.event_id) for e in events}, "the topic does not hold the log"
    first_seen: dict[bytes, list[str]] = {}
    seen: set[str] = set()
    for record, event_id in zip(records, ids, strict=True):
        if event_id not in seen:
            seen.add(event_id)
            first_seen.setdefault(record.key or b"", []).append(event_id)
    for key, published in first_seen.items():
        expected = [str(e.event_id) for e in events if (e.metadata["subject"]).encode() == key]
        assert published == expected, f"key {key!r}: events out of log order"
    return len(ids) - len(seen)


def partitions_of(reader: AIOKafkaConsumer, topics: list[str]) -> list[TopicPartition]:
    """Every partition of `topics` the started `reader` knows of."""
    return [TopicPartition(t, p) for t in topics for p in reader.partitions_for_topic(t) or []]


async def consumed_to_the_end(
    bootstrap: str, topics: list[str], group: str, timeout: float = 180.0
) -> None:
    """Wait until `group` has committed, on every partition of `topics`, the end offset the
    topic had when the wait began."""
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
    await reader.start()
    try:
        partitions = partitions_of(reader, topics)
        ends = await reader.end_offsets(partitions)
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            committed = {tp: await reader.committed(tp) or 0 for tp in partitions}
            if all(committed[tp] >= ends[tp] for tp in partitions):
                return
            assert asyncio.get_running_loop().time() < deadline, (committed, ends)
            await asyncio.sleep(0.5)
    finally:
        await reader.stop()


async def quiet(bootstrap: str, topics: list[str]) -> None:
    """Wait until no record was added to `topics` for two seconds (the platform settled)."""
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await reader.start()
    try:
        partitions = partitions_of(reader, topics)
        deadline = asyncio.get_running_loop().time() + 60
        ends = await reader.end_offsets(partitions)
        while True:
            await asyncio.sleep(2)
            now = await reader.end_offsets(partitions)
            if now == ends:
                return
            assert asyncio.get_running_loop().time() < deadline, "the topics never settled"
            ends = now
    finally:
        await reader.stop()
