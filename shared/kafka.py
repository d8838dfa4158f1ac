"""Kafka plumbing shared by the relay, consumers and tests: topic names, topic creation."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.client import AIOKafkaClient
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError
from aiokafka.protocol.metadata import MetadataRequest

# The embedded Tansu creates a topic that any client asks for with 4 partitions (Kafka
# clients ask with auto-creation on; Tansu cannot turn it off). After a restart lost its
# topics, whoever asks first recreates them: with the same count, keys keep their partition.
# Apache Kafka in deploy/k8s has auto-creation off and 12 (WUDING_KAFKA_TOPIC_PARTITIONS).
DEFAULT_PARTITIONS = 4
_UNKNOWN_TOPIC = 3


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


async def topic_partitions(client: AIOKafkaClient, topic: str) -> set[int] | None:
    """The topic's partitions, or None when it does not exist. Asks with auto-creation off
    (a client's own metadata requests would create it with the broker's default count)."""
    node = client.get_random_node()
    if node is None:
        raise KafkaConnectionError("no broker known to ask for metadata")
    response = await client.send(node, MetadataRequest([topic], allow_auto_topic_creation=False))
    [found] = response.to_object()["topics"]
    if found["error_code"] == _UNKNOWN_TOPIC:
        return None
    return {p["partition"] for p in found["partitions"]}
