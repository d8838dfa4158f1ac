"""Reactions to the registry's events: each community's list opens at its registration and
ends at its conversion (撤村建居; the successor's own registration opens its urban list).

They run on the pipeline bound to the inbox's transaction (shared/subscribers.py): the list
and the inbox row commit together, so a redelivered event changes nothing.
"""

from __future__ import annotations

from pydantic import ValidationError

from services.matters.catalogue.packs import MattersBook
from services.matters.lists.decide import (
    CommunityList,
    Conversion,
    Registration,
    end_list,
    open_list,
)
from services.matters.lists.events import MatterListEnded, MatterListOpened, list_stream
from services.matters.policy import matters_policy
from shared.cloudevents import IncomingEvent
from shared.inbox import PoisonEvent
from shared.pipeline import Change, CommandPipeline
from shared.subscribers import reaction_context

CONSUMER = "matters"
FOLLOWED_TYPES = ("CommunityRegistered", "CommunityConverted")


def observed_stream(event: IncomingEvent) -> str:
    """The list stream a reaction to a registry event folds and appends to."""
    return list_stream(str(event.data.get("code") or event.subject))


class ListObserver:
    def __init__(self, book: MattersBook | None = None) -> None:
        self.book = book or MattersBook.shipped()

    async def observe(self, event: IncomingEvent, pipeline: CommandPipeline) -> None:
        """ObserveCommunity: open or end a community's list."""
        stream = observed_stream(event)
        state, head = await pipeline.fold(stream, CommunityList())
        division: str | None
        decided: list[MatterListOpened] | list[MatterListEnded]
        try:
            if event.type == "CommunityRegistered":
                registration = Registration.model_validate(event.data)
                division = registration.division_code
                pack = await matters_policy(pipeline.load, self.book).covering(division)
                decided = open_list(registration, event.time, state, pack)
            else:
                pack, division = None, state.division_code
                decided = end_list(Conversion.model_validate(event.data), event.time, state)
        except ValidationError as exc:
            raise PoisonEvent(f"{event.type} {event.event_id}: {exc.errors()[0]['msg']}") from exc
        ctx = reaction_context(event, CONSUMER)
        new = [
            pipeline.new_event(
                e, "ObserveCommunity", ctx, subject=stream.removeprefix("list-"),
                division_code=division, runways=",".join(e.runways),
                policy_pack=pack.ref if pack is not None and e.is_decision else None,
            )
            for e in decided
        ]  # fmt: skip
        await pipeline.save(ctx, Change(stream, head, new))
