"""How the registry records an event: on a community's stream or a proposal's.

Both are named by their subject (a community code, or a proposal id starting with its
12-digit division code), which is the Kafka key and gives the district; a rule's decision
(`is_decision`: a tier, a finding) names the policy pack that decided it.
"""

from __future__ import annotations

from collections.abc import Iterable

from services.registry.policy.packs import PolicyPack
from shared.commands import CommandContext
from shared.eventstore import DomainEvent, NewEvent
from shared.pipeline import CommandPipeline


def recorded(
    pipeline: CommandPipeline,
    command: str,
    subject: str,
    ctx: CommandContext,
    events: Iterable[DomainEvent],
    pack: PolicyPack | None = None,
    **extra: str,
) -> list[NewEvent]:
    """`events` with their metadata, recorded by `command` (its stable name)."""
    return [
        pipeline.new_event(
            event,
            command,
            ctx,
            subject=subject,
            division_code=subject[:12],
            policy_pack=pack.ref if pack is not None and event.is_decision else None,
            **extra,
        )
        for event in events
    ]
