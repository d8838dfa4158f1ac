"""The scheduled deadline check: every line with a deadline passed, flags raised or cleared
(ledger/deadlines.py). `run_once(today)` takes the day, so tests choose it; `run` checks every
`interval` under the runtime's supervisor with Beijing's date."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime
from uuid import UUID, uuid5

import asyncpg

from services.funding.ledger.deadlines import overdue_changes
from services.funding.ledger.events import ledger_stream
from services.funding.ledger.model import Ledger
from services.funding.standards.decide import CommunityFunding
from services.funding.standards.events import community_stream
from shared.commands import CommandContext
from shared.pipeline import Change, CommandPipeline
from shared.stream_locks import locked
from shared.values import BEIJING

CHECKER = "funding:deadlines"
CHECKER_ID = UUID("5d0c4e1a-7b2f-4d9e-9a61-3c8f0e2b7d45")


def beijing_today() -> date:
    return datetime.now(UTC).astimezone(BEIJING).date()


class DeadlineChecker:
    def __init__(
        self, pool: asyncpg.Pool, pipeline: CommandPipeline, *, interval: float = 3600.0,
        today: Callable[[], date] = beijing_today,
    ) -> None:  # fmt: skip
        self.pool = pool
        self.pipeline = pipeline
        self.interval = interval
        self.today = today

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.run_once(self.today())
            try:
                await asyncio.wait_for(stop.wait(), self.interval)
            except TimeoutError:
                pass

    async def run_once(self, today: date) -> int:
        """Check every ledger with a deadline before `today`; return the flags changed."""
        rows = await self.pool.fetch(
            "SELECT DISTINCT code, year FROM funding_deadlines WHERE due < $1 ORDER BY code, year",
            today,
        )
        changed = 0
        for row in rows:
            changed += await self._check(row["code"], row["year"], today)
        return changed

    async def _check(self, code: str, year: int, today: date) -> int:
        ledger_id = ledger_stream(code, year)
        async with locked(
            self.pool, self.pipeline, reading=[community_stream(code)], changing=[ledger_id]
        ) as pipeline:
            community, _ = await pipeline.fold(community_stream(code), CommunityFunding())
            ledger, head = await pipeline.fold(ledger_id, Ledger())
            changes = overdue_changes(community.lines_of(year), ledger, today)
            if not changes:
                return 0
            # One command per ledger and day: a check run twice the same day is a replay.
            ctx = CommandContext(
                actor_id=CHECKER, actor_kind="system",
                command_id=uuid5(uuid5(CHECKER_ID, ledger_id), f"{today}/{head.version}"),
            )  # fmt: skip
            if await pipeline.replay(ctx):
                return 0
            division = community.facts.division_code if community.facts else None
            new = [
                pipeline.new_event(e, "CheckDeadlines", ctx, subject=code, division_code=division)
                for e in changes
            ]
            await pipeline.save(ctx, Change(ledger_id, head, new))
            return len(new)
