"""Commands of the 撤村建居 conversion workflow (see conversion.py for the steps).

Approval changes three streams in one transaction: the proposal's, the village community's
(it ends, naming its successor) and the successor's (registered, naming its predecessor).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import count
from typing import ClassVar
from uuid import UUID, uuid5

from services.registry import conversion, domain
from services.registry.code import issue_code
from services.registry.conversion import (
    CONVERSION,
    CommunityConverted,
    Conversion,
    ConversionProposed,
    ConversionStep,
    ConversionStepRecorded,
)
from services.registry.handlers import AlreadyRegistered, Handlers, RegisterCommunity
from shared.commands import CommandContext
from shared.errors import (
    ConcurrencyConflict,
    Conflict,
    FieldProblem,
    StreamPosition,
    ValidationFailed,
)
from shared.eventstore import DomainEvent, Envelope, NewEvent
from shared.eventstore.store import head_of
from shared.pipeline import Change
from shared.values import refusing_invalid_values
from shared.workflow import Document, missing_documents

# Proposal ids: the village's n-th proposal has a fixed id, so two proposals racing for one
# village race for one stream and the store lets only one be created.
PROPOSAL_IDS = UUID("5d2c1f0e-7b1a-4c3e-9a61-0c6f3f0f2b7e")
OPEN = ("proposed", "consented", "reviewed")  # before approval: the village has not ended


class ConversionOpen(Conflict):
    slug = "conversion-open"
    title = "The village already has an open conversion proposal"


@dataclass(frozen=True)
class ProposeConversion:
    command_type: ClassVar[str] = "ProposeConversion"  # stable: the metadata's `command`
    code: str
    collective_assets_quantified: bool
    fully_demolished: bool
    documents: list[Document]
    successor_name: str | None = None  # default: 勤勇村 → 勤勇社区
    successor_subtype: str = "城乡接合部社区"
    successor_division_code: str | None = None  # default: the village's
    actor_role: str = "town"


PROPOSE, STEP = ProposeConversion.command_type, "RecordConversionStep"


class ConversionCommands:
    def __init__(self, handlers: Handlers) -> None:
        self.handlers = handlers
        self.pipeline = handlers.pipeline

    @refusing_invalid_values
    async def propose(self, cmd: ProposeConversion, ctx: CommandContext) -> list[Envelope]:
        if replay := await self.pipeline.replay(ctx):
            return replay  # a retry of a proposal already recorded
        village = await self.handlers.load_at(cmd.code, None, ctx)  # 409 naming a successor
        assert isinstance(village, domain.Community)
        registered = village.registered
        assert registered is not None
        problems = conversion.check_eligibility(
            registered.major_type, village.status, cmd.collective_assets_quantified,
            cmd.fully_demolished,
        )  # fmt: skip
        problems += missing_documents(conversion.PROPOSAL_DOCUMENTS, cmd.documents, "the proposal")
        if cmd.actor_role != "town":
            problems.append(FieldProblem("actor_role", "the town/street proposes (town)"))
        successor = self._successor(
            registered.name, registered.division_code, cmd.successor_name,
            cmd.successor_subtype, cmd.successor_division_code, village,
        )  # fmt: skip
        if not problems:
            await self.handlers.registration(successor, ctx, command=PROPOSE)  # registrable
        if problems:
            raise ValidationFailed("the conversion cannot be proposed", errors=problems)
        proposal_id = await self._next_proposal_id(cmd.code)
        proposed = ConversionProposed(
            proposal_id=proposal_id, code=cmd.code, village_name=registered.name,
            successor_name=successor.name, successor_subtype=successor.subtype,
            successor_division_code=successor.division_code,
            collective_assets_quantified=cmd.collective_assets_quantified,
            fully_demolished=cmd.fully_demolished, actor_role=cmd.actor_role,
            documents=cmd.documents,
        )  # fmt: skip
        try:
            return await self.pipeline.save(ctx, Change(
                conversion.stream_id(proposal_id), StreamPosition(),
                [self._new(proposed, PROPOSE, proposal_id, ctx)],
            ))  # fmt: skip
        except ConcurrencyConflict as exc:  # another proposal for the village won the race
            raise ConversionOpen(f"village {cmd.code} has an open proposal {proposal_id}") from exc

    async def _next_proposal_id(self, code: str) -> str:
        """The id of the village's next proposal; refused while an earlier one is open."""
        for n in count(1):
            proposal_id = f"{code[:12]}-{uuid5(PROPOSAL_IDS, f'{code}/{n}').hex[:8]}"
            envelopes = await self.pipeline.load(conversion.stream_id(proposal_id))
            if not envelopes:
                return proposal_id
            case = Conversion()
            for e in envelopes:
                case.apply(self.handlers.catalog.decode(e))
            if case.status in OPEN:
                raise ConversionOpen(
                    f"village {code} has an open proposal {proposal_id} ({case.status}):"
                    " carry it through or terminate it first"
                )
        raise AssertionError("unreachable")

    @refusing_invalid_values
    async def take_step(
        self, proposal_id: str, given: ConversionStep, ctx: CommandContext
    ) -> list[Envelope]:
        stream = conversion.stream_id(proposal_id)
        envelopes, case = await self.handlers.load_case(
            stream, Conversion(), f"conversion proposal {proposal_id}"
        )
        proposed = case.proposed
        assert proposed is not None
        if problems := conversion.check_conversion_step(case, given):
            return await self.pipeline.refuse(ctx, f"{given.step} cannot be recorded", problems)
        step = CONVERSION.by_name[given.step]
        approval = step.name == "approval"
        successor_code = issue_code(proposed.successor_division_code, "urban") if approval else None
        recorded = ConversionStepRecorded(
            proposal_id=proposal_id, step=step.name, title=step.title,
            actor_role=given.actor_role, outcome=given.outcome,
            status=step.outcomes[given.outcome], documents=given.documents, note=given.note,
            votes_for=given.votes_for, votes_total=given.votes_total,
            successor_code=successor_code or case.successor_code,
        )  # fmt: skip
        step_event = Change(
            stream, head_of(envelopes), [self._new(recorded, STEP, proposal_id, ctx)]
        )
        if not approval:
            return await self.pipeline.save(ctx, step_event)
        return await self._approve(proposed, step_event, ctx)

    async def _approve(
        self,
        proposed: ConversionProposed,
        step_event: Change,
        ctx: CommandContext,
    ) -> list[Envelope]:
        village = await self.handlers.load_at(proposed.code, None, ctx)  # refuses an ended one
        assert isinstance(village, domain.Community) and village.registered is not None
        before = village.registered.committee_name or conversion.villagers_committee_name(
            village.registered.name
        )
        after = conversion.renamed_committee(before)
        successor = self._successor(
            village.registered.name, village.registered.division_code, proposed.successor_name,
            proposed.successor_subtype, proposed.successor_division_code, village,
        )  # fmt: skip
        code, registration = await self.handlers.registration(
            successor, ctx, command=STEP, predecessor=proposed.code, committee_name=after
        )
        if await self.pipeline.load(domain.stream_id(code)):
            raise AlreadyRegistered(f"community {code} is already registered")
        ended: DomainEvent = CommunityConverted(
            code=proposed.code, successor_code=code, proposal_id=proposed.proposal_id,
            committee_name_before=before, committee_name_after=after,
        )  # fmt: skip
        return await self.pipeline.save(
            ctx,
            step_event,
            Change(
                domain.stream_id(proposed.code),
                village.head,
                [self.handlers.new_event(ended, STEP, proposed.code, ctx)],
            ),
            Change(domain.stream_id(code), StreamPosition(), registration),
        )

    @staticmethod
    def _successor(
        village_name: str,
        division_code: str,
        name: str | None,
        subtype: str,
        successor_division: str | None,
        village: domain.Community,
    ) -> RegisterCommunity:
        assert village.indicators is not None
        return RegisterCommunity(
            name=name or conversion.successor_name(village_name),
            division_code=successor_division or division_code,
            major_type="urban",
            subtype=subtype,
            indicators=village.indicators,
            has_residents_committee=True,
        )

    def _new(
        self, event: DomainEvent, command: str, proposal_id: str, ctx: CommandContext
    ) -> NewEvent:
        return self.handlers.new_event(event, command, proposal_id, ctx)
