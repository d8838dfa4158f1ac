"""Commands of the industrial establishment workflow (see establishment.py for the steps).

Approval and registration change two streams: the proposal's and the community's. Both
appends run in one database transaction, so the code is issued if and only if the approval
is recorded, and the community is active if and only if its registration step is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar
from uuid import uuid5

from services.registry import domain, establishment
from services.registry.code import issue_code
from services.registry.establishment import (
    ESTABLISHMENT,
    EstablishmentProposed,
    EstablishmentStep,
    EstablishmentStepRecorded,
    Proposal,
)
from services.registry.handlers import AlreadyRegistered, Handlers, RegisterCommunity
from shared.commands import CommandContext
from shared.errors import (
    FieldProblem,
    StreamPosition,
    ValidationFailed,
)
from shared.eventstore import Envelope, NewEvent
from shared.eventstore.store import head_of
from shared.pipeline import Change
from shared.values import refusing_invalid_values
from shared.workflow import Document


@dataclass(frozen=True)
class ProposeEstablishment:
    command_type: ClassVar[str] = "ProposeEstablishment"  # stable: the metadata's `command`
    name: str
    subtype: str
    division_code: str
    indicators: domain.Indicators
    documents: list[Document]
    actor_role: str = "town"
    area_contiguous: bool = True
    trust_areas: tuple[domain.TrustArea, ...] = ()


STEP = "RecordEstablishmentStep"


class EstablishmentCommands:
    def __init__(self, handlers: Handlers) -> None:
        self.handlers = handlers
        self.pipeline = handlers.pipeline

    @refusing_invalid_values
    async def propose(self, cmd: ProposeEstablishment, ctx: CommandContext) -> list[Envelope]:
        registration = self._registration(cmd)
        await self.handlers.registration(registration, ctx)  # every rule a registration would check
        problems = establishment.check_proposal_documents(cmd.documents)
        if cmd.actor_role != "town":
            problems.append(FieldProblem("actor_role", "a town/street (town) proposes (方案申报)"))
        code = issue_code(cmd.division_code, "industrial")
        if await self.pipeline.load(domain.stream_id(code)):
            problems.append(
                FieldProblem("division_code", f"{cmd.division_code} already has community {code}")
            )
        if problems:
            raise ValidationFailed("the proposal cannot be filed", errors=problems)
        proposal_id = f"{cmd.division_code}-{uuid5(ctx.command_id, 'proposal').hex[:8]}"
        proposed = EstablishmentProposed(
            proposal_id=proposal_id, name=cmd.name, subtype=cmd.subtype,
            division_code=cmd.division_code, actor_role=cmd.actor_role,
            documents=cmd.documents, trust_areas=list(cmd.trust_areas),
            **cmd.indicators.model_dump(),
        )  # fmt: skip
        event = self._new(proposed, cmd.command_type, proposal_id, ctx)
        return await self.pipeline.save(
            ctx, Change(establishment.stream_id(proposal_id), StreamPosition(), [event])
        )

    @refusing_invalid_values
    async def take_step(
        self, proposal_id: str, given: EstablishmentStep, ctx: CommandContext
    ) -> list[Envelope]:
        envelopes, proposal = await self.handlers.load_case(
            establishment.stream_id(proposal_id), Proposal(),
            f"establishment proposal {proposal_id}",
        )  # fmt: skip
        proposed = proposal.proposed
        assert proposed is not None
        if problems := establishment.check_establishment_step(proposal, given):
            return await self.pipeline.refuse(ctx, f"{given.step} cannot be recorded", problems)
        step = ESTABLISHMENT.by_name[given.step]
        code = issue_code(proposed.division_code, "industrial") if step.name == "approval" else None
        recorded = EstablishmentStepRecorded(
            proposal_id=proposal_id, step=step.name, title=step.title,
            actor_role=given.actor_role, outcome=given.outcome,
            status=step.outcomes[given.outcome], documents=given.documents,
            departments=given.departments, note=given.note, code=code or proposal.code,
            certificate_number=given.certificate_number,
        )  # fmt: skip
        community: tuple[str, list[NewEvent]] | None = None
        if step.name == "approval":
            community = await self.handlers.registration(
                self._registration(proposed), ctx, command=STEP, status="approved",
                establishment=proposal_id,
            )  # fmt: skip
        elif step.name == "registration":
            assert proposal.code is not None
            activated = domain.CommunityActivated(
                code=proposal.code, establishment=proposal_id,
                certificate_number=str(given.certificate_number),
            )  # fmt: skip
            community = (
                proposal.code, [self.handlers.new_event(activated, STEP, proposal.code, ctx)]
            )  # fmt: skip
        step_event = Change(
            establishment.stream_id(proposal_id), head_of(envelopes),
            [self._new(recorded, STEP, proposal_id, ctx)],
        )  # fmt: skip
        if community is None:
            return await self.pipeline.save(ctx, step_event)
        code, events = community
        position = head_of(await self.pipeline.load(domain.stream_id(code)))
        if step.name == "approval" and position.version:
            raise AlreadyRegistered(f"community {code} is already registered")
        return await self.pipeline.save(
            ctx, step_event, Change(domain.stream_id(code), position, events)
        )

    def _new(self, event: EstablishmentProposed | EstablishmentStepRecorded, command: str,
             proposal_id: str, ctx: CommandContext) -> NewEvent:  # fmt: skip
        return self.handlers.new_event(event, command, proposal_id, ctx)

    @staticmethod
    def _registration(source: ProposeEstablishment | EstablishmentProposed) -> RegisterCommunity:
        return RegisterCommunity(
            name=source.name,
            division_code=source.division_code,
            major_type="industrial",
            subtype=source.subtype,
            indicators=(
                source.indicators
                if isinstance(source, ProposeEstablishment)
                else source.indicators()
            ),
            area_contiguous=(
                source.area_contiguous if isinstance(source, ProposeEstablishment) else True
            ),
            trust_areas=tuple(source.trust_areas),
        )


def require_proposal_id(proposal_id: str) -> str:
    if not establishment.PROPOSAL_ID.match(proposal_id):
        raise ValidationFailed(
            "not a proposal id",
            errors=[FieldProblem("proposal_id", "12-digit division code, '-', 8 hex digits")],
        )
    return proposal_id
