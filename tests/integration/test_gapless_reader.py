"""Reading in commit order never skips a late-committing event (shared/eventstore/reader.py).

The two interleavings that break a position-only checkpoint, then a randomized run.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict

import asyncpg

from shared.errors import ConcurrencyConflict
from shared.eventstore import Checkpoint, Envelope, EventStore, NewEvent, read_after
from shared.eventstore.store import head_of


def ev(tag: str) -> NewEvent:
    return NewEvent("Thing", 1, {"tag": tag})


async def drain(pool: asyncpg.Pool, checkpoint: Checkpoint) -> tuple[list[Envelope], Checkpoint]:
    got: list[Envelope] = []
    while batch := await read_after(pool, checkpoint, 100):
        got += batch
        checkpoint = batch[-1].checkpoint
    return got, checkpoint


async def test_lower_position_under_lower_txid_committing_late_is_not_skipped(
    pool: asyncpg.Pool,
) -> None:
    store = EventStore(pool)
    async with pool.acquire() as slow:
        tx = slow.transaction()
        await tx.start()
        early = await store.append("a", head_of([]), [ev("slow")], conn=slow)  # lower txid, pos
        fast = await store.append("b", head_of([]), [ev("fast")])  # higher txid, pos; commits
        assert fast[0].position > early[0].position
        assert fast[0].transaction_id > early[0].transaction_id
        seen, checkpoint = await drain(pool, Checkpoint())
        assert seen == []  # the slow transaction holds the line back: nothing is passed over
        await tx.commit()
    seen, _ = await drain(pool, checkpoint)
    assert [e.payload["tag"] for e in seen] == ["slow", "fast"]


async def test_lower_position_under_higher_txid_committing_late_is_not_skipped(
    pool: asyncpg.Pool,
) -> None:
    store = EventStore(pool)
    async with pool.acquire() as first, pool.acquire() as second:
        tx_first, tx_second = first.transaction(), second.transaction()
        await tx_first.start()
        await tx_second.start()
        # `first` takes the lower transaction id, `second` the higher one...
        await first.fetchval("SELECT pg_current_xact_id()")
        await second.fetchval("SELECT pg_current_xact_id()")
        # ...but `second` inserts first, so it holds the lower position.
        low = await store.append("b", head_of([]), [ev("low-position")], conn=second)
        high = await store.append("a", head_of([]), [ev("high-position")], conn=first)
        assert low[0].position < high[0].position
        assert low[0].transaction_id > high[0].transaction_id
        await tx_first.commit()
        seen, checkpoint = await drain(pool, Checkpoint())
        assert [e.payload["tag"] for e in seen] == ["high-position"]
        # A position-only checkpoint would now stand past the low position and skip it.
        assert checkpoint.position > low[0].position
        await tx_second.commit()
    seen, _ = await drain(pool, checkpoint)
    assert [e.payload["tag"] for e in seen] == ["low-position"]


async def test_randomized_concurrent_writers_deliver_each_event_exactly_once_in_stream_order(
    pool: asyncpg.Pool,
) -> None:
    store = EventStore(pool)
    rng = random.Random(20261123)
    streams = [f"stream-{i}" for i in range(12)]
    committed: set[str] = set()
    writers_done = asyncio.Event()

    async def writer(worker: int) -> None:
        for n in range(40):
            stream = rng.choice(streams)
            async with pool.acquire() as conn:
                tx = conn.transaction()
                await tx.start()
                history = await store.read_stream(stream, conn=conn)
                tag = f"{worker}-{n}"
                try:
                    await store.append(stream, head_of(history), [ev(tag)], conn=conn)
                except ConcurrencyConflict:
                    await tx.rollback()
                    continue
                await asyncio.sleep(rng.random() * 0.01)  # commit late, in random order
                if rng.random() < 0.1:
                    await tx.rollback()  # aborted events must never be delivered
                    continue
                await tx.commit()
                committed.add(tag)

    delivered: list[Envelope] = []

    async def reader() -> None:
        checkpoint = Checkpoint()
        while True:
            finished = writers_done.is_set()
            batch, checkpoint = await drain(pool, checkpoint)
            delivered.extend(batch)
            if finished:
                return
            await asyncio.sleep(rng.random() * 0.005)

    read_task = asyncio.create_task(reader())
    await asyncio.gather(*(writer(w) for w in range(8)))
    writers_done.set()
    await read_task

    tags = [e.payload["tag"] for e in delivered]
    assert len(tags) == len(set(tags)), "an event was delivered twice"
    assert set(tags) == committed, "a committed event was skipped, or an aborted one delivered"
    assert len(committed) > 100
    versions: dict[str, list[int]] = defaultdict(list)
    for e in delivered:
        versions[e.stream_id].append(e.stream_version)
    for stream, seen in versions.items():
        assert seen == list(range(1, len(seen) + 1)), f"{stream} out of order: {seen}"
