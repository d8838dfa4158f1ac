"""Who issued a command and why: the metadata every appended event carries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

from shared.observability.tracing import current_trace_headers


@dataclass(frozen=True)
class CommandContext:
    """Set by the service's HTTP layer from the gateway's headers."""

    actor_id: str
    actor_kind: str
    district: str | None = None
    correlation_id: str | None = None
    command_id: UUID = field(default_factory=uuid4)

    def metadata(self, command_type: str, **extra: Any) -> dict[str, Any]:
        """Envelope metadata: actor, district, correlation/causation ids, trace context."""
        meta: dict[str, Any] = {
            "actor": self.actor_id,
            "actor_kind": self.actor_kind,
            "district": self.district,
            "command": command_type,
            "command_id": str(self.command_id),
            "correlation_id": self.correlation_id or str(self.command_id),
            "causation_id": self.causation(),
            **current_trace_headers(),
            **extra,
        }
        return {k: v for k, v in meta.items() if v is not None}

    def causation(self) -> str:
        """What caused the events: the command itself (a reaction names the incoming event)."""
        return str(self.command_id)
