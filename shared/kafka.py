"""Kafka plumbing shared by the relay, consumers and tests: topic names, topic creation."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

DEFAULT_PARTITIONS = 3


def events_topic(service: str) -> str:
    """Each service publishes its events to `<service>.events` (e.g. `registry.events`)."""
    return f"{service}.events"


def dead_letter_topic(consumer: str) -> str:
    """Messages a consumer cannot read go to `<consumer>.dlt`, with the reason in headers."""
    return f"{consumer}.dlt"


async def ensure_topics(
    bootstrap_servers: str, *topics: str, partitions: int = DEFAULT_PARTITIONS
) -> None:
    """Create the topics if they are missing (the embedded broker starts empty every time)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=10_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if missing:
            try:
                await admin.create_topics(
                    [NewTopic(t, num_partitions=partitions, replication_factor=1) for t in missing]
                )
            except TopicAlreadyExistsError:
                pass  # another process created it meanwhile
    finally:
        await admin.close()
