"""Reactions to the registry's events (funding's view of each community and its budget lines)
and to matters' (费随事转: an admitted matter's funding, standards/matters.py).

Each runs on the pipeline bound to the inbox's transaction (shared/subscribers.py): the view,
the lines and the inbox row commit together, so a redelivered event changes nothing.
"""

from __future__ import annotations

from pydantic import ValidationError

from services.funding.ledger.events import ledger_stream
from services.funding.ledger.model import Ledger
from services.funding.policy import funding_policy
from services.funding.standards.decide import CommunityFunding, budget_year, decide, observed
from services.funding.standards.events import community_stream
from services.funding.standards.matters import Admitted, Exited, follow_admission, follow_exit
from services.funding.standards.packs import FundingBook
from shared.cloudevents import IncomingEvent
from shared.eventstore import DomainEvent
from shared.inbox import PoisonEvent
from shared.pipeline import Change, CommandPipeline
from shared.registry_view import observed_code
from shared.subscribers import reaction_context

CONSUMER = "funding"


def observed_stream(event: IncomingEvent) -> str:
    """The funding stream a reaction to a registry event folds and appends to."""
    return community_stream(observed_code(event))


class StandardHandlers:
    def __init__(self, book: FundingBook | None = None) -> None:
        self.book = book or FundingBook.shipped()

    async def observe(self, event: IncomingEvent, pipeline: CommandPipeline) -> None:
        """ObserveCommunity: follow a registry event; re-decide the budget lines of the
        event's budget year when it matters."""
        code, stream = observed_code(event), observed_stream(event)
        state, head = await pipeline.fold(stream, CommunityFunding())
        try:
            facts = observed(event.type, event.data, state.facts)
        except ValidationError as exc:
            raise PoisonEvent(f"{event.type} {event.event_id}: {exc.errors()[0]['msg']}") from exc
        if facts is None:
            return
        pack = await funding_policy(pipeline.load, self.book).covering(facts.division_code)
        ctx = reaction_context(event, CONSUMER)
        ref = pack.ref if pack is not None else None
        new = [
            pipeline.new_event(
                e, "ObserveCommunity", ctx, subject=code, division_code=facts.division_code,
                policy_pack=ref if e.is_decision else None,
            )
            for e in decide(facts, state, pack, budget_year(event.time))
        ]  # fmt: skip
        await pipeline.save(ctx, Change(stream, head, new))

    async def follow_matter(self, event: IncomingEvent, pipeline: CommandPipeline) -> None:
        """FollowMatter: an admitted matter's line and its commitment, or its stop."""
        code, stream = observed_code(event), observed_stream(event)
        state, head = await pipeline.fold(stream, CommunityFunding())
        ctx = reaction_context(event, CONSUMER)
        decided: list[DomainEvent]
        try:
            if event.type == "MatterAdmitted":
                admitted = Admitted.model_validate(event.data)
                line, postings = follow_admission(admitted, state, ctx.command_id)
                decided, division = [line] if line else [], admitted.division_code
            else:
                exited = Exited.model_validate(event.data)
                stop = follow_exit(exited, state)
                decided, postings, division = [stop] if stop else [], [], exited.division_code
        except ValidationError as exc:
            raise PoisonEvent(f"{event.type} {event.event_id}: {exc.errors()[0]['msg']}") from exc
        changes = [Change(stream, head, [
            pipeline.new_event(e, "FollowMatter", ctx, subject=code, division_code=division)
            for e in decided
        ])]  # fmt: skip
        if postings:
            ledger_id = ledger_stream(code, postings[0].year)
            _, ledger_head = await pipeline.fold(ledger_id, Ledger())
            new = [
                pipeline.new_event(p, "FollowMatter", ctx, subject=code, division_code=division)
                for p in postings
            ]
            changes.append(Change(ledger_id, ledger_head, new))
        await pipeline.save(ctx, *changes)
