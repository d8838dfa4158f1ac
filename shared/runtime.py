"""A service's running parts besides HTTP: its pool, store, relay and projectors.

`ServiceRuntime.start()` opens the pool and starts the background loops; `stop()` ends them
cleanly. Built in the service's lifespan, never at import.
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg

from shared.eventstore import Checkpoint, EventCatalog, EventStore
from shared.projections import Projection, Projector
from shared.relay import Relay
from shared.sealing import LogSealed, Sealer, signing_key
from shared.settings import KernelSettings


class ServiceRuntime:
    def __init__(
        self,
        settings: KernelSettings,
        pool: asyncpg.Pool,
        catalog: EventCatalog,
        projections: list[Projection],
    ) -> None:
        self.settings = settings
        self.pool = pool
        self.catalog = catalog
        catalog.register(LogSealed)  # every service's log holds its seals
        self.store = EventStore(pool)
        self.projectors = [
            Projector(pool, catalog, p, poll_interval=settings.poll_interval_seconds)
            for p in projections
        ]
        self.relay = Relay(
            pool,
            catalog,
            service=settings.service,
            bootstrap_servers=settings.kafka_bootstrap_servers,
            idempotent_producer=settings.kafka_idempotent_producer,
            batch_size=settings.relay_batch_size,
            poll_interval=settings.poll_interval_seconds,
            sealer=self._sealer(settings),
        )
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def _sealer(self, settings: KernelSettings) -> Sealer | None:
        if settings.seal_signing_key is None:
            if settings.env == "production" and settings.relay_enabled:
                raise ValueError("WUDING_SEAL_SIGNING_KEY must be set in production")
            return None
        return Sealer(
            self.store, signing_key(settings.seal_signing_key.get_secret_value()),
            topic=f"{settings.service}.events", every=settings.seal_every_events,
            interval=settings.seal_interval_seconds,
        )  # fmt: skip

    async def caught_up(self, target: Checkpoint, timeout: float = 2.0) -> bool:
        """Wait until every read model has applied the event at `target` (read-your-writes)."""
        results = await asyncio.gather(*(p.wait_for(target, timeout) for p in self.projectors))
        return all(results)

    def start(self) -> None:
        loops = [p.run(self._stop) for p in self.projectors]
        if self.settings.relay_enabled:
            loops.append(self.relay.run(self._stop))
        self._tasks = [asyncio.create_task(loop) for loop in loops]

    def appended(self) -> None:
        """Wake the relay and projectors after this process appended."""
        self.relay.wake()
        for projector in self.projectors:
            projector.wake()

    async def ping_database(self) -> None:
        await self.pool.fetchval("SELECT 1")

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(task, 10)
        await self.pool.close()
