"""Published event contracts: an AsyncAPI 3.0 document built from the services' event catalogs.

Each service's topic is a channel; each event type (at its current schema version) is a
message whose payload schema is the pydantic model's JSON Schema and whose headers are the
CloudEvents attributes the relay sends (shared/cloudevents.py). Nested models a payload uses
live once under components/schemas (pydantic's `$defs` are local to one schema, so a `$ref` to
them from a message would not resolve); tests/e2e/test_contracts.py runs @asyncapi/parser on it.
"""

from __future__ import annotations

from typing import Any

from shared.cloudevents import TYPE_PREFIX, ce_type
from shared.eventstore.catalog import DomainEvent, EventCatalog
from shared.kafka import events_topic
from shared.sealing import SEAL_EVENT, LogSealed

SCHEMA_REF = "#/components/schemas/{model}"
# Where the topics are. The embedded stack's default is KernelSettings.kafka_bootstrap_servers;
# production's is deploy/k8s/base/config.yaml's WUDING_KAFKA_BOOTSTRAP_SERVERS (a placeholder
# for whatever the operator's cluster is called).
SERVERS: dict[str, Any] = {
    "embedded": {
        "host": "127.0.0.1:19092",
        "protocol": "kafka",
        "description": "`make run`'s embedded broker (WUDING_KAFKA_BOOTSTRAP_SERVERS default).",
    },
    "production": {
        "host": "wuding-kafka-bootstrap:9092",
        "protocol": "kafka",
        "description": "The cluster's bootstrap service (deploy/k8s); ask the operator for"
        " the address and credentials your network reaches.",
    },
}

CLOUDEVENT_HEADERS: dict[str, Any] = {
    "type": "object",
    "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_subject", "ce_time"],
    "properties": {
        "ce_specversion": {"const": "1.0"},
        "ce_id": {"type": "string", "format": "uuid", "description": "Deduplicate by this."},
        "ce_source": {"type": "string", "examples": ["/wuding/registry"]},
        "ce_type": {"type": "string", "pattern": rf"^{TYPE_PREFIX}\.[a-z]+\.[A-Za-z]+\.v[0-9]+$"},
        "ce_subject": {
            "type": "string",
            "description": "Whom the event is about: a community code (17 digits), or the"
            " stream of a non-community fact such as policy-<region>.",
        },
        "ce_time": {"type": "string", "format": "date-time"},
        "ce_divisioncode": {"type": "string", "pattern": r"^[0-9]{12}$"},
        "ce_streamversion": {"type": "string", "pattern": r"^[0-9]+$"},
        "ce_streamid": {"type": "string", "description": "The event's stream in the log."},
        "ce_eventhash": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "ce_prevhash": {
            "type": "string",
            "pattern": "^[0-9a-f]{64}$",
            "description": "ce_eventhash of the stream's previous event (absent on its first).",
        },
        "ce_logposition": {
            "type": "string",
            "pattern": r"^[0-9]+:[0-9]+$",
            "description": "transaction id:position, the commit order LogSealed seals name.",
        },
        "ce_correlationid": {"type": "string"},
        "ce_causationid": {"type": "string"},
        "traceparent": {"type": "string", "description": "W3C trace context."},
        "content-type": {"const": "application/json; charset=utf-8"},
    },
}


def payload_schema(model: type[DomainEvent], schemas: dict[str, Any]) -> dict[str, Any]:
    """The model's JSON Schema, its nested models moved into `schemas` (refs point there)."""
    schema = model.model_json_schema(mode="serialization", ref_template=SCHEMA_REF)
    for name, definition in schema.pop("$defs", {}).items():
        # One name, one schema: two events nesting different models of one name would make
        # one of them lie, so that stops the build rather than publishing it.
        if schemas.setdefault(name, definition) != definition:
            raise ValueError(f"two different schemas are both named {name}")
    return schema


def asyncapi_document(catalogs: dict[str, EventCatalog], version: str) -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for service, catalog in catalogs.items():
        topic = events_topic(service)
        channel_messages = {}
        # Every service's log carries its seals (shared/sealing.py).
        types: dict[str, type[DomainEvent]] = {**catalog.types(), SEAL_EVENT: LogSealed}
        for name, model in sorted(types.items()):
            message_id = f"{service}.{name}.v{model.schema_version}"
            messages[message_id] = {
                "name": ce_type(service, name, model.schema_version),
                "title": name,
                "summary": (model.__doc__ or name).strip().splitlines()[0],
                "contentType": "application/json",
                "headers": CLOUDEVENT_HEADERS,
                "payload": payload_schema(model, schemas),
                "bindings": {"kafka": {"key": {"type": "string", "description": "= ce_subject"}}},
            }
            channel_messages[message_id] = {"$ref": f"#/components/messages/{message_id}"}
        channels[topic] = {
            "address": topic,
            "description": f"Every event of the {service} service, in commit order, keyed by"
            " community code (one community's events stay on one partition).",
            "messages": channel_messages,
        }
        # The application publishes these (the relay); subscribers are the other side.
        operations[f"publish.{topic}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{topic}"},
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Wuding events",
            "version": version,
            "description": "Topics Wuding publishes and the city-level data platform subscribes"
            " to. CloudEvents 1.0 in Kafka binary mode; at-least-once delivery (deduplicate by"
            " ce_id).",
        },
        "servers": SERVERS,
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": dict(sorted(schemas.items()))},
    }
