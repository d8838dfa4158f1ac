"""Policy events: a pack version published, on the stream `policy-<region>`."""

from __future__ import annotations

from pydantic import Field

from shared.eventstore import DomainEvent


class PolicyPackPublished(DomainEvent):
    """A policy pack version was put in force for its region (stream `policy-<region>`).

    Nothing is re-scored by this alone: re-evaluation is a separate, recorded command.
    """

    event_type = "PolicyPackPublished"
    schema_version = 1

    region: str
    version: str
    effective_from: str
    name: str
    content_sha256: str = Field(description="SHA-256 of the pack as published")


def policy_stream(region: str) -> str:
    return f"policy-{region}"


POLICY_EVENT_TYPES: tuple[type[DomainEvent], ...] = (PolicyPackPublished,)
