"""Checking a district's floors whenever its figures may have moved: staffing's reaction to
its own topic (shared/subscribers.py). The figures come from staffing's read models, so the
check first waits until they have applied the event it reacts to; the findings it opens or
resolves go on the district's stream, on the inbox's transaction (a redelivery is the same
command and appends nothing)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from services.staffing.district.events import district_stream
from services.staffing.district.findings import OpenFindings, reconcile
from services.staffing.district.queries import DISTRICT_PATTERN, DistrictQueries
from shared.cloudevents import IncomingEvent
from shared.errors import NotFound
from shared.eventstore import Checkpoint
from shared.inbox import PoisonEvent
from shared.kafka import events_topic
from shared.pipeline import Change, CommandPipeline
from shared.subscribers import Subscription, reaction_context

CHECKER = "staffing-district-checks"  # the consumer group and the commands' actor
# Staffing's own events that can move a district's residents, filled positions or pay figures.
CHECKED_TYPES = (
    "CommunityObserved", "QuotaSet", "PositionFilled", "PositionVacated", "PositionAbolished",
    "PayRecorded", "DistrictIncomeRecorded",
)  # fmt: skip

CaughtUp = Callable[[Checkpoint], Awaitable[bool]]


def district_of(event: IncomingEvent) -> str:
    """The district (6-digit prefix) a staffing event concerns, from its division code."""
    prefix = event.headers.get("ce_divisioncode", "")[:6]
    if not re.fullmatch(DISTRICT_PATTERN, prefix):
        raise PoisonEvent(f"{event.type} {event.event_id}: no district in its division code")
    return prefix


def checked_stream(event: IncomingEvent) -> str | None:
    try:
        return district_stream(district_of(event))
    except PoisonEvent:
        return None  # the reaction reports it


class DistrictChecks:
    def __init__(self, queries: DistrictQueries, caught_up: CaughtUp) -> None:
        self.queries = queries
        self.caught_up = caught_up  # ServiceRuntime.caught_up: the read models applied it

    async def check(self, event: IncomingEvent, pipeline: CommandPipeline) -> None:
        """CheckDistrict: bring the district's findings in line with its figures now."""
        prefix = district_of(event)
        try:
            applied = Checkpoint.parse(event.headers["ce_logposition"])
        except (KeyError, ValueError) as exc:
            raise PoisonEvent(f"{event.type} {event.event_id}: no log position") from exc
        if not await self.caught_up(applied):
            # A fault of the moment (TimeoutError is an OSError): the batch runs again.
            raise TimeoutError("staffing's read models have not applied the event yet")
        try:
            now = await self.queries.district(prefix)
        except NotFound:
            return  # staffing follows no community there (any more)
        stream = district_stream(prefix)
        found, head = await pipeline.fold(stream, OpenFindings())
        ctx = reaction_context(event, CHECKER)
        new = [
            pipeline.new_event(
                e,
                "CheckDistrict",
                ctx,
                subject=prefix,
                division_code=prefix,
                policy_pack=now.policy_pack,
            )
            for e in reconcile(found, now)
        ]
        await pipeline.save(ctx, Change(stream, head, new))


def checks_subscription(checks: DistrictChecks) -> Subscription:
    return Subscription(
        CHECKER, [events_topic("staffing")], dict.fromkeys(CHECKED_TYPES, checks.check),
        checked_stream,
    )  # fmt: skip
