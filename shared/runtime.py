"""A service's running parts besides HTTP: its pool, store, command pipeline, relay,
projectors and subscribers (shared/subscribers.py).

`ServiceRuntime.start()` starts the background loops, each under the supervisor (restarted
with backoff after any error); `stop()` ends them cleanly. `health()` is the report /healthz
and /readyz show. Built in the service's lifespan, never at import.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import asyncpg

from shared.eventstore import Checkpoint, EventCatalog, EventStore
from shared.inbox import InboxConsumer
from shared.parking import summaries
from shared.pipeline import CommandPipeline
from shared.projections import Projection, Projector, ProjectorGroup
from shared.relay import Relay
from shared.sealing import LogSealed, Sealer, signing_key
from shared.settings import KernelSettings
from shared.subscribers import ReactionHandler, Subscription
from shared.supervisor import Loop, Supervisor


class ServiceRuntime:
    def __init__(
        self,
        settings: KernelSettings,
        pool: asyncpg.Pool,
        catalog: EventCatalog,
        projections: list[Projection],
        subscriptions: Sequence[Subscription] = (),
    ) -> None:
        self.settings = settings
        self.pool = pool
        self.catalog = catalog
        catalog.register(LogSealed)  # every service's log holds its seals
        self.store = EventStore(pool)
        self.pipeline = CommandPipeline(self.store, catalog, wake=self.appended)
        self.projectors = [Projector(pool, catalog, p) for p in projections]
        # One background batch for all of them (shared/projections.py).
        self.projections = ProjectorGroup(
            pool, self.projectors, poll_interval=settings.poll_interval_seconds
        )
        self.relay = Relay(
            pool,
            catalog,
            service=settings.service,
            bootstrap_servers=settings.kafka_bootstrap_servers,
            idempotent_producer=settings.kafka_idempotent_producer,
            batch_size=settings.relay_batch_size,
            poll_interval=settings.poll_interval_seconds,
            partitions=settings.kafka_topic_partitions,
            offset_check_interval=settings.relay_offset_check_seconds,
            sealer=self._sealer(settings),
        )
        self.consumers = [self._consumer(s) for s in subscriptions]
        self.supervisor = Supervisor(
            settings.service,
            initial_backoff=settings.task_backoff_initial_seconds,
            max_backoff=settings.task_backoff_max_seconds,
        )

    def _consumer(self, subscription: Subscription) -> InboxConsumer:
        """The inbox consumer running a subscription's EVENT_HANDLERS on this pipeline."""
        return InboxConsumer(
            self.pool,
            name=subscription.name,
            topics=subscription.topics,
            handler=ReactionHandler(subscription, self.pipeline),
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            on_commit=self.appended,
        )

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
        if self.projectors:
            self.supervise("projections", self.projections.run)
        if self.settings.relay_enabled:
            self.supervise(self.relay.checkpoint_name, self.relay.run)
        for consumer in self.consumers:
            self.supervise(f"consumer:{consumer.name}", consumer.run)

    def supervise(self, name: str, loop: Loop) -> None:
        """Run `loop(stop)` in the background under the supervisor (consumers, sweeps...)."""
        self.supervisor.start(name, loop)

    def appended(self) -> None:
        """Wake the relay and projectors after this process appended."""
        self.relay.wake()
        self.projections.wake()

    async def health(self) -> dict[str, Any]:
        """The health report's sections, by name: each background task's state, and each
        reader's parked events (shared/parking.py)."""
        return {
            "tasks": self.supervisor.report(),
            "parked": {s.reader: s.as_dict() for s in await summaries(self.pool)},
        }

    async def ping_database(self) -> None:
        await self.pool.fetchval("SELECT 1")

    async def stop(self) -> None:
        await self.supervisor.stop()
        await self.pool.close()
