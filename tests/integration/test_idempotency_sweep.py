"""Expired Idempotency-Key rows are deleted by the gateway's sweeper; live ones stay."""

from __future__ import annotations

import asyncpg

from services.gateway.idempotency import IdempotencyStore, StoredResponse, fingerprint
from tests.conftest import Stack, new_database


async def test_the_sweeper_deletes_only_expired_keys(stack: Stack) -> None:
    pool = await asyncpg.create_pool(await new_database(stack, "gateway"), min_size=1, max_size=2)
    try:
        store = IdempotencyStore(pool, ttl_hours=24)
        for key in ("old-1", "old-2", "fresh"):
            assert await store.claim("zhenhai", key, fingerprint("POST", "/c", b"{}")) is None
            await store.complete("zhenhai", key, StoredResponse(201, {}, b"{}"))
        await pool.execute(
            "UPDATE idempotency_keys SET created_at = now() - interval '25 hours'"
            " WHERE key LIKE 'old-%'"
        )
        assert await store.sweep_expired(batch=1) == 1  # batches: one at a time here
        assert await store.sweep_expired(batch=1) == 1
        assert await store.sweep_expired(batch=1) == 0
        left = await pool.fetch("SELECT key FROM idempotency_keys")
        assert [r["key"] for r in left] == ["fresh"]
        replay = await store.claim("zhenhai", "fresh", fingerprint("POST", "/c", b"{}"))
        assert replay is not None and replay.status == 201  # a live key still replays
    finally:
        await pool.close()
