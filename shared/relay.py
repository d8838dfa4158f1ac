"""The relay: publishes the event log to the service's Kafka topic. The log is the outbox.

There is no dual write: a command only appends to the log, and the relay reads the log in
commit-safe order (shared/eventstore/reader.py) and publishes. Its checkpoint advances only
after the broker acknowledged every message of a batch (acks=all), so a crash or a broker
outage means republishing, never losing; consumers drop the duplicates by event id.
One relay per service is active at a time (a PostgreSQL advisory lock); replicas stand by.
The relay reads and checkpoints on the connection that holds the lock, so a relay whose lock
went with its connection (a PostgreSQL restart) fails and starts over instead of publishing
unlocked.

`run` raises on any error: it runs under the service's supervisor (shared/supervisor.py),
which logs, counts and restarts it with a capped backoff.

A broker that lost acknowledged records is refilled: before every batch, on every new
connection, and every `offset_check_interval` while idle, the relay compares the partitions'
end offsets with what the broker acknowledged (shared/relay_offsets.py) and, where the broker
holds less, rewinds its checkpoint and republishes from the first event the topic no longer
holds. The acknowledged end offsets are kept in memory too (only the lock holder writes them),
so the check before a batch costs the broker's two answers and no database round trip.

Backlog: while batches come full, the events left are counted at most every
`backlog_count_interval` and estimated in between (the last count less what was published
since). `wuding_relay_lag_events` can lag by that interval; an alert that watches it grow for
minutes does not notice, and a count per batch cost a tenth of the relay's throughput.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.producer.message_accumulator import BatchBuilder
from opentelemetry import trace

from shared import relay_offsets
from shared.cloudevents import Headers, to_message
from shared.eventstore.catalog import EventCatalog
from shared.eventstore.envelope import Checkpoint, Envelope
from shared.eventstore.reader import load_checkpoint, read_after, save_checkpoint
from shared.kafka import DEFAULT_PARTITIONS, ensure_topics, events_topic, topic_partitions
from shared.observability import metrics
from shared.observability.tracing import context_from, current_trace_headers, tracing_enabled
from shared.sealing import Sealer

log = structlog.get_logger("wuding.relay")
tracer = trace.get_tracer("wuding.relay")

# Bytes per Kafka record batch. aiokafka queues one record batch per partition at a time, so
# its 16 KiB default made a 2,000-event relay batch ~100 sequential sends; 512 KiB stays well
# under the broker's 1 MiB default message.max.bytes.
BATCH_BYTES = 512 * 1024

_COUNT_AFTER = """
SELECT count(*) FROM events WHERE (transaction_id, position) > ($1::bigint, $2::bigint)
"""


class TopicMismatch(Exception):
    """The topic exists with another partition count than the one configured: keys would land
    on other partitions than before, and per-key order would break. An operator decides."""


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
        partitions: int = DEFAULT_PARTITIONS,
        offset_check_interval: float = 10.0,
        backlog_count_interval: float = 1.0,
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
        self.partitions = partitions
        self.offset_check_interval = offset_check_interval
        self._wake = asyncio.Event()
        self._producer: AIOKafkaProducer | None = None
        self._offsets_reader: AIOKafkaConsumer | None = None
        self._checked_at: float | None = None  # when end offsets were last compared
        self._acked: dict[int, int] | None = None  # relay_offsets' max per partition, cached
        self.backlog_count_interval = backlog_count_interval
        self._backlog: int | None = None  # events left at the last count, less those since
        self._counted_at = 0.0
        self._prefetched: tuple[Checkpoint, list[Envelope]] | None = None  # the next batch
        self._pruned_at = 0.0
        self._lock_conn: asyncpg.Connection | None = None
        self._partitioner = DefaultPartitioner()
        self.sealer = sealer  # folds what was published; appends signed seals (sealing.py)

    def wake(self) -> None:
        """Publish soon: called after an append in this process."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until `stop` is set; stand by while another replica holds the relay lock."""
        try:
            while not stop.is_set():
                async with self.pool.acquire() as conn:
                    if not await conn.fetchval(
                        "SELECT pg_try_advisory_lock(hashtext($1))", self.checkpoint_name
                    ):
                        await self._sleep(stop, 1.0, wakeable=False)  # standing by
                        continue
                    self._lock_conn = conn
                    self._acked = None  # another replica may have written while we stood by
                    try:
                        await self._publish_until(stop)
                    finally:
                        self._lock_conn = None
                        await self._unlock(conn)
        finally:
            await self._close_producer()

    async def _unlock(self, conn: asyncpg.Connection) -> None:
        # On a dead connection the lock ended with the session (and the pool's reset releases
        # it too): an error here must not mask the one that ended publishing. A connection the
        # server closed is already detached from the pool's proxy, so even is_closed() raises
        # InterfaceError ("connection has been released back to the pool").
        try:
            if not conn.is_closed():
                await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", self.checkpoint_name)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            log.warning("relay.unlock_failed", error=repr(exc))

    async def _publish_until(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            published = await self.publish_batch()
            if published < self.batch_size:
                await self._sleep(stop, self.poll_interval)

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        """The lock's connection while running; a pooled one when called alone (tests)."""
        if self._lock_conn is not None:
            yield self._lock_conn
            return
        async with self.pool.acquire() as conn:
            yield conn

    async def publish_batch(self) -> int:
        """Publish the next batch; return how many events it held.

        Read a batch, check the broker, send the batch, and save the checkpoint (with the
        acknowledged end offsets) once the broker acknowledged all of it.
        """
        async with self._connection() as conn:
            checkpoint = await load_checkpoint(conn, self.checkpoint_name)
            events = self._take_prefetched(checkpoint) or await read_after(
                conn, checkpoint, self.batch_size
            )
            backlog = await self._count_backlog(conn, checkpoint, len(events))
        metrics.RELAY_LAG_EVENTS.labels(self.topic).set(backlog)
        if not events and self.sealer is not None:
            await self.sealer.published(checkpoint, [])  # a seal may be due by time
        metrics.RELAY_LAG_SECONDS.labels(self.topic).set(
            (datetime.now(UTC) - events[0].recorded_at).total_seconds() if events else 0
        )
        if not events and not self._idle_check_due():
            return 0
        producer = await self._ensure_producer()
        partitions = await self._check_broker(producer)
        if partitions is None or not events:
            return 0  # rewound after a loss: the next batch starts there
        prefetch = self._prefetch_after(events)
        try:
            sent = await asyncio.wait_for(
                self._send_all(producer, partitions, events), self.publish_timeout
            )
        finally:
            await self._keep_prefetched(prefetch, events[-1].checkpoint)
        bases = {partition: base for partition, (base, _) in sent.items()}
        ends = {partition: end for partition, (_, end) in sent.items()}
        acked = await self._acknowledged()
        async with self._connection() as conn, conn.transaction():
            losses = []
            if relay_offsets.lost_partitions(acked, bases):
                losses = await relay_offsets.find_losses(conn, self.topic, bases, acked)
            if not losses:
                await save_checkpoint(conn, self.checkpoint_name, events[-1].checkpoint)
                await relay_offsets.record(conn, self.topic, ends, events[-1].checkpoint)
            else:
                start = await self._rewind(conn, losses)
        if losses:
            self._report(losses, start)
            return 0  # what was just sent is republished from `start`, in log order
        for partition, end in ends.items():  # committed: the cache follows the table
            acked[partition] = max(end, acked.get(partition, end))
        metrics.RELAY_PUBLISHED.labels(self.topic).inc(len(events))
        if self._backlog is not None:
            self._backlog = max(self._backlog - len(events), 0)
        metrics.RELAY_LAG_EVENTS.labels(self.topic).set(max(backlog - len(events), 0))
        if self.sealer is not None:
            await self.sealer.published(checkpoint, events)
        return len(events)

    def _prefetch_after(self, events: list[Envelope]) -> asyncio.Future[list[Envelope]] | None:
        """After a full batch, read the next one while the broker acknowledges this one: the
        read and the acknowledgements overlap, which a relay catching up spends most time on.
        Reading early is reading a moment sooner, so commit-safe order holds (reader.py)."""
        if len(events) < self.batch_size:
            return None

        async def read() -> list[Envelope]:
            async with self._connection() as conn:
                return await read_after(conn, events[-1].checkpoint, self.batch_size)

        return asyncio.ensure_future(read())

    async def _keep_prefetched(
        self, prefetch: asyncio.Future[list[Envelope]] | None, start: Checkpoint
    ) -> None:
        """Wait for the read (the lock's connection must be free again) and keep what it got;
        a failed read is dropped: the next batch reads again and meets the error itself."""
        self._prefetched = None
        if prefetch is None:
            return
        try:
            self._prefetched = (start, await prefetch)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            log.warning("relay.prefetch_failed", error=repr(exc))
        except asyncio.CancelledError:
            prefetch.cancel()  # not left running on a connection that goes back to the pool
            raise

    def _take_prefetched(self, checkpoint: Checkpoint) -> list[Envelope]:
        """The prefetched batch if it starts at `checkpoint` (a rewind or a failed send moves
        the checkpoint elsewhere, and the batch is dropped)."""
        prefetched, self._prefetched = self._prefetched, None
        if prefetched is None or prefetched[0] != checkpoint:
            return []
        return prefetched[1]

    async def _count_backlog(
        self, conn: asyncpg.Connection, checkpoint: Checkpoint, read: int
    ) -> int:
        """Events not yet published, `read` of them just read: exact when the batch is not
        full, else counted at most every backlog_count_interval and estimated in between."""
        if read < self.batch_size:
            self._backlog = None
            return read
        now = time.monotonic()
        if self._backlog is None or now - self._counted_at >= self.backlog_count_interval:
            self._backlog = await conn.fetchval(
                _COUNT_AFTER, checkpoint.transaction_id, checkpoint.position
            )
            self._counted_at = now
        return max(self._backlog, read)

    async def _acknowledged(self) -> dict[int, int]:
        if self._acked is None:
            async with self._connection() as conn:
                self._acked = await relay_offsets.acknowledged(conn, self.topic)
        return self._acked

    def _idle_check_due(self) -> bool:
        return self._checked_at is None or (
            time.monotonic() - self._checked_at >= self.offset_check_interval
        )

    async def _check_broker(self, producer: AIOKafkaProducer) -> list[int] | None:
        """The topic's partitions, or None when the broker lost data and the relay rewound.

        A broker that lost its state (the embedded Tansu keeps topics in memory) may come back
        without our topic and still acknowledge writes to it, which then vanish, or with the
        topic recreated empty by another client. Before every batch (and every
        offset_check_interval while idle) one metadata and one end-offsets request find that
        out before anything is sent: sending first would put the batch on the topic ahead of
        the older events the refill republishes, out of order per key.
        """
        found = await topic_partitions(producer.client, self.topic)
        if found is None:
            await ensure_topics(self.bootstrap_servers, self.topic, partitions=self.partitions)
            found = await topic_partitions(producer.client, self.topic) or set()
        if len(found) != self.partitions:
            raise TopicMismatch(
                f"topic {self.topic} has {len(found)} partitions, the relay is configured for"
                f" {self.partitions} (WUDING_KAFKA_TOPIC_PARTITIONS): keys would change"
                " partition; recreate the topic or change the setting"
            )
        # send_batch checks partitions against the producer's own metadata: refresh it when it
        # differs (a stale copy gave "AssertionError: Unrecognized partition" once the topic
        # came back with another partition count).
        if producer.client.cluster.partitions_for_topic(self.topic) != found:
            await producer.client.add_topic(self.topic)  # tracked from now on
            await producer.client.force_metadata_update()
            if producer.client.cluster.partitions_for_topic(self.topic) != found:
                raise KafkaError(f"the partitions of {self.topic} changed while checking")
        partitions = sorted(found)
        rewound = await self._refill_if_lost(partitions)
        self._checked_at = time.monotonic()
        return None if rewound else partitions

    async def _refill_if_lost(self, partitions: list[int]) -> bool:
        """Compare end offsets; after a loss, rewind the checkpoint and return True."""
        reader = await self._ensure_offsets_reader()
        reported = await reader.end_offsets([TopicPartition(self.topic, p) for p in partitions])
        ends = {tp.partition: offset for tp, offset in reported.items()}
        acked = await self._acknowledged()
        if not relay_offsets.lost_partitions(acked, ends):
            if time.monotonic() - self._pruned_at >= self.offset_check_interval:
                async with self._connection() as conn:
                    await relay_offsets.prune(conn, self.topic)
                self._pruned_at = time.monotonic()
            return False
        async with self._connection() as conn, conn.transaction():
            losses = await relay_offsets.find_losses(conn, self.topic, ends, acked)
            start = await self._rewind(conn, losses)
        self._report(losses, start)
        return True

    async def _rewind(
        self, conn: asyncpg.Connection, losses: list[relay_offsets.Loss]
    ) -> Checkpoint:
        """Move the checkpoint back to the first event the topic no longer holds (in the
        caller's transaction) and forget the offsets recorded past it."""
        checkpoint = await load_checkpoint(conn, self.checkpoint_name, for_update=True)
        start = min(min(loss.republish_from for loss in losses), checkpoint)
        await save_checkpoint(conn, self.checkpoint_name, start)
        await relay_offsets.forget_after(conn, self.topic, start)
        self._acked = None  # read again once this transaction committed
        return start

    def _report(self, losses: list[relay_offsets.Loss], start: Checkpoint) -> None:
        for loss in losses:
            metrics.RELAY_DATA_LOSS.labels(self.topic, str(loss.partition)).inc()
            log.error(
                "relay.data_loss",
                topic=self.topic,
                partition=loss.partition,
                acknowledged_end_offset=loss.acknowledged,
                broker_end_offset=loss.reported,
                republish_from_position=start.position,
                republish_from_transaction=start.transaction_id,
            )

    async def _send_all(
        self, producer: AIOKafkaProducer, partitions: list[int], events: list[Envelope]
    ) -> dict[int, tuple[int, int]]:
        """Send and await every acknowledgement; return per partition the base offset of its
        first record batch and the acknowledged end offset (its last record batch's base
        offset + 1: see shared/relay_offsets.py)."""
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
        sent: dict[int, tuple[int, int]] = {}
        for meta in await asyncio.gather(*acks):  # every record batch acknowledged (acks=all)
            base, end = sent.get(meta.partition, (meta.offset, 0))
            sent[meta.partition] = (min(base, meta.offset), max(end, meta.offset + 1))
        return sent

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
            # Created here with the configured partition count, before any send could make
            # a broker that auto-creates topics create it with its own default.
            await ensure_topics(self.bootstrap_servers, self.topic, partitions=self.partitions)
            producer = AIOKafkaProducer(
                bootstrap_servers=self.bootstrap_servers,
                acks="all",
                enable_idempotence=self.idempotent_producer,
                linger_ms=2,
                max_batch_size=BATCH_BYTES,
                request_timeout_ms=10_000,
            )
            try:
                await producer.start()
            except BaseException:
                await producer.stop()
                raise
            self._producer = producer
            self._checked_at = None  # a new connection: check at once, even when idle
        return self._producer

    async def _ensure_offsets_reader(self) -> AIOKafkaConsumer:
        """A consumer without a group, used only to ask the broker for end offsets."""
        if self._offsets_reader is None:
            reader = AIOKafkaConsumer(
                bootstrap_servers=self.bootstrap_servers,
                enable_auto_commit=False,
                request_timeout_ms=10_000,
            )
            try:
                await reader.start()
            except BaseException:
                await reader.stop()
                raise
            self._offsets_reader = reader
        return self._offsets_reader

    async def _close_producer(self) -> None:
        clients = [self._producer, self._offsets_reader]
        self._producer = self._offsets_reader = None
        for client in clients:
            if client is None:
                continue
            try:
                await asyncio.wait_for(client.stop(), 5)
            except (KafkaError, OSError, TimeoutError) as exc:
                log.warning("relay.producer_close_failed", error=repr(exc))

    async def _sleep(self, stop: asyncio.Event, seconds: float, *, wakeable: bool = True) -> None:
        waiters = [asyncio.ensure_future(stop.wait())]
        if wakeable:
            waiters.append(asyncio.ensure_future(self._wake.wait()))
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()
        if wakeable:
            self._wake.clear()
