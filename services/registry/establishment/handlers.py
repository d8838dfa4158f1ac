"""Establishment command handlers (see workflow.py for the steps): load -> decide
(establishment/decide.py) -> save.

Approval and registration change two streams: the proposal's and the community's. Both
appends run in one database transaction, so the code is issued if and only if the approval
is recorded, and the community is active if and only if its registration step is.
"""

from __future__ import annotations

from uuid import uuid5

from services.registry.community.commands import AlreadyRegistered
from services.registry.community.events import community_stream
from services.registry.community.handlers import registration
from services.registry.establishment import decide
from services.registry.establishment.commands import ProposeEstablishment, RecordEstablishmentStep
from services.registry.establishment.workflow import Proposal, establishment_stream
from services.registry.policy.packs import PolicyPack
from services.registry.recording import recorded
from shared.commands import CommandContext
from shared.community_code import issue_code
from shared.errors import NotFound, StreamPosition, ValidationFailed
from shared.eventstore import Envelope
from shared.eventstore.store import head_of
from shared.pipeline import Change, CommandPipeline, Refused
from shared.policy_publication import PolicyInForce
from shared.values import refusing_invalid_values


class EstablishmentHandlers:
    def __init__(self, pipeline: CommandPipeline, policy: PolicyInForce[PolicyPack]) -> None:
        self.pipeline = pipeline
        self.policy = policy

    @refusing_invalid_values
    async def propose(self, cmd: ProposeEstablishment, ctx: CommandContext) -> list[Envelope]:
        # Every rule a registration would check, then those of the proposal.
        await registration(self.pipeline, self.policy, decide.registration_of(cmd), ctx)
        code = issue_code(cmd.division_code, "industrial")
        existing = code if await self.pipeline.load(community_stream(code)) else None
        if problems := decide.proposal_problems(cmd, existing):
            raise ValidationFailed("the proposal cannot be filed", errors=problems)
        proposal_id = f"{cmd.division_code}-{uuid5(ctx.command_id, 'proposal').hex[:8]}"
        events = recorded(
            self.pipeline, cmd.command_type, proposal_id, ctx, [decide.proposed(cmd, proposal_id)]
        )
        return await self.pipeline.save(
            ctx, Change(establishment_stream(proposal_id), StreamPosition(), events)
        )

    @refusing_invalid_values
    async def take_step(self, cmd: RecordEstablishmentStep, ctx: CommandContext) -> list[Envelope]:
        stream = establishment_stream(cmd.proposal_id)
        proposal, head = await self.pipeline.fold(stream, Proposal())
        if proposal.proposed is None:
            raise NotFound(f"no establishment proposal {cmd.proposal_id}")
        approval = cmd.step.step == "approval"
        code = issue_code(proposal.proposed.division_code, "industrial") if approval else None
        step = decide.step_recorded(proposal, cmd, code)
        if isinstance(step, Refused):
            return await self.pipeline.refuse(ctx, step)
        name = cmd.command_type
        step_event = Change(
            stream, head, recorded(self.pipeline, name, cmd.proposal_id, ctx, [step])
        )
        if approval:
            code, events = await registration(
                self.pipeline, self.policy, decide.registration_of(proposal.proposed), ctx,
                command=name, status="approved", establishment=cmd.proposal_id,
            )  # fmt: skip
        elif cmd.step.step == "registration":
            activated = decide.activated(proposal, cmd)
            code, events = (
                activated.code,
                recorded(self.pipeline, name, activated.code, ctx, [activated]),
            )
        else:
            return await self.pipeline.save(ctx, step_event)
        position = head_of(await self.pipeline.load(community_stream(code)))
        if approval and position.version:
            raise AlreadyRegistered(f"community {code} is already registered")
        return await self.pipeline.save(
            ctx, step_event, Change(community_stream(code), position, events)
        )
