"""Domain events as pydantic models, their stable type names, versions and upcasters.

Type names are explicit strings (`CommunityRegistered`), never a module path, so classes can
move. An event type whose payload changes incompatibly gets a new schema version; stored events
are never rewritten: an upcaster lifts an old payload one version at a time when it is read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from shared.eventstore.envelope import Envelope, NewEvent
from shared.values import Record, as_stored

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class DomainEvent(Record):
    """Base of every event payload. Subclasses set `event_type` and `schema_version`.

    Its fields use the value types of `shared.values`, so no event holding a value a read
    model cannot store can be built (command handlers turn the refusal into a 422:
    `refusing_invalid_values`).
    """

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1
    # A decision of a versioned rule (a tier, a finding, a quota): its metadata names the
    # policy pack that decided it (ARCHITECTURE rule 5).
    is_decision: ClassVar[bool] = False


class UnknownEventType(LookupError):
    pass


class EventCatalog:
    """One service's event types: decode envelopes into models, upcasting old versions."""

    def __init__(self, source: str) -> None:
        self.source = source  # CloudEvents source, e.g. "/wuding/registry"
        self._types: dict[str, type[DomainEvent]] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}

    def register(self, *event_classes: type[DomainEvent]) -> None:
        for cls in event_classes:
            self._types[cls.event_type] = cls

    def upcaster(self, event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Decorator: `fn(payload_v_n) -> payload_v_n+1`."""

        def decorate(fn: Upcaster) -> Upcaster:
            self._upcasters[(event_type, from_version)] = fn
            return fn

        return decorate

    def types(self) -> dict[str, type[DomainEvent]]:
        return dict(self._types)

    def new_event(self, event: DomainEvent, metadata: dict[str, Any]) -> NewEvent:
        return NewEvent(
            event_type=event.event_type,
            schema_version=event.schema_version,
            payload=event.model_dump(mode="json"),
            metadata=metadata,
        )

    def upcast(self, envelope: Envelope, *, strict: bool = True) -> Envelope:
        """The envelope with its payload lifted to the current schema version.

        An unknown type raises, unless `strict` is off: then the envelope passes as stored.
        """
        cls = self._types.get(envelope.event_type)
        if cls is None:
            if strict:
                raise UnknownEventType(envelope.event_type)
            return envelope
        payload, version = envelope.payload, envelope.schema_version
        while version < cls.schema_version:
            step = self._upcasters.get((envelope.event_type, version))
            if step is None:
                raise UnknownEventType(
                    f"{envelope.event_type} v{version}: no upcaster to v{version + 1}"
                )
            payload, version = step(payload), version + 1
        if version == envelope.schema_version:
            return envelope
        return envelope.with_payload(payload, version)

    def decode(self, envelope: Envelope) -> DomainEvent:
        current = self.upcast(envelope)
        with as_stored():  # as written: a text rule tightened since leaves old events readable
            return self._types[current.event_type].model_validate(current.payload)
