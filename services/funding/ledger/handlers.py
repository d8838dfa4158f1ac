"""Posting to a community's ledger: checked against its budget lines and ledger, then appended.

A posting holds an exclusive lock on the ledger stream (shared/stream_locks.py) from the fold
to the append, so concurrent writers to one ledger take turns and each decides on the ledger
as the one before it left it: no invariant is checked against a stale balance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import asyncpg

from services.funding.ledger.deadline_checks import beijing_today
from services.funding.ledger.deadlines import overdue_changes
from services.funding.ledger.events import (
    DisbursementOverdueCleared,
    PostingKind,
    PostingRecorded,
    ledger_stream,
)
from services.funding.ledger.model import Ledger, Posting, Refusal, decide_posting
from services.funding.standards.decide import CommunityFunding
from services.funding.standards.events import community_stream
from shared.commands import CommandContext
from shared.errors import FieldProblem, NotFound, ValidationFailed
from shared.eventstore import Envelope
from shared.pipeline import Change, CommandPipeline
from shared.stream_locks import locked
from shared.values import refusing_invalid_values


class PostingRefused(ValidationFailed):
    """A 422 naming the invariant and the figures: nothing was appended."""

    slug = "posting-refused"
    title = "The posting would break the ledger's rules"


@dataclass(frozen=True)
class Post:
    command_type = "PostToLedger"
    code: str
    year: int
    kind: PostingKind
    line: str = ""
    payer: str = ""
    amount_fen: int = 0
    reverses: str | None = None
    note: str = ""


class LedgerHandlers:
    def __init__(
        self, pool: asyncpg.Pool, pipeline: CommandPipeline,
        today: Callable[[], date] = beijing_today,
    ) -> None:  # fmt: skip
        self.pool = pool
        self.pipeline = pipeline
        self.today = today

    @refusing_invalid_values
    async def post(self, cmd: Post, ctx: CommandContext) -> list[Envelope]:
        """PostingRecorded (first; then the overdue flags it clears), or PostingRefused with
        the rule and the figures. A retry of the same command gets its first posting back."""
        if replay := await self.pipeline.replay(ctx):
            return replay
        ledger_id = ledger_stream(cmd.code, cmd.year)
        async with locked(
            self.pool, self.pipeline, reading=[community_stream(cmd.code)], changing=[ledger_id]
        ) as pipeline:
            community, _ = await pipeline.fold(community_stream(cmd.code), CommunityFunding())
            if community.facts is None:
                raise NotFound(f"funding knows no community {cmd.code}")
            ledger, head = await pipeline.fold(ledger_id, Ledger())
            lines = {e.line: e for e in community.lines_of(cmd.year)}
            posting = Posting(cmd.kind, cmd.line, cmd.payer, cmd.amount_fen, cmd.reverses)
            decided = decide_posting(posting, ledger, lines)
            if isinstance(decided, Refusal):
                raise PostingRefused(
                    decided.reason, errors=[FieldProblem(decided.field, decided.reason)]
                )
            kind, line, payer, amount, entries = decided
            event = PostingRecorded(
                posting_id=str(ctx.command_id), code=cmd.code,
                division_code=community.facts.division_code, year=cmd.year, line=line,
                payer=payer, kind=kind, amount_fen=amount, entries=entries,  # type: ignore[arg-type]
                reverses=cmd.reverses, note=cmd.note,
            )  # fmt: skip
            ledger.apply(event)
            # A disbursement that pays an overdue part in full clears its flag at once.
            cleared = [
                e for e in overdue_changes(lines.values(), ledger, self.today())
                if isinstance(e, DisbursementOverdueCleared)
            ]  # fmt: skip
            new = [
                pipeline.new_event(
                    e, cmd.command_type, ctx, subject=cmd.code,
                    division_code=community.facts.division_code,
                )
                for e in (event, *cleared)
            ]  # fmt: skip
            return await pipeline.save(ctx, Change(ledger_id, head, new))
