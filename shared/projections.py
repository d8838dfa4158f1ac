"""Projections: read models built from the log, checkpointed in the same transaction as their rows.

A batch is one transaction: lock the checkpoint row (so replicas take turns), read the next
events in commit-safe order, apply each, move the checkpoint. A crash rolls back rows and
checkpoint together, so an event is never applied twice nor skipped. `rebuild` empties the
read model and replays the whole log in one transaction: readers see the old model until the
new one is complete.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Protocol

import asyncpg
import structlog

from shared.eventstore.catalog import EventCatalog
from shared.eventstore.envelope import Checkpoint, Envelope
from shared.eventstore.reader import load_checkpoint, read_after, save_checkpoint
from shared.observability import metrics

log = structlog.get_logger("wuding.projections")


class Projection(Protocol):
    """A read model: its name, the tables it owns, and how one event changes them."""

    name: str
    tables: tuple[str, ...]

    async def apply(self, conn: asyncpg.Connection, envelope: Envelope) -> None: ...


class Projector:
    """Keeps one projection up to date with the log."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        catalog: EventCatalog,
        projection: Projection,
        *,
        batch_size: int = 500,
        poll_interval: float = 0.1,
    ) -> None:
        self.pool = pool
        self.catalog = catalog
        self.projection = projection
        self.checkpoint_name = f"projection:{projection.name}"
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self._wake = asyncio.Event()
        self._moved = asyncio.Condition()

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                applied = await self.run_once()
            except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
                log.warning("projection.retrying", projection=self.projection.name, error=repr(exc))
                applied = 0
            if applied < self.batch_size:
                try:
                    await asyncio.wait_for(self._wake.wait(), self.poll_interval)
                except TimeoutError:
                    pass
                self._wake.clear()

    async def run_once(self) -> int:
        """Apply the next batch in one transaction; return how many events it held."""
        async with self.pool.acquire() as conn, conn.transaction():
            checkpoint = await load_checkpoint(conn, self.checkpoint_name, for_update=True)
            events = await read_after(conn, checkpoint, self.batch_size)
            if not events:
                metrics.PROJECTION_LAG_SECONDS.labels(self.projection.name).set(0)
                return 0
            metrics.PROJECTION_LAG_SECONDS.labels(self.projection.name).set(
                (datetime.now(UTC) - events[0].recorded_at).total_seconds()
            )
            for envelope in events:
                await self.projection.apply(conn, self.catalog.upcast(envelope))
            await save_checkpoint(conn, self.checkpoint_name, events[-1].checkpoint)
        async with self._moved:
            self._moved.notify_all()
        return len(events)

    async def checkpoint(self) -> Checkpoint:
        async with self.pool.acquire() as conn:
            return await load_checkpoint(conn, self.checkpoint_name)

    async def wait_for(self, target: Checkpoint, timeout: float = 2.0) -> bool:
        """Wait until the projection has applied the event at `target` (read-your-writes)."""
        self.wake()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while await self.checkpoint() < target:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            self.wake()
            try:
                async with self._moved:
                    await asyncio.wait_for(self._moved.wait(), min(remaining, 0.05))
            except TimeoutError:
                pass
        return True

    async def rebuild(self) -> int:
        """Empty the read model and replay the whole log; return how many events were applied."""
        total = 0
        async with self.pool.acquire() as conn, conn.transaction():
            await load_checkpoint(conn, self.checkpoint_name, for_update=True)
            if self.projection.tables:
                await conn.execute(f"TRUNCATE {', '.join(self.projection.tables)}")
            checkpoint = Checkpoint()
            while events := await read_after(conn, checkpoint, self.batch_size):
                for envelope in events:
                    await self.projection.apply(conn, self.catalog.upcast(envelope))
                checkpoint = events[-1].checkpoint
                total += len(events)
            await save_checkpoint(conn, self.checkpoint_name, checkpoint)
        log.info("projection.rebuilt", projection=self.projection.name, events=total)
        return total
