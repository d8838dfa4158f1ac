"""Establishment decisions: the events a proposal or a step records, or every reason to refuse.
Pure: no I/O (the handlers load the proposal and register the community)."""

from __future__ import annotations

from services.registry.community.commands import RegisterCommunity
from services.registry.community.events import CommunityActivated
from services.registry.establishment.commands import ProposeEstablishment, RecordEstablishmentStep
from services.registry.establishment.events import EstablishmentProposed, EstablishmentStepRecorded
from services.registry.establishment.workflow import (
    ESTABLISHMENT,
    Proposal,
    check_establishment_step,
    check_proposal_documents,
)
from shared.errors import FieldProblem
from shared.pipeline import Refused


def proposal_problems(cmd: ProposeEstablishment, existing: str | None) -> list[FieldProblem]:
    """Every reason the proposal cannot be filed, besides those of its registration;
    `existing` is the code of a community the division already has."""
    problems = check_proposal_documents(cmd.documents)
    if cmd.actor_role != "town":
        problems.append(FieldProblem("actor_role", "a town/street (town) proposes (方案申报)"))
    if existing is not None:
        problems.append(
            FieldProblem("division_code", f"{cmd.division_code} already has community {existing}")
        )
    return problems


def proposed(cmd: ProposeEstablishment, proposal_id: str) -> EstablishmentProposed:
    return EstablishmentProposed(
        proposal_id=proposal_id, name=cmd.name, subtype=cmd.subtype,
        division_code=cmd.division_code, actor_role=cmd.actor_role, documents=cmd.documents,
        trust_areas=list(cmd.trust_areas), **cmd.indicators.model_dump(),
    )  # fmt: skip


def step_recorded(
    proposal: Proposal, cmd: RecordEstablishmentStep, code: str | None
) -> EstablishmentStepRecorded | Refused:
    """The step as recorded (`code`: the one approval issues), or every reason it cannot be."""
    given = cmd.step
    if problems := check_establishment_step(proposal, given):
        return Refused(f"{given.step} cannot be recorded", problems)
    step = ESTABLISHMENT.by_name[given.step]
    return EstablishmentStepRecorded(
        proposal_id=cmd.proposal_id, step=step.name, title=step.title,
        actor_role=given.actor_role, outcome=given.outcome,
        status=step.outcomes[given.outcome], documents=given.documents,
        departments=given.departments, note=given.note, code=code or proposal.code,
        certificate_number=given.certificate_number,
    )  # fmt: skip


def activated(proposal: Proposal, cmd: RecordEstablishmentStep) -> CommunityActivated:
    """Registration (登记注册): the approved community is active."""
    assert proposal.code is not None
    return CommunityActivated(
        code=proposal.code, establishment=cmd.proposal_id,
        certificate_number=str(cmd.step.certificate_number),
    )  # fmt: skip


def registration_of(source: ProposeEstablishment | EstablishmentProposed) -> RegisterCommunity:
    """The registration an establishment amounts to (an industrial community)."""
    return RegisterCommunity(
        name=source.name,
        division_code=source.division_code,
        major_type="industrial",
        subtype=source.subtype,
        indicators=source.indicators
        if isinstance(source, ProposeEstablishment)
        else source.indicators(),
        area_contiguous=source.area_contiguous
        if isinstance(source, ProposeEstablishment)
        else True,
        trust_areas=tuple(source.trust_areas),
    )
