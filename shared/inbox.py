"""Kafka consumers with an inbox: each event's effect happens once, however often it arrives.

The processed event id is written to the `inbox` table in the same transaction as the effect,
so a redelivered event finds itself there and changes nothing. Acknowledgement is explicit:
NACK_ON_ERROR commits the offset only after the handler returned, and rewinds on an error, so a
failed message is retried, never skipped because a later offset was committed (FastStream
issues #2618, #1980). A message that can never be processed (not a CloudEvent, bad payload) is
published to the consumer's dead-letter topic with the reason, and the consumer moves on.
So is an event whose handler fails for good (a constraint it breaks, a bug): it is also parked
(shared/parking.py: counted, in the health report). A fault of the moment (the database
restarting) is retried, never dead-lettered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog
from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from opentelemetry.trace import TracerProvider

from shared.cloudevents import IncomingEvent, MalformedEvent, from_message
from shared.kafka import dead_letter_topic, ensure_topics
from shared.observability import metrics
from shared.parking import describe, is_transient, park

log = structlog.get_logger("wuding.inbox")

EventHandler = Callable[[asyncpg.Connection, IncomingEvent], Awaitable[None]]


class PoisonEvent(Exception):
    """Raised by a handler for an event it can never process: it goes to the dead-letter topic."""


async def _raw_body(message: Any) -> bytes:
    """Leave decoding to us: a body that is not JSON must reach the dead-letter path, not loop."""
    return bytes(message.body)


class InboxConsumer:
    """One consumer group reading `topics`, applying `handler` exactly once per event id."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        name: str,
        topics: Sequence[str],
        handler: EventHandler,
        bootstrap_servers: str,
        tracer_provider: TracerProvider | None = None,
        retry_delay: float = 1.0,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self.pool = pool
        self.name = name
        self.topics = tuple(topics)
        self.handler = handler
        self.bootstrap_servers = bootstrap_servers
        self.dead_letter_topic = dead_letter_topic(name)
        self.retry_delay = retry_delay
        self.on_commit = on_commit  # wakes the relay and projectors after an effect committed
        self.broker = KafkaBroker(
            bootstrap_servers,
            middlewares=[KafkaTelemetryMiddleware(tracer_provider=tracer_provider)],
            logger=None,
        )
        self.broker.subscriber(
            *self.topics,
            group_id=name,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            decoder=_raw_body,
        )(self._on_message)

    async def start(self) -> None:
        await ensure_topics(self.bootstrap_servers, *self.topics, self.dead_letter_topic)
        await self.broker.start()

    async def stop(self) -> None:
        await self.broker.stop()

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until `stop` is set: the loop a service's supervisor runs (and restarts)."""
        await self.start()
        try:
            await stop.wait()
        finally:
            await self.stop()

    async def _on_message(self, body: bytes, message: KafkaMessage) -> None:
        record: ConsumerRecord[Any, Any] = message.raw_message
        try:
            event = from_message(record.headers, record.value)
        except MalformedEvent as exc:
            await self._dead_letter(record, str(exc))
            return
        try:
            await self._process(event, record.topic)
        except PoisonEvent as exc:
            await self._dead_letter(record, str(exc))
        except Exception as exc:
            if not is_transient(exc):
                # It would fail the same way on every redelivery: park it and move on.
                await self._park(event, describe(exc))
                await self._dead_letter(record, describe(exc))
                return
            # Transient (database down): wait, then let the NACK rewind.
            log.warning("consumer.retrying", consumer=self.name, error=repr(exc))
            metrics.CONSUMER_PROCESSED.labels(self.name, "retried").inc()
            await asyncio.sleep(self.retry_delay)
            raise

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

    async def _process(self, event: IncomingEvent, topic: str) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            seen = await conn.fetchval(
                "SELECT 1 FROM inbox WHERE consumer = $1 AND event_id = $2",
                self.name,
                event.event_id,
            )
            if seen:
                metrics.CONSUMER_PROCESSED.labels(self.name, "duplicate").inc()
                return
            # The effect comes first: if it appends events, its append must be the
            # transaction's first write (see EventStore.append).
            await self.handler(conn, event)
            await conn.execute(
                "INSERT INTO inbox (consumer, event_id, topic, event_type) VALUES ($1, $2, $3, $4)",
                self.name,
                event.event_id,
                topic,
                event.type,
            )
        if self.on_commit is not None:
            self.on_commit()
        metrics.CONSUMER_PROCESSED.labels(self.name, "processed").inc()
        metrics.CONSUMER_LAG_SECONDS.labels(self.name).set(
            (datetime.now(UTC) - event.time).total_seconds()
        )

    async def _dead_letter(self, record: ConsumerRecord[Any, Any], reason: str) -> None:
        headers = {k: v.decode(errors="replace") for k, v in (record.headers or [])}
        headers.update(
            {
                "dlt_reason": reason,
                "dlt_consumer": self.name,
                "dlt_topic": record.topic,
                "dlt_partition": str(record.partition),
                "dlt_offset": str(record.offset),
            }
        )
        await self.broker.publish(
            record.value or b"", self.dead_letter_topic, key=record.key, headers=headers
        )
        log.warning(
            "consumer.dead_lettered", consumer=self.name, reason=reason, offset=record.offset
        )
        metrics.CONSUMER_PROCESSED.labels(self.name, "dead_lettered").inc()
