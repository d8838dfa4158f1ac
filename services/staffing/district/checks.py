"""Checking a district's floors whenever its figures may have moved.

Two parts, both on staffing's own log (no round trip through its topic):
- `DistrictMarks`, a projection: each event that can move a district's residents, filled
  positions or pay figures marks the district in `staffing_district_checks`, in the same
  transaction as the read models the check reads;
- `DistrictChecker`, a supervised loop: each marked district once, however many events marked
  it (a busy district costs one check a round, not one an event), reads the figures as
  `GET /v1/districts/{prefix}/staffing` does, appends the findings that changed
  (findings.py) and clears the mark, in one transaction. The command id derives from the
  marking event, so a check run twice (two replicas, a restart) appends once.
Counts are effective-dated (a position filled from next month counts from that day), so the
checker also marks every district once a day, and `PolicyPackPublished` marks them all: a
day or a pack can move the figures without an event of the district.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from uuid import uuid5

import asyncpg
import structlog

from services.staffing.district.events import district_stream
from services.staffing.district.findings import OpenFindings, reconcile
from services.staffing.district.queries import DISTRICT_PATTERN, DistrictQueries
from shared.errors import ConcurrencyConflict, NotFound
from shared.eventstore import Checkpoint, Envelope
from shared.parking import describe, is_transient
from shared.pipeline import Change, CommandPipeline
from shared.subscribers import REACTIONS, ReactionContext

log = structlog.get_logger()

CHECKER = "staffing-district-checks"  # the commands' actor
# Staffing's own events that can move a district's residents, filled positions or pay figures.
CHECKED_TYPES = frozenset({
    "CommunityObserved", "QuotaSet", "PositionFilled", "PositionVacated", "PositionAbolished",
    "PayRecorded", "DistrictIncomeRecorded",
})  # fmt: skip

CaughtUp = Callable[[Checkpoint], Awaitable[bool]]


class DistrictMarks:
    """The `staffing_district_checks` read model: the districts to check, each with the
    latest event that moved its figures."""

    name = "staffing_district_checks"
    tables: tuple[str, ...] = ("staffing_district_checks",)

    async def apply(self, conn: asyncpg.Connection, envelope: Envelope) -> None:
        if envelope.event_type == "PolicyPackPublished":
            await mark_all(conn, f"event {envelope.event_id}")
            return
        if envelope.event_type not in CHECKED_TYPES:
            return
        prefix = str(envelope.metadata.get("division_code") or "")[:6]
        if not re.fullmatch(DISTRICT_PATTERN, prefix):
            return  # an event of no district (none of staffing's checked types is)
        await conn.execute(
            """INSERT INTO staffing_district_checks (prefix, caused_by, log_position)
               VALUES ($1, $2, $3) ON CONFLICT (prefix) DO UPDATE
               SET caused_by = $2, log_position = $3, marked_at = now()""",
            prefix, str(envelope.event_id), envelope.checkpoint.token(),
        )  # fmt: skip


async def mark_all(conn: asyncpg.Connection, cause: str) -> None:
    """Mark every district staffing follows (no log position to wait for: the start)."""
    await conn.execute(
        """INSERT INTO staffing_district_checks (prefix, caused_by, log_position)
           SELECT DISTINCT left(code, 6), $1, '0:0' FROM staffing_quotas
           ON CONFLICT (prefix) DO UPDATE SET caused_by = $1, marked_at = now()""",
        cause,
    )


@dataclass(frozen=True)
class Mark:
    prefix: str
    caused_by: str  # an event id, or "event <id>" / "day <date>" for a district among many
    log_position: Checkpoint

    def causation(self) -> str:
        return self.caused_by.removeprefix("event ")


class DistrictChecker:
    def __init__(
        self, pool: asyncpg.Pool, pipeline: CommandPipeline, queries: DistrictQueries,
        caught_up: CaughtUp, *, interval: float = 0.5, batch: int = 100,
    ) -> None:  # fmt: skip
        self.pool = pool
        self.pipeline = pipeline
        self.queries = queries
        self.caught_up = caught_up  # ServiceRuntime.caught_up: every read model applied it
        self.interval = interval
        self.batch = batch
        self._marked_on: date | None = None  # every district marked (on start, then daily)

    async def run(self, stop: asyncio.Event) -> None:
        """Check the marked districts every `interval`, every district once a day (a fault
        of the moment propagates: the supervisor restarts the loop)."""
        while not stop.is_set():
            today = date.today()
            if today != self._marked_on:
                async with self.pool.acquire() as conn:
                    await mark_all(conn, f"day {today.isoformat()}")
                self._marked_on = today
            await self.run_once()
            try:
                await asyncio.wait_for(stop.wait(), self.interval)
            except TimeoutError:
                pass

    async def run_once(self) -> int:
        """Check every marked district once; return how many were checked."""
        rows = await self.pool.fetch(
            "SELECT prefix, caused_by, log_position FROM staffing_district_checks"
            " ORDER BY marked_at LIMIT $1",
            self.batch,
        )
        checked = 0
        for r in rows:
            mark = Mark(r["prefix"], r["caused_by"], Checkpoint.parse(r["log_position"]))
            try:
                checked += await self.check(mark)
            except Exception as exc:
                if is_transient(exc):
                    raise
                # Left marked, tried again next round; the other districts go on.
                log.error("district_check.failed", prefix=mark.prefix, error=describe(exc))
        return checked

    async def check(self, mark: Mark) -> bool:
        """CheckDistrict: bring the district's findings in line with its figures now."""
        if not await self.caught_up(mark.log_position):
            return False  # another replica's projector is behind: next round
        try:
            now = await self.queries.district(mark.prefix)
        except NotFound:
            now = None  # staffing follows no community there (any more)
        ctx = ReactionContext(
            actor_id=CHECKER, actor_kind="system", correlation_id=mark.causation(),
            command_id=uuid5(REACTIONS, f"{CHECKER}/{mark.prefix}/{mark.caused_by}"),
            caused_by=mark.causation(),
        )  # fmt: skip
        stream = district_stream(mark.prefix)
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                pipeline = self.pipeline.on(conn)
                found, head = await pipeline.fold(stream, OpenFindings())
                decided = reconcile(found, now) if now is not None else []
                new = [
                    pipeline.new_event(
                        e,
                        "CheckDistrict",
                        ctx,
                        subject=mark.prefix,
                        division_code=mark.prefix,
                        policy_pack=now.policy_pack if now is not None else None,
                    )
                    for e in decided
                ]
                await pipeline.save(ctx, Change(stream, head, new))  # the first write
                await conn.execute(
                    "DELETE FROM staffing_district_checks WHERE prefix = $1 AND caused_by = $2",
                    mark.prefix, mark.caused_by,
                )  # fmt: skip
        except ConcurrencyConflict:
            return False  # an income recorded meanwhile, or another replica: next round
        return True
