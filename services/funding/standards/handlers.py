"""Reactions to the registry's events (funding's view of each community and its budget lines),
to matters' (费随事转: an admitted matter's funding, standards/matters.py) and to staffing's
(a qualification's one-off bonus, standards/bonuses.py).

Each runs on the pipeline bound to the inbox's transaction (shared/subscribers.py): the view,
the lines and the inbox row commit together, so a redelivered event changes nothing.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError

from services.funding.ledger.events import ledger_stream
from services.funding.ledger.model import Ledger
from services.funding.policy import funding_policy
from services.funding.standards.bonuses import (
    Assigned,
    HeldBonuses,
    Obtained,
    bonus_line,
    hold,
)
from services.funding.standards.decide import CommunityFunding, budget_year, decide, observed
from services.funding.standards.events import (
    QualificationBonusReleased,
    community_stream,
    worker_stream,
)
from services.funding.standards.matters import Admitted, Exited, follow_admission, follow_exit
from services.funding.standards.packs import FundingBook
from shared.cloudevents import IncomingEvent
from shared.commands import CommandContext
from shared.eventstore import DomainEvent
from shared.inbox import PoisonEvent
from shared.pipeline import Change, CommandPipeline
from shared.registry_view import observed_code
from shared.subscribers import reaction_context

CONSUMER = "funding"
Read = TypeVar("Read", bound=BaseModel)


def observed_stream(event: IncomingEvent) -> str:
    """The funding stream a reaction to a registry event folds and appends to."""
    return community_stream(observed_code(event))


def read(model: type[Read], event: IncomingEvent) -> Read:
    """The fields funding reads of another service's event; a PoisonEvent (dead-lettered) when
    the event is not what that service publishes."""
    try:
        return model.model_validate(event.data)
    except ValidationError as exc:
        raise PoisonEvent(f"{event.type} {event.event_id}: {exc.errors()[0]['msg']}") from exc


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

    async def reward_qualification(self, event: IncomingEvent, pipeline: CommandPipeline) -> None:
        """RewardQualification: the bonus onto the line of the community the worker serves, or
        held on the worker's stream while the worker serves none."""
        obtained = read(Obtained, event)
        ctx = reaction_context(event, CONSUMER)
        if obtained.code is not None:
            grant = [(obtained.worker_id, obtained.level)]
            year = obtained.effective_from.year
            await self._grant(pipeline, ctx, obtained.code, year, grant)
            return
        stream = worker_stream(obtained.worker_id)
        worker, head = await pipeline.fold(stream, HeldBonuses())
        held = hold(obtained, worker)
        if held is not None:
            new = pipeline.new_event(held, "RewardQualification", ctx, subject=obtained.worker_id,
                                     division_code=obtained.division_code)  # fmt: skip
            await pipeline.save(ctx, Change(stream, head, [new]))

    async def release_held(self, event: IncomingEvent, pipeline: CommandPipeline) -> None:
        """RewardQualification on an assignment: a pool worker's held bonuses onto the line of
        the community the worker now serves, for the year of the assignment."""
        assigned = read(Assigned, event)
        stream = worker_stream(assigned.worker_id)
        worker, head = await pipeline.fold(stream, HeldBonuses())
        if not worker.held:
            return
        ctx = reaction_context(event, CONSUMER)
        levels = sorted(worker.held)
        released = QualificationBonusReleased(
            worker_id=assigned.worker_id, code=assigned.code, levels=levels
        )
        new = pipeline.new_event(
            released, "RewardQualification", ctx, subject=assigned.worker_id,
            division_code=assigned.code[:12],
        )  # fmt: skip
        grants = [(assigned.worker_id, level) for level in levels]
        year = assigned.effective_from.year
        await self._grant(pipeline, ctx, assigned.code, year, grants, Change(stream, head, [new]))

    async def _grant(
        self, pipeline: CommandPipeline, ctx: CommandContext, code: str, year: int,
        grants: list[tuple[str, str]], *released: Change,
    ) -> None:  # fmt: skip
        """The community's bonus line with `grants` added, saved with `released` (the worker
        stream's change) all or none. A community no bonus pack covers keeps the bonus held."""
        stream = community_stream(code)
        state, head = await pipeline.fold(stream, CommunityFunding())
        division = state.facts.division_code if state.facts else code[:12]
        pack = await funding_policy(pipeline.load, self.book).covering(division)
        if pack is None or pack.qualification_bonus is None:
            return
        line = bonus_line(state, code, division, year, pack, grants)
        new = [] if line is None else [
            pipeline.new_event(line, "RewardQualification", ctx, subject=code,
                               division_code=division, policy_pack=pack.ref)
        ]  # fmt: skip
        await pipeline.save(ctx, Change(stream, head, new), *released)
