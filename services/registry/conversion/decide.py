"""Conversion decisions: the events a proposal, a step or the approval records, or every reason
to refuse. Pure: no I/O (the handlers load the village and register its successor)."""

from __future__ import annotations

from services.registry.community.aggregate import Community
from services.registry.community.commands import RegisterCommunity
from services.registry.conversion.commands import ProposeConversion, RecordConversionStep
from services.registry.conversion.events import (
    CommunityConverted,
    ConversionProposed,
    ConversionStepRecorded,
)
from services.registry.conversion.workflow import (
    CONVERSION,
    CONVERSION_DOCUMENTS,
    Conversion,
    check_conversion_step,
    check_eligibility,
    renamed_committee,
    successor_name,
    villagers_committee_name,
)
from shared.errors import FieldProblem
from shared.pipeline import Refused
from shared.workflow import missing_documents


def proposal_problems(cmd: ProposeConversion, village: Community) -> list[FieldProblem]:
    """Every reason the village cannot be proposed for conversion, besides its successor's
    registration."""
    problems = check_eligibility(
        village.registered_type, village.status, cmd.collective_assets_quantified,
        cmd.fully_demolished,
    )  # fmt: skip
    problems += missing_documents(CONVERSION_DOCUMENTS, cmd.documents, "the proposal")
    if cmd.actor_role != "town":
        problems.append(FieldProblem("actor_role", "the town/street proposes (town)"))
    return problems


def successor(
    village: Community, name: str | None, subtype: str, division_code: str | None
) -> RegisterCommunity:
    """The urban community the village becomes (default name: 勤勇村 → 勤勇社区)."""
    assert village.registered is not None and village.indicators is not None
    return RegisterCommunity(
        name=name or successor_name(village.registered.name),
        division_code=division_code or village.registered.division_code,
        major_type="urban",
        subtype=subtype,
        indicators=village.indicators,
        has_residents_committee=True,
    )


def proposed(
    cmd: ProposeConversion, village: Community, proposal_id: str, to: RegisterCommunity
) -> ConversionProposed:
    assert village.registered is not None
    return ConversionProposed(
        proposal_id=proposal_id, code=cmd.code, village_name=village.registered.name,
        successor_name=to.name, successor_subtype=to.subtype,
        successor_division_code=to.division_code,
        collective_assets_quantified=cmd.collective_assets_quantified,
        fully_demolished=cmd.fully_demolished, actor_role=cmd.actor_role,
        documents=cmd.documents,
    )  # fmt: skip


def step_recorded(
    case: Conversion, cmd: RecordConversionStep, successor_code: str | None
) -> ConversionStepRecorded | Refused:
    """The step as recorded (`successor_code`: the one approval issues), or every reason it
    cannot be."""
    given = cmd.step
    if problems := check_conversion_step(case, given):
        return Refused(f"{given.step} cannot be recorded", problems)
    step = CONVERSION.by_name[given.step]
    return ConversionStepRecorded(
        proposal_id=cmd.proposal_id, step=step.name, title=step.title,
        actor_role=given.actor_role, outcome=given.outcome,
        status=step.outcomes[given.outcome], documents=given.documents, note=given.note,
        votes_for=given.votes_for, votes_total=given.votes_total,
        successor_code=successor_code or case.successor_code,
    )  # fmt: skip


def committee_names(village: Community) -> tuple[str, str]:
    """The village's committee name, and the residents' committee it becomes."""
    assert village.registered is not None
    before = village.registered.committee_name or villagers_committee_name(village.registered.name)
    return before, renamed_committee(before)


def converted(
    proposed: ConversionProposed, successor_code: str, before: str, after: str
) -> CommunityConverted:
    """On the village's stream: it ended, converted into `successor_code`."""
    return CommunityConverted(
        code=proposed.code, successor_code=successor_code, proposal_id=proposed.proposal_id,
        committee_name_before=before, committee_name_after=after,
    )  # fmt: skip
