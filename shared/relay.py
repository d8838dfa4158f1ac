"""The relay: publishes the event log to the service's Kafka topic. The log is the outbox.

There is no dual write: a command only appends to the log, and the relay reads the log in
commit-safe order (shared/eventstore/reader.py) and publishes. Its checkpoint advances only
after the broker acknowledged every message of a batch (acks=all), so a crash or a broker
outage means republishing, never losing; consumers drop the duplicates by event id.
One relay per service is active at a time (a PostgreSQL advisory lock); replicas stand by.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime

import asyncpg
import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.producer.message_accumulator import BatchBuilder
from opentelemetry import trace

from shared.cloudevents import Headers, to_message
from shared.eventstore.catalog import EventCatalog
from shared.eventstore.envelope import Envelope
from shared.eventstore.reader import load_checkpoint, read_after, save_checkpoint
from shared.kafka import ensure_topics, events_topic
from shared.observability import metrics
from shared.observability.tracing import context_from, current_trace_headers, tracing_enabled
from shared.sealing import Sealer

log = structlog.get_logger("wuding.relay")
tracer = trace.get_tracer("wuding.relay")


class Relay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        catalog: EventCatalog,
        *,
        service: str,
        bootstrap_servers: str,
        idempotent_producer: bool = False,
        batch_size: int = 500,
        poll_interval: float = 0.1,
        publish_timeout: float = 15.0,
        sealer: Sealer | None = None,
    ) -> None:
        self.pool = pool
        # aiokafka retries a send to an unreachable broker for a long time; past this, the
        # batch counts as failed and is published again on a fresh producer.
        self.publish_timeout = publish_timeout
        self.catalog = catalog
        self.service = service
        self.topic = events_topic(service)
        self.checkpoint_name = f"relay:{self.topic}"
        self.bootstrap_servers = bootstrap_servers
        self.idempotent_producer = idempotent_producer
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self._wake = asyncio.Event()
        self._producer: AIOKafkaProducer | None = None
        self._partitioner = DefaultPartitioner()
        self.sealer = sealer  # folds what was published; appends signed seals (sealing.py)

    def wake(self) -> None:
        """Publish soon: called after an append in this process."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until `stop` is set; stand by while another replica holds the relay lock."""
        backoff = self.poll_interval
        while not stop.is_set():
            try:
                async with self.pool.acquire() as lock_conn:
                    if not await lock_conn.fetchval(
                        "SELECT pg_try_advisory_lock(hashtext($1))", self.checkpoint_name
                    ):
                        await self._sleep(stop, 1.0)
                        continue
                    try:
                        await self._publish_until(stop)
                    finally:
                        await lock_conn.execute(
                            "SELECT pg_advisory_unlock(hashtext($1))", self.checkpoint_name
                        )
                backoff = self.poll_interval
            except (KafkaError, OSError, asyncpg.PostgresError, TimeoutError) as exc:
                log.warning("relay.retrying", error=repr(exc), backoff_seconds=backoff)
                await self._close_producer()
                await self._sleep(stop, backoff)
                backoff = min(backoff * 2, 5.0)
        await self._close_producer()

    async def _publish_until(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            published = await self.publish_batch()
            if published < self.batch_size:
                await self._sleep(stop, self.poll_interval)

    async def publish_batch(self) -> int:
        """Publish the next batch; return how many events it held."""
        async with self.pool.acquire() as conn:
            checkpoint = await load_checkpoint(conn, self.checkpoint_name)
            events = await read_after(conn, checkpoint, self.batch_size)
        if not events:
            metrics.RELAY_LAG_SECONDS.labels(self.topic).set(0)
            if self.sealer is not None:
                await self.sealer.published(checkpoint, [])  # a seal may be due by time
            return 0
        metrics.RELAY_LAG_SECONDS.labels(self.topic).set(
            (datetime.now(UTC) - events[0].recorded_at).total_seconds()
        )
        await asyncio.wait_for(self._send_all(events), self.publish_timeout)
        async with self.pool.acquire() as conn:
            await save_checkpoint(conn, self.checkpoint_name, events[-1].checkpoint)
        metrics.RELAY_PUBLISHED.labels(self.topic).inc(len(events))
        if self.sealer is not None:
            await self.sealer.published(checkpoint, events)
        return len(events)

    async def _send_all(self, events: list[Envelope]) -> None:
        producer = await self._ensure_producer()
        # A broker that lost its state (the embedded Tansu keeps topics in memory) may come
        # back without our topic and still acknowledge writes to it, which then vanish. One
        # metadata request per batch finds that out before anything is sent.
        cluster = await producer.client.fetch_all_metadata()
        if self.topic not in cluster.topics():
            await ensure_topics(self.bootstrap_servers, self.topic)
            cluster = await producer.client.fetch_all_metadata()
        partitions = sorted(cluster.partitions_for_topic(self.topic) or [0])
        # Messages are grouped into one record batch per partition, in log order: far cheaper
        # than one send() each. Keys go to partitions by the Java client's murmur2 hash, so any
        # other producer keyed by community code agrees with us.
        batches: dict[int, BatchBuilder] = {}
        acks = []
        for key, value, headers in self._messages(events):
            partition = self._partitioner(key, partitions, partitions)
            batch = batches.get(partition)
            if (
                batch is None
                or batch.append(key=key, value=value, timestamp=None, headers=headers) is None
            ):
                if batch is not None:
                    acks.append(await producer.send_batch(batch, self.topic, partition=partition))
                batch = batches[partition] = producer.create_batch()
                batch.append(key=key, value=value, timestamp=None, headers=headers)
        for partition, batch in batches.items():
            acks.append(await producer.send_batch(batch, self.topic, partition=partition))
        await asyncio.gather(*acks)  # every record batch acknowledged by the broker (acks=all)

    def _messages(self, events: list[Envelope]) -> Iterator[tuple[bytes, bytes, Headers]]:
        """Each event as (key, value, headers), continuing its request's trace."""
        recording = tracing_enabled()
        for envelope in events:
            current = self.catalog.upcast(envelope, strict=False)
            if not recording:  # tracing is off: pass the stored context on as it is
                yield to_message(current, self.service, envelope.metadata)
                continue
            with tracer.start_as_current_span(
                f"{self.topic} publish",
                context=context_from(envelope.metadata),
                kind=trace.SpanKind.PRODUCER,
                attributes={"messaging.system": "kafka", "messaging.destination": self.topic},
            ):
                yield to_message(current, self.service, current_trace_headers())

    async def _ensure_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            await ensure_topics(self.bootstrap_servers, self.topic)
            producer = AIOKafkaProducer(
                bootstrap_servers=self.bootstrap_servers,
                acks="all",
                enable_idempotence=self.idempotent_producer,
                linger_ms=2,
                request_timeout_ms=10_000,
            )
            try:
                await producer.start()
            except BaseException:
                await producer.stop()
                raise
            self._producer = producer
        return self._producer

    async def _close_producer(self) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            try:
                await asyncio.wait_for(producer.stop(), 5)
            except (KafkaError, OSError, TimeoutError) as exc:
                log.warning("relay.producer_close_failed", error=repr(exc))

    async def _sleep(self, stop: asyncio.Event, seconds: float) -> None:
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()
        self._wake.clear()
