"""Kafka consumers with an inbox: each event's effect happens once, however often it arrives.

The processed event id is written to the `inbox` table in the same transaction as the effect,
so a redelivered event finds itself there and changes nothing. Records are consumed in
batches (aiokafka's `getmany`): one transaction per batch, then the batch's offsets are
committed. A handler may also work once per batch (`BatchHandler`: shared/subscribers.py's
reactions read their streams in one query before the first event and write every append
they decided in one statement after the last). When an event of the batch fails for good,
the batch runs again with each event in its own savepoint and its appends made at once, so
that one is rolled back alone (savepoints cost two statements an event: only the rare batch
pays them). A batch whose appends meet another writer's (an HTTP command on the same
stream) rolls back and runs again on the new state.
Offsets are committed only after the transaction did, so a failure means a redelivery, never
a skipped event (what FastStream issues #2618 and #1980 were about); a crash between the two
redelivers events the inbox already holds. A message that can never be processed (not a
CloudEvent, bad payload) is published to the consumer's dead-letter topic with the reason,
and the consumer moves on. So is an event whose handler fails for good (a constraint it
breaks, a bug): it is also parked (shared/parking.py: counted, in the health report). A
fault of the moment (the database restarting) rolls the batch back and retries it, never
dead-letters it. Batching took staffing's catch-up from one transaction, one offset commit
and one append per event to one of each per batch (docs/performance.md, "Staffing catching
up").
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, TracerProvider

from shared.cloudevents import IncomingEvent, MalformedEvent, from_message
from shared.errors import CommandAlreadyRecorded, ConcurrencyConflict
from shared.kafka import dead_letter_topic, ensure_topics
from shared.observability import metrics
from shared.observability.tracing import tracing_enabled
from shared.parking import describe, is_transient, park
from shared.pipeline import BATCH_CACHE, StreamCache

log = structlog.get_logger("wuding.inbox")

EventHandler = Callable[[asyncpg.Connection, IncomingEvent], Awaitable[None]]
BATCH_RECORDS = 500  # per getmany: large enough to amortise a transaction, small to retry
FETCH_MAX_WAIT_MS = 10
SESSION_TIMEOUT_MS = 6_000
CONFLICT_RETRIES = 5  # a batch that meets another writer runs again at once, this often


class BatchHandler(Protocol):
    """A handler that also works once per batch (shared/subscribers.py's reactions): `begin`
    before the batch's first event (read what it needs at once), `end` after its last (write
    what it deferred: the transaction's first write)."""

    async def __call__(self, conn: asyncpg.Connection, event: IncomingEvent) -> None: ...

    async def begin(self, conn: asyncpg.Connection, events: Sequence[IncomingEvent]) -> None: ...

    async def end(self, conn: asyncpg.Connection) -> None: ...


@dataclass(frozen=True)
class PerEvent:
    """A plain EventHandler as a BatchHandler: nothing to do per batch."""

    handle: EventHandler

    async def __call__(self, conn: asyncpg.Connection, event: IncomingEvent) -> None:
        await self.handle(conn, event)

    async def begin(self, conn: asyncpg.Connection, events: Sequence[IncomingEvent]) -> None:
        return None

    async def end(self, conn: asyncpg.Connection) -> None:
        return None


class PoisonEvent(Exception):
    """Raised by a handler for an event it can never process: it goes to the dead-letter topic."""


class _FailedForGood(Exception):
    """An event of a batch run without savepoints failed for good: run it with them."""


class _MetAnotherWriter(Exception):
    """A stream the batch appends to moved on since the batch read it (an HTTP command on the
    same community): roll back and run the batch again, on the new state."""


@dataclass(frozen=True)
class _Failed:
    """A record of the batch that goes to the dead-letter topic (and, `event` set, is parked)."""

    record: ConsumerRecord[Any, Any]
    reason: str
    event: IncomingEvent | None = None


class InboxConsumer:
    """One consumer group reading `topics`, applying `handler` exactly once per event id."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        name: str,
        topics: Sequence[str],
        handler: BatchHandler,  # a plain EventHandler: PerEvent(handler)
        bootstrap_servers: str,
        tracer_provider: TracerProvider | None = None,
        retry_delay: float = 1.0,
        on_commit: Callable[[], None] | None = None,
        batch_records: int = BATCH_RECORDS,
    ) -> None:
        self.pool = pool
        self.name = name
        self.topics = tuple(topics)
        self.handler = handler
        self.bootstrap_servers = bootstrap_servers
        self.dead_letter_topic = dead_letter_topic(name)
        self.retry_delay = retry_delay
        self.on_commit = on_commit  # wakes the relay and projectors after an effect committed
        self.batch_records = batch_records
        self.tracer = trace.get_tracer("wuding.inbox", tracer_provider=tracer_provider)
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Connect and consume in the background (`run` is what a supervisor calls)."""
        await ensure_topics(self.bootstrap_servers, *self.topics, self.dead_letter_topic)
        self._producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap_servers, acks="all")
        self._consumer = AIOKafkaConsumer(
            *self.topics,
            bootstrap_servers=self.bootstrap_servers,
            group_id=self.name,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            # A fetch returns when data arrives, or after this wait; the embedded Tansu answers
            # a waiting fetch only when the wait ends, so aiokafka's 500 ms default was the
            # floor of every reaction's latency (bench/e2e_latency.py).
            fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
            # The embedded broker answers a JoinGroup after about half the session timeout, so
            # aiokafka's 10 s made every consumer start ~5 s late. 6 s is Kafka's lowest
            # allowed (group.min.session.timeout.ms); heartbeats run apart from the batches.
            session_timeout_ms=SESSION_TIMEOUT_MS,
            heartbeat_interval_ms=SESSION_TIMEOUT_MS // 3,
        )
        await self._producer.start()
        try:
            await self._consumer.start()
        except BaseException:
            await self._producer.stop()
            raise
        self._task = asyncio.create_task(self._consume(), name=f"inbox:{self.name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for client in (self._consumer, self._producer):
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.stop()
        self._consumer = self._producer = None

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until `stop` is set: the loop a service's supervisor runs (and restarts).
        A consuming loop that dies raises here, so the supervisor sees it and restarts."""
        await self.start()
        try:
            assert self._task is not None
            stopping = asyncio.create_task(stop.wait())
            done, _ = await asyncio.wait({stopping, self._task}, return_when="FIRST_COMPLETED")
            stopping.cancel()
            if self._task in done:
                self._task.result()  # its exception, if it failed
        finally:
            await self.stop()

    async def _consume(self) -> None:
        assert self._consumer is not None
        while True:
            batches = await self._consumer.getmany(timeout_ms=500, max_records=self.batch_records)
            records = [r for partition in batches.values() for r in partition]
            if not records:
                continue
            try:
                await self._process_batch(records)
            except Exception as exc:
                if not (is_transient(exc) or isinstance(exc, KafkaError)):
                    raise
                # Transient (database or broker down): wait, then read the batch again.
                log.warning("consumer.retrying", consumer=self.name, error=repr(exc))
                metrics.CONSUMER_PROCESSED.labels(self.name, "retried").inc(len(records))
                await asyncio.sleep(self.retry_delay)
                for tp, partition in batches.items():
                    self._consumer.seek(tp, partition[0].offset)

    async def _process_batch(self, records: list[ConsumerRecord[Any, Any]]) -> None:
        """The batch's effects in one transaction, then its dead letters, then its offsets."""
        failed: list[_Failed] = []
        events: list[tuple[ConsumerRecord[Any, Any], IncomingEvent]] = []
        for record in records:
            try:
                events.append((record, from_message(record.headers, record.value)))
            except MalformedEvent as exc:
                failed.append(_Failed(record, str(exc)))
        processed = duplicates = 0
        if events:
            processed, duplicates = await self._apply_batch(events, failed)
        if processed and self.on_commit is not None:
            self.on_commit()
        for problem in failed:
            if problem.event is not None:
                await self._park(problem.event, problem.reason)
            await self._dead_letter(problem.record, problem.reason)
        assert self._consumer is not None
        await self._consumer.commit(_next_offsets(records))
        metrics.CONSUMER_PROCESSED.labels(self.name, "processed").inc(processed)
        metrics.CONSUMER_PROCESSED.labels(self.name, "duplicate").inc(duplicates)
        if events:
            metrics.CONSUMER_LAG_SECONDS.labels(self.name).set(
                (datetime.now(UTC) - events[-1][1].time).total_seconds()
            )

    async def _apply_batch(
        self, events: list[tuple[ConsumerRecord[Any, Any], IncomingEvent]],
        failed: list[_Failed],
    ) -> tuple[int, int]:  # fmt: skip
        """The batch's effects: (processed, duplicates); what fails for good joins `failed`."""
        malformed = list(failed)
        for _ in range(CONFLICT_RETRIES):
            failed[:] = malformed
            try:
                try:  # the common case: nothing fails, no savepoint, one write at the end
                    return await self._apply_all(events, failed, savepoints=False)
                except _FailedForGood:
                    # An event fails for good: the batch again, each event in its own
                    # savepoint, so only that one is rolled back (and parked, dead-lettered).
                    return await self._apply_all(events, failed, savepoints=True)
            except _MetAnotherWriter:
                log.info("consumer.conflict_retry", consumer=self.name)
                metrics.CONSUMER_PROCESSED.labels(self.name, "conflict_retried").inc(len(events))
        # Conflicting every time: each event alone, a conflict then failing it for good.
        failed[:] = malformed
        return await self._apply_all(events, failed, savepoints=True, conflicts_fail=True)

    async def _apply_all(
        self, events: list[tuple[ConsumerRecord[Any, Any], IncomingEvent]],
        failed: list[_Failed], *, savepoints: bool, conflicts_fail: bool = False,
    ) -> tuple[int, int]:  # fmt: skip
        """The batch's effects and inbox rows in one transaction: (processed, duplicates).
        Without `savepoints` the batch's appends are deferred to its end and an event that
        fails for good raises _FailedForGood (the whole transaction rolls back); with them it
        is rolled back alone and added to `failed`. A conflict with another writer raises
        _MetAnotherWriter, unless `conflicts_fail`."""
        cache = StreamCache(deferred=not savepoints)
        token = BATCH_CACHE.set(cache)
        try:
            return await self._apply_in_transaction(
                events, failed, cache, savepoints, conflicts_fail
            )
        except CommandAlreadyRecorded as exc:
            # A reaction the log holds already: command by command, each answered from it.
            raise _FailedForGood from exc
        except ConcurrencyConflict as exc:  # deferred appends at the batch's end
            raise _MetAnotherWriter from exc
        finally:
            BATCH_CACHE.reset(token)

    async def _apply_in_transaction(
        self, events: list[tuple[ConsumerRecord[Any, Any], IncomingEvent]],
        failed: list[_Failed], cache: StreamCache, savepoints: bool, conflicts_fail: bool,
    ) -> tuple[int, int]:  # fmt: skip
        duplicates = 0
        async with self.pool.acquire() as conn, conn.transaction():
            seen = set(await conn.fetchval(
                "SELECT coalesce(array_agg(event_id), '{}') FROM inbox"
                " WHERE consumer = $1 AND event_id = ANY($2::uuid[])",
                self.name, [e.event_id for _, e in events],
            ))  # fmt: skip
            fresh: list[tuple[ConsumerRecord[Any, Any], IncomingEvent]] = []
            for record, event in events:
                if event.event_id in seen:
                    duplicates += 1
                else:
                    seen.add(event.event_id)  # the same event twice in one batch: once
                    fresh.append((record, event))
            await self._begin(conn, [e for _, e in fresh], savepoints)
            done: list[tuple[ConsumerRecord[Any, Any], IncomingEvent]] = []
            for record, event in fresh:
                mark = cache.mark() if savepoints else None
                problem = await self._apply(conn, event, record, savepoints, conflicts_fail)
                if problem is None:
                    done.append((record, event))
                elif mark is None:
                    raise _FailedForGood
                else:
                    cache.reset(mark)  # its effect was rolled back to its savepoint
                    failed.append(problem)
            try:
                await self.handler.end(conn)  # deferred appends: the transaction's first write
            except ConcurrencyConflict:
                raise
            except Exception as exc:
                if is_transient(exc):
                    raise
                raise _FailedForGood from exc  # event by event, appends made at once
            if done:
                await conn.execute(
                    "INSERT INTO inbox (consumer, event_id, topic, event_type)"
                    " SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::text[])",
                    self.name, [e.event_id for _, e in done], [r.topic for r, _ in done],
                    [e.type for _, e in done],
                )  # fmt: skip
        return len(done), duplicates

    async def _begin(
        self, conn: asyncpg.Connection, events: list[IncomingEvent], savepoints: bool
    ) -> None:
        """The handler's work before the batch (reading ahead: an optimisation). What fails
        there for good, a hostile event among them, must not stop the batch: without
        savepoints the batch runs again with them; with them it goes on without reading
        ahead, and each event meets its own fault."""
        try:
            async with conn.transaction() if savepoints else contextlib.nullcontext():
                await self.handler.begin(conn, events)
        except Exception as exc:
            if is_transient(exc):
                raise
            if not savepoints:
                raise _FailedForGood from exc
            log.warning("consumer.begin_failed", consumer=self.name, error=describe(exc))

    async def _apply(
        self, conn: asyncpg.Connection, event: IncomingEvent, record: ConsumerRecord[Any, Any],
        savepoint: bool, conflicts_fail: bool,
    ) -> _Failed | None:  # fmt: skip
        """One event's effect (in a savepoint, if asked: rolled back alone if it fails for
        good). A fault of the moment, or meeting another writer, propagates and rolls the
        whole batch back."""
        span = (
            self.tracer.start_as_current_span(
                f"{record.topic} process",
                kind=SpanKind.CONSUMER,
                context=propagate.extract(event.headers),
                attributes={"messaging.system": "kafka", "messaging.destination": record.topic},
            )
            if tracing_enabled()
            else contextlib.nullcontext()
        )
        with span:
            try:
                # The effect comes first: if it appends events, its append is the
                # transaction's first write (see EventStore.append); a savepoint writes nothing.
                async with conn.transaction() if savepoint else contextlib.nullcontext():
                    await self.handler(conn, event)
            except PoisonEvent as exc:
                return _Failed(record, str(exc))
            except ConcurrencyConflict as exc:
                if not conflicts_fail:
                    raise _MetAnotherWriter from exc
                return _Failed(record, describe(exc), event)
            except Exception as exc:
                if is_transient(exc):
                    raise
                return _Failed(record, describe(exc), event)  # the same on every redelivery
        return None

    async def _park(self, event: IncomingEvent, error: str) -> None:
        reader = f"consumer:{self.name}"
        log.error("consumer.event_parked", consumer=self.name, event_id=str(event.event_id),
                  event_type=event.type, error=error)  # fmt: skip
        async with self.pool.acquire() as conn:
            await park(
                conn, reader, event_id=event.event_id, stream_id=event.subject,
                stream_version=None, event_type=event.type, error=error,
            )  # fmt: skip
        metrics.PARKED_EVENTS.labels(reader).inc()

    async def _dead_letter(self, record: ConsumerRecord[Any, Any], reason: str) -> None:
        headers = [(k, v) for k, v in (record.headers or []) if not k.startswith("dlt_")]
        headers += [
            (k, v.encode())
            for k, v in {
                "dlt_reason": reason,
                "dlt_consumer": self.name,
                "dlt_topic": record.topic,
                "dlt_partition": str(record.partition),
                "dlt_offset": str(record.offset),
            }.items()
        ]
        assert self._producer is not None
        await self._producer.send_and_wait(
            self.dead_letter_topic, record.value or b"", key=record.key, headers=headers
        )
        log.warning(
            "consumer.dead_lettered", consumer=self.name, reason=reason, offset=record.offset
        )
        metrics.CONSUMER_PROCESSED.labels(self.name, "dead_lettered").inc()


def _next_offsets(records: list[ConsumerRecord[Any, Any]]) -> dict[TopicPartition, int]:
    """Per partition, the offset after the last record of the batch (what a commit names)."""
    offsets: dict[TopicPartition, int] = {}
    for r in records:
        offsets[TopicPartition(r.topic, r.partition)] = r.offset + 1
    return offsets
