"""Reactions to the registry's events: staffing's view of each community and its quota.

Each runs on the pipeline bound to the inbox's transaction (shared/subscribers.py): the view,
the quota and the inbox row commit together, so a redelivered event changes nothing.
"""

from __future__ import annotations

from pydantic import ValidationError

from services.staffing.policy import staffing_policy
from services.staffing.quota.decide import CommunityQuota, decide, observed
from services.staffing.quota.events import community_stream
from services.staffing.quota.packs import StaffingBook
from shared.cloudevents import IncomingEvent
from shared.inbox import PoisonEvent
from shared.pipeline import Change, CommandPipeline
from shared.registry_view import observed_code
from shared.subscribers import reaction_context

CONSUMER = "staffing"


def observed_stream(event: IncomingEvent) -> str:
    """The staffing stream a reaction to a registry event folds and appends to."""
    return community_stream(observed_code(event))


class QuotaHandlers:
    def __init__(self, book: StaffingBook | None = None) -> None:
        self.book = book or StaffingBook.shipped()

    async def observe(self, event: IncomingEvent, pipeline: CommandPipeline) -> None:
        """ObserveCommunity: follow a registry event; re-decide the quota when it matters."""
        code, stream = observed_code(event), observed_stream(event)
        state, head = await pipeline.fold(stream, CommunityQuota())
        try:
            facts = observed(event.type, event.data, state.facts)
        except ValidationError as exc:
            raise PoisonEvent(f"{event.type} {event.event_id}: {exc.errors()[0]['msg']}") from exc
        if facts is None:
            return
        # The pack published now, read on the batch's transaction (cached for the batch).
        pack = await staffing_policy(pipeline.load, self.book).covering(facts.division_code)
        ctx = reaction_context(event, CONSUMER)
        ref = pack.ref if pack is not None else None
        new = [
            pipeline.new_event(
                e,
                "ObserveCommunity",
                ctx,
                subject=code,
                division_code=facts.division_code,
                policy_pack=ref if e.is_decision else None,
            )
            for e in decide(facts, state, pack)
        ]
        await pipeline.save(ctx, Change(stream, head, new))
