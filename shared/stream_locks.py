"""Commands that must not interleave with others on the same streams, beyond what optimistic
concurrency gives: a check that reads one stream and appends to another (a task pushed against
a community's list, recorded on the task's own stream) races a change of the stream it read.

`locked` runs a command in one transaction holding PostgreSQL advisory locks on stream ids:
shared ones for what it only reads (checks run side by side), exclusive ones for what it
changes (it waits for the checks in flight, and checks wait for it). Exclusive locks are
taken in one order (sorted), so two changes of several streams cannot deadlock. A lock key is
the 64-bit hash of the stream id: a collision only makes two unrelated commands wait.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

import asyncpg

from shared.pipeline import CommandPipeline


@asynccontextmanager
async def locked(
    pool: asyncpg.Pool,
    pipeline: CommandPipeline,
    *,
    reading: Iterable[str] = (),
    changing: Iterable[str] = (),
) -> AsyncIterator[CommandPipeline]:
    """`pipeline` on a transaction that holds the locks until it commits; then the readers
    are woken (as `pipeline.save` does outside a transaction)."""
    async with pool.acquire() as conn, conn.transaction():
        for stream in sorted(set(changing)):
            await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", stream)
        for stream in sorted(set(reading) - set(changing)):
            await conn.execute(
                "SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0))", stream
            )
        yield pipeline.on(conn)
    if pipeline.wake is not None:
        pipeline.wake()
