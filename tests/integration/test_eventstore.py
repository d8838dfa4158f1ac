"""The event store on a real PostgreSQL: append, concurrency, append-only, command idempotency."""

from __future__ import annotations

from uuid import uuid4

import asyncpg
import pytest

from shared.errors import ConcurrencyConflict, StreamPosition
from shared.eventstore import EventStore, NewEvent
from shared.eventstore.hashing import canonical_json, recompute_hash
from shared.eventstore.store import head_of
from tests.conftest import Stack, superuser_url


def ev(n: int, **meta: str) -> NewEvent:
    return NewEvent("Thing", 1, {"n": n, "名称": "勤勇社区"}, {"actor": "tester", **meta})


async def test_append_assigns_versions_positions_and_chains_hashes(pool: asyncpg.Pool) -> None:
    store = EventStore(pool)
    first = await store.append("s-1", StreamPosition(), [ev(1), ev(2)])
    second = await store.append("s-1", head_of(first), [ev(3)])
    stream = await store.read_stream("s-1")
    assert [e.stream_version for e in stream] == [1, 2, 3]
    assert [e.payload["n"] for e in stream] == [1, 2, 3]
    assert stream[0].payload["名称"] == "勤勇社区"
    assert stream[0].prev_hash is None
    assert stream[1].prev_hash == stream[0].hash and stream[2].prev_hash == stream[1].hash
    assert all(recompute_hash(e) == e.hash for e in stream)
    assert [e.position for e in stream] == sorted(e.position for e in stream)
    assert second[0].event_id == stream[2].event_id and second[0].transaction_id > 0


async def test_the_log_stores_the_exact_text_each_hash_was_computed_over(
    pool: asyncpg.Pool,
) -> None:
    await EventStore(pool).append("s-text", StreamPosition(), [ev(1, 来源="街道")])
    row = await pool.fetchrow(
        "SELECT payload::text AS payload, metadata::text AS metadata FROM events"
        " WHERE stream_id = 's-text'"
    )
    assert row["payload"] == canonical_json({"n": 1, "名称": "勤勇社区"}).decode()
    assert row["metadata"] == canonical_json({"actor": "tester", "来源": "街道"}).decode()


async def test_stale_expected_version_is_a_conflict_and_appends_nothing(pool: asyncpg.Pool) -> None:
    store = EventStore(pool)
    first = await store.append("s-2", StreamPosition(), [ev(1)])
    await store.append("s-2", head_of(first), [ev(2)])
    with pytest.raises(ConcurrencyConflict):
        await store.append("s-2", head_of(first), [ev(99)])
    with pytest.raises(ConcurrencyConflict):
        await store.append("s-2", StreamPosition(), [ev(99)])
    assert [e.payload["n"] for e in await store.read_stream("s-2")] == [1, 2]


async def test_expected_version_with_wrong_predecessor_hash_is_refused(pool: asyncpg.Pool) -> None:
    store = EventStore(pool)
    await store.append("s-3", StreamPosition(), [ev(1)])
    with pytest.raises(ConcurrencyConflict):
        await store.append("s-3", StreamPosition(1, b"\x01" * 32), [ev(2)])
    assert len(await store.read_stream("s-3")) == 1


async def test_same_command_id_appends_once_and_replays_first_events(pool: asyncpg.Pool) -> None:
    store = EventStore(pool)
    command_id = uuid4()
    first = await store.append("s-4", StreamPosition(), [ev(1), ev(2)], command_id=command_id)
    again = await store.append("s-4", StreamPosition(), [ev(1), ev(2)], command_id=command_id)
    other_stream = await store.append("s-5", StreamPosition(), [ev(1)], command_id=command_id)
    assert [e.event_id for e in again] == [e.event_id for e in first]
    assert [e.event_id for e in other_stream] == [e.event_id for e in first]
    assert len(await store.read_stream("s-4")) == 2
    assert await store.read_stream("s-5") == []


@pytest.mark.parametrize(
    "statement",
    ["UPDATE events SET payload = '{}'", "DELETE FROM events", "TRUNCATE events"],
)
async def test_events_table_refuses_update_delete_truncate(
    pool: asyncpg.Pool, stack: Stack, registry_db: str, statement: str
) -> None:
    """The triggers refuse even a superuser (who could switch them off: sealing shows that);
    the service's own role is refused by its grants before (tests/integration/test_db_roles.py)."""
    await EventStore(pool).append("s-6", StreamPosition(), [ev(1)])
    conn = await asyncpg.connect(superuser_url(stack, registry_db))
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await conn.execute(statement)
    finally:
        await conn.close()
    assert await pool.fetchval("SELECT count(*) FROM events") == 1


async def test_floats_are_refused_before_anything_is_written(pool: asyncpg.Pool) -> None:
    with pytest.raises(TypeError, match="floats"):
        await EventStore(pool).append("s-7", StreamPosition(), [NewEvent("T", 1, {"yuan": 1.5})])
    assert await pool.fetchval("SELECT count(*) FROM events") == 0
