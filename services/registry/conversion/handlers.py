"""Conversion command handlers (see workflow.py for the steps): load -> decide
(conversion/decide.py) -> save.

Approval changes three streams in one transaction: the proposal's, the village community's
(it ends, naming its successor) and the successor's (registered, naming its predecessor).
"""

from __future__ import annotations

from itertools import count
from uuid import UUID, uuid5

from services.registry.community.commands import AlreadyRegistered
from services.registry.community.events import community_stream
from services.registry.community.handlers import load_community_at, registration
from services.registry.conversion import decide
from services.registry.conversion.commands import (
    ConversionOpen,
    ProposeConversion,
    RecordConversionStep,
)
from services.registry.conversion.events import ConversionProposed
from services.registry.conversion.workflow import Conversion, conversion_stream
from services.registry.policy.packs import PolicyPack
from services.registry.recording import recorded
from shared.commands import CommandContext
from shared.community_code import issue_code
from shared.errors import ConcurrencyConflict, NotFound, StreamPosition, ValidationFailed
from shared.eventstore import Envelope
from shared.pipeline import Change, CommandPipeline, Refused
from shared.policy_publication import PolicyInForce
from shared.values import refusing_invalid_values

# Proposal ids: the village's n-th proposal has a fixed id, so two proposals racing for one
# village race for one stream and the store lets only one be created.
PROPOSAL_IDS = UUID("5d2c1f0e-7b1a-4c3e-9a61-0c6f3f0f2b7e")
OPEN = ("proposed", "consented", "reviewed")  # before approval: the village has not ended


class ConversionHandlers:
    def __init__(self, pipeline: CommandPipeline, policy: PolicyInForce[PolicyPack]) -> None:
        self.pipeline = pipeline
        self.policy = policy

    @refusing_invalid_values
    async def propose(self, cmd: ProposeConversion, ctx: CommandContext) -> list[Envelope]:
        if replay := await self.pipeline.replay(ctx):
            return replay  # a retry of a proposal already recorded
        village = await load_community_at(self.pipeline, cmd.code, None, ctx)  # 409: ended
        assert not isinstance(village, list)
        problems = decide.proposal_problems(cmd, village)
        successor = decide.successor(
            village, cmd.successor_name, cmd.successor_subtype, cmd.successor_division_code
        )
        if not problems:  # the successor must be registrable
            await registration(self.pipeline, self.policy, successor, ctx, command=cmd.command_type)
        if problems:
            raise ValidationFailed("the conversion cannot be proposed", errors=problems)
        proposal_id = await self._next_proposal_id(cmd.code)
        proposed = decide.proposed(cmd, village, proposal_id, successor)
        events = recorded(self.pipeline, cmd.command_type, proposal_id, ctx, [proposed])
        try:
            return await self.pipeline.save(
                ctx, Change(conversion_stream(proposal_id), StreamPosition(), events)
            )
        except ConcurrencyConflict as exc:  # another proposal for the village won the race
            raise ConversionOpen(f"village {cmd.code} has an open proposal {proposal_id}") from exc

    async def _next_proposal_id(self, code: str) -> str:
        """The id of the village's next proposal; refused while an earlier one is open."""
        for n in count(1):
            proposal_id = f"{code[:12]}-{uuid5(PROPOSAL_IDS, f'{code}/{n}').hex[:8]}"
            case, head = await self.pipeline.fold(conversion_stream(proposal_id), Conversion())
            if not head.version:
                return proposal_id
            if case.status in OPEN:
                raise ConversionOpen(
                    f"village {code} has an open proposal {proposal_id} ({case.status}):"
                    " carry it through or terminate it first"
                )
        raise AssertionError("unreachable")

    @refusing_invalid_values
    async def take_step(self, cmd: RecordConversionStep, ctx: CommandContext) -> list[Envelope]:
        stream = conversion_stream(cmd.proposal_id)
        case, head = await self.pipeline.fold(stream, Conversion())
        proposed = case.proposed
        if proposed is None:
            raise NotFound(f"no conversion proposal {cmd.proposal_id}")
        approval = cmd.step.step == "approval"
        successor_code = issue_code(proposed.successor_division_code, "urban") if approval else None
        step = decide.step_recorded(case, cmd, successor_code)
        if isinstance(step, Refused):
            return await self.pipeline.refuse(ctx, step)
        events = recorded(self.pipeline, cmd.command_type, cmd.proposal_id, ctx, [step])
        step_event = Change(stream, head, events)
        if not approval:
            return await self.pipeline.save(ctx, step_event)
        return await self._approve(proposed, step_event, cmd.command_type, ctx)

    async def _approve(
        self, proposed: ConversionProposed, step_event: Change, name: str, ctx: CommandContext
    ) -> list[Envelope]:
        village = await load_community_at(self.pipeline, proposed.code, None, ctx)  # 409: ended
        assert not isinstance(village, list)
        before, after = decide.committee_names(village)
        successor = decide.successor(
            village, proposed.successor_name, proposed.successor_subtype,
            proposed.successor_division_code,
        )  # fmt: skip
        code, registered = await registration(
            self.pipeline, self.policy, successor, ctx, command=name, predecessor=proposed.code,
            committee_name=after,
        )  # fmt: skip
        if await self.pipeline.load(community_stream(code)):
            raise AlreadyRegistered(f"community {code} is already registered")
        ended = recorded(
            self.pipeline,
            name,
            proposed.code,
            ctx,
            [decide.converted(proposed, code, before, after)],
        )
        return await self.pipeline.save(
            ctx,
            step_event,
            Change(community_stream(proposed.code), village.head, ended),
            Change(community_stream(code), StreamPosition(), registered),
        )
