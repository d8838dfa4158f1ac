"""The roll-over command: next budget year's lines for every community of a district (or the
city), recorded, idempotent.

Each community is rolled over in its own transaction holding exclusive locks on its stream and
its ledger of the year (shared/stream_locks.py), with a command id derived from the command's
and the community's, so a retry or a second run sets nothing twice. The run is recorded on
`rollover-<prefix>-<year>` with what it set (`BudgetYearRolledOver`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from uuid import uuid5

import asyncpg

from services.funding.ledger.events import ledger_stream
from services.funding.ledger.model import Ledger
from services.funding.policy import FundingPolicy
from services.funding.standards.decide import CommunityFunding, budget_year
from services.funding.standards.events import BudgetYearRolledOver, community_stream
from services.funding.standards.rollover import roll_over
from shared.commands import CommandContext
from shared.errors import DependencyUnavailable, FieldProblem, ValidationFailed
from shared.eventstore import Checkpoint, Envelope
from shared.eventstore.store import head_of
from shared.pipeline import Change, CommandPipeline
from shared.stream_locks import locked


@dataclass(frozen=True)
class RollOver:
    command_type = "RollOverBudgetYear"
    division_prefix: str
    year: int


class RolloverHandlers:
    def __init__(
        self, pool: asyncpg.Pool, pipeline: CommandPipeline, policy: FundingPolicy,
        caught_up: Callable[[Checkpoint, float], Awaitable[bool]],
    ) -> None:  # fmt: skip
        self.pool = pool
        self.pipeline = pipeline
        self.policy = policy
        self.caught_up = caught_up  # ServiceRuntime.caught_up: every read model applied it

    async def roll_over(self, cmd: RollOver, ctx: CommandContext) -> list[Envelope]:
        if replay := await self.pipeline.replay(ctx):
            return replay
        this_year = budget_year(datetime.now(UTC))
        if cmd.year not in (this_year, this_year + 1):
            reason = f"a roll-over is to this budget year ({this_year}) or the next"
            raise ValidationFailed(reason, errors=[FieldProblem("year", reason)])
        # The communities are listed from a read model: let it apply the log as it is now, so
        # a community observed a moment ago is rolled over too.
        last = await self.pool.fetchrow(
            "SELECT transaction_id, position FROM events"
            " ORDER BY transaction_id DESC, position DESC LIMIT 1"
        )
        if last is not None and not await self.caught_up(Checkpoint(*last), 10.0):
            raise DependencyUnavailable("funding's read models are catching up; retry shortly")
        codes = await self.pool.fetch(
            "SELECT code FROM funding_communities WHERE starts_with(division_code, $1)"
            " AND status <> 'ended' ORDER BY code",
            cmd.division_prefix,
        )
        lines = postings = touched = 0
        for row in codes:
            set_lines, set_postings = await self._one(row["code"], cmd.year, ctx)
            lines, postings = lines + set_lines, postings + set_postings
            touched += bool(set_lines)
        record = BudgetYearRolledOver(
            division_prefix=cmd.division_prefix, year=cmd.year, communities=len(codes),
            communities_changed=touched, lines_set=lines, postings=postings,
        )  # fmt: skip
        new = self.pipeline.new_event(record, cmd.command_type, ctx, subject=cmd.division_prefix)
        stream = f"rollover-{cmd.division_prefix}-{cmd.year}"
        head = head_of(await self.pipeline.load(stream))
        return await self.pipeline.save(ctx, Change(stream, head, [new]))

    async def _one(self, code: str, year: int, ctx: CommandContext) -> tuple[int, int]:
        """Roll one community over; (lines set, postings)."""
        stream, ledger_id = community_stream(code), ledger_stream(code, year)
        one = replace(ctx, command_id=uuid5(ctx.command_id, code))
        async with locked(self.pool, self.pipeline, changing=[stream, ledger_id]) as pipeline:
            state, head = await pipeline.fold(stream, CommunityFunding())
            if state.facts is None:
                return 0, 0
            pack = await self.policy.reading(pipeline.load).covering(state.facts.division_code)
            lines, postings = roll_over(state, pack, year, one.command_id)
            if not lines:
                return 0, 0
            division = state.facts.division_code
            pack_ref = pack.ref if pack is not None else None
            changes = [Change(stream, head, [
                pipeline.new_event(e, "RollOverBudgetYear", one, subject=code,
                                   division_code=division,
                                   policy_pack=pack_ref if e.policy_region else None)
                for e in lines
            ])]  # fmt: skip
            if postings:
                _, ledger_head = await pipeline.fold(ledger_id, Ledger())
                changes.append(Change(ledger_id, ledger_head, [
                    pipeline.new_event(p, "RollOverBudgetYear", one, subject=code,
                                       division_code=division)
                    for p in postings
                ]))  # fmt: skip
            await pipeline.save(one, *changes)
        return len(lines), len(postings)
