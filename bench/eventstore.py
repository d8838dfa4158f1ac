"""Event store, reader and relay throughput against the raw PostgreSQL baseline, in one run.

Prints a table, then a last line of JSON with every figure and each ratio to its baseline.
Asserts nothing: figures are recorded in docs/performance.md.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from uuid import uuid4

import asyncpg
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import bench_stack, machine
from services.registry.community.schemas import EXAMPLE_REGISTRATION
from services.topology import SERVICES, database_url
from shared.db import create_pool, ensure_database, migrate
from shared.errors import StreamPosition
from shared.eventstore import Checkpoint, EventCatalog, EventStore, NewEvent, read_after
from shared.eventstore.store import head_of
from shared.gc_tuning import tune_gc_for_serving
from shared.relay import Relay

PAYLOAD = {**EXAMPLE_REGISTRATION, "service_centre_name": None, "note": "x" * 120}  # ~300 bytes
METADATA = {"actor": "bench", "actor_kind": "district", "correlation_id": "c", "subject": "s"}
RAW_TABLE = """CREATE TABLE raw_events (id bigserial PRIMARY KEY, stream text NOT NULL,
    version int NOT NULL, payload jsonb NOT NULL, UNIQUE (stream, version))"""
PER_WRITER_1 = 3000
PER_WRITER_8 = 1500
ROUNDS = 5
# Each ratio: a store figure over its baseline, both measured in every round.
RATIOS = {
    "append_1_vs_raw_1": ("append_1", "raw_insert_1"),
    "append_1_pooled_vs_raw_1": ("append_1_pooled", "raw_insert_1"),
    "append_8_vs_raw_8": ("append_8", "raw_insert_8"),
    "append_8_pooled_vs_raw_8": ("append_8_pooled", "raw_insert_8"),
    "read_all_vs_raw_select": ("read_all_decoded", "raw_select"),
}


async def raw_inserts(url: str, writers: int, per_writer: int) -> float:
    payload = json.dumps({**PAYLOAD, **METADATA}, ensure_ascii=False)
    conns = [await asyncpg.connect(url) for _ in range(writers)]

    async def one(conn: asyncpg.Connection, w: int) -> None:
        stream = f"raw-{w}-{uuid4().hex[:6]}"
        for v in range(1, per_writer + 1):
            await conn.execute(
                "INSERT INTO raw_events (stream, version, payload) VALUES ($1, $2, $3)",
                stream,
                v,
                payload,
            )

    started = time.perf_counter()
    await asyncio.gather(*(one(c, w) for w, c in enumerate(conns)))
    elapsed = time.perf_counter() - started
    for c in conns:
        await c.close()
    return writers * per_writer / elapsed


async def store_appends(pool: asyncpg.Pool, writers: int, per_writer: int, *, own: bool) -> float:
    """Appends per second; `own`: each writer holds one connection, as the raw baseline does
    (otherwise every append borrows one from the pool, as a command handler does)."""
    store = EventStore(pool)

    async def one(w: int) -> None:
        stream, head = f"bench-{w}-{uuid4().hex[:6]}", StreamPosition()
        event = NewEvent("Bench", 1, PAYLOAD, METADATA)
        if not own:
            for _ in range(per_writer):
                head = head_of(await store.append(stream, head, [event]))
            return
        async with pool.acquire() as conn:
            for _ in range(per_writer):
                head = head_of(await store.append(stream, head, [event], conn=conn))

    started = time.perf_counter()
    await asyncio.gather(*(one(w) for w in range(writers)))
    return writers * per_writer / (time.perf_counter() - started)


async def read_all_decoded(pool: asyncpg.Pool) -> tuple[float, int]:
    started, total, checkpoint = time.perf_counter(), 0, Checkpoint()
    async with pool.acquire() as conn:
        while batch := await read_after(conn, checkpoint, 2000):
            total += len(batch)
            checkpoint = batch[-1].checkpoint
    return total / (time.perf_counter() - started), total


async def raw_select(url: str) -> tuple[float, int]:
    conn = await asyncpg.connect(url)
    started = time.perf_counter()
    rows = await conn.fetch("SELECT * FROM raw_events")
    elapsed = time.perf_counter() - started
    await conn.close()
    return len(rows) / elapsed, len(rows)


async def relay_throughput(pool: asyncpg.Pool, bootstrap: str, total: int) -> float:
    relay = Relay(
        pool,
        EventCatalog("/bench"),
        service=f"bench{uuid4().hex[:6]}",
        bootstrap_servers=bootstrap,
        batch_size=2000,
    )
    await relay.publish_batch()  # warm up: topic creation, producer start
    await pool.execute("UPDATE checkpoints SET transaction_id = 0, position = 0")
    started, published = time.perf_counter(), 0
    while n := await relay.publish_batch():
        published += n
    elapsed = time.perf_counter() - started
    await relay._close_producer()
    assert published == total, (published, total)
    return published / elapsed


async def main() -> None:
    with bench_stack() as stack:
        name = f"bench_{uuid4().hex[:8]}"
        await ensure_database(stack.admin_url, name)
        url = database_url(stack.admin_url, name)
        await migrate(url, SERVICES["registry"].migrations)
        await (await asyncpg.connect(url)).execute(RAW_TABLE)
        pool = await create_pool(url, min_size=8, max_size=16)
        # Writes run in interleaved rounds, each store figure next to its baseline: this
        # machine's speed drifts by ±20% over seconds, so a ratio is the median of the rounds'
        # ratios, and a figure the median of its rounds.
        rounds: dict[str, list[float]] = {}
        for _ in range(ROUNDS):
            for key, measure in (
                ("raw_insert_1", lambda: raw_inserts(url, 1, PER_WRITER_1)),
                ("append_1", lambda: store_appends(pool, 1, PER_WRITER_1, own=True)),
                ("append_1_pooled", lambda: store_appends(pool, 1, PER_WRITER_1, own=False)),
                ("raw_insert_8", lambda: raw_inserts(url, 8, PER_WRITER_8)),
                ("append_8", lambda: store_appends(pool, 8, PER_WRITER_8, own=True)),
                ("append_8_pooled", lambda: store_appends(pool, 8, PER_WRITER_8, own=False)),
            ):
                rounds.setdefault(key, []).append(await measure())
        # Reads the same way, once everything is written.
        for _ in range(ROUNDS):
            rate, raw_rows = await raw_select(url)
            rounds.setdefault("raw_select", []).append(rate)
            rate, events = await read_all_decoded(pool)
            rounds.setdefault("read_all_decoded", []).append(rate)
        f: dict[str, float] = {key: statistics.median(values) for key, values in rounds.items()}
        f["relay"] = await relay_throughput(pool, stack.bootstrap_servers, events)
        await pool.close()
    per_round = {
        name: [a / b for a, b in zip(rounds[figure], rounds[baseline], strict=True)]
        for name, (figure, baseline) in RATIOS.items()
    }
    ratios = {key: statistics.median(values) for key, values in per_round.items()}
    targets = {
        "append_1_vs_raw_1": ratios["append_1_vs_raw_1"] >= 0.7,
        "append_8_vs_raw_8": ratios["append_8_vs_raw_8"] >= 0.6,
        "read_all_vs_raw_select": ratios["read_all_vs_raw_select"] >= 0.3,
        "relay_events_per_s": f["relay"] >= 20_000,
    }
    print(f"machine: {machine()}; {events} events, {raw_rows} raw rows")
    print(f"{'figure':<22}{'per second':>14}")
    for key, value in f.items():
        print(f"{key:<22}{value:>14,.0f}")
    for key, value in ratios.items():
        verdict = f"  target met: {targets[key]}" if key in targets else "  (no target)"
        print(f"{key:<26}{value:>10.2f}{verdict}")
    print(f"relay target (>= 20,000/s) met: {targets['relay_events_per_s']}")
    for key, values in per_round.items():
        print(f"{key} by round: {', '.join(f'{v:.2f}' for v in values)}")
    print(
        json.dumps(
            {
                "figures_per_second": {k: round(v) for k, v in f.items()},
                "ratios": {k: round(v, 3) for k, v in ratios.items()},
                "ratios_by_round": {k: [round(v, 3) for v in vs] for k, vs in per_round.items()},
                "rounds": ROUNDS,
                "targets_met": targets,
                "machine": machine(),
            }
        )
    )


if __name__ == "__main__":
    # As a service process runs its relay and projectors: on uvloop (uvicorn's loop="uvloop")
    # and with the serving GC settings (`wuding serve`).
    tune_gc_for_serving()
    uvloop.run(main())
