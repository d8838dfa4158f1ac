"""Establishing an industrial community (seed 000 §二(一)4), as a state machine. Pure: no I/O.

    proposal (方案申报, town/street: info sheet and maps)
      → preliminary_review (初审, district civil-affairs bureau: pass | reject)
      → field_survey (实地踏勘, the listed departments)
      → joint_review (部门联审: pass | terminate | defer; a deferred proposal is reviewed again)
      → approval (批复成立, district government: the 17-digit code is issued)
      → registration (登记注册 as a 民办非企业单位, certificate number: the community is active)

Each step is a command with its actor role, documents and outcome, recorded as an event on the
proposal's stream `establishment-<id>`. A proposal id starts with its 12-digit division code,
so the gateway can hold a district system to its own proposals without asking the registry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.registry.domain import Indicators
from shared.errors import FieldProblem
from shared.eventstore import DomainEvent

StepName = Literal[
    "preliminary_review", "field_survey", "joint_review", "approval", "registration"
]  # fmt: skip
Status = Literal[
    "proposed", "preliminarily_reviewed", "surveyed", "jointly_reviewed", "deferred",
    "approved", "registered", "terminated",
]  # fmt: skip
PROPOSAL_ID = re.compile(r"^\d{12}-[0-9a-f]{8}$")


@dataclass(frozen=True)
class Step:
    name: StepName
    title: str
    actor_role: str
    # Which status the step may start from, and the status each outcome leads to.
    from_status: tuple[Status, ...]
    outcomes: dict[str, Status]
    required_documents: tuple[str, ...] = ()


PROPOSAL_DOCUMENTS = ("info_sheet", "map")  # 信息表, 地图 (seed 000 §二(一)4)
STEPS: dict[str, Step] = {
    s.name: s
    for s in (
        Step("preliminary_review", "初审", "district_civil_affairs", ("proposed",),
             {"pass": "preliminarily_reviewed", "reject": "terminated"}),
        Step("field_survey", "实地踏勘", "joint_departments", ("preliminarily_reviewed",),
             {"completed": "surveyed"}, ("survey_report",)),
        Step("joint_review", "部门联审", "joint_review_meeting", ("surveyed", "deferred"),
             {"pass": "jointly_reviewed", "terminate": "terminated", "defer": "deferred"},
             ("meeting_minutes",)),
        Step("approval", "批复成立", "district_government", ("jointly_reviewed",),
             {"approved": "approved"}, ("approval_document",)),
        Step("registration", "登记注册", "civil_affairs_registration", ("approved",),
             {"registered": "registered"}),
    )
}  # fmt: skip
ORDER: tuple[str, ...] = ("proposal", *STEPS)
# The step that leads out of each status: what a proposal is waiting for.
NEXT_STEP: dict[str, str | None] = {
    "proposed": "preliminary_review", "preliminarily_reviewed": "field_survey",
    "surveyed": "joint_review", "deferred": "joint_review", "jointly_reviewed": "approval",
    "approved": "registration", "registered": None, "terminated": None,
}  # fmt: skip


class Document(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str = Field(min_length=1, max_length=40, examples=["info_sheet"])
    title: str = Field(min_length=1, max_length=200, examples=["澥浦工业社区基本信息表"])
    reference: str = Field(default="", max_length=200, description="File number or URL")


class EstablishmentProposed(Indicators, DomainEvent):
    """A town/street proposed an industrial community (方案申报)."""

    event_type = "EstablishmentProposed"
    schema_version = 1

    proposal_id: str
    name: str
    subtype: str
    division_code: str = Field(description="The unused village-level number allocated to it")
    actor_role: str
    documents: list[Document]


class EstablishmentStepRecorded(DomainEvent):
    """One step of the workflow with its actor role, documents and outcome."""

    event_type = "EstablishmentStepRecorded"
    schema_version = 1

    proposal_id: str
    step: StepName
    title: str
    actor_role: str
    outcome: str
    status: Status = Field(description="Where the proposal stands after this step")
    documents: list[Document] = Field(default_factory=list)
    departments: list[str] = Field(default_factory=list)
    note: str = ""
    code: str | None = Field(default=None, description="Issued at approval")
    certificate_number: str | None = Field(default=None, description="At registration")


ESTABLISHMENT_EVENT_TYPES: tuple[type[DomainEvent], ...] = (
    EstablishmentProposed,
    EstablishmentStepRecorded,
)


def stream_id(proposal_id: str) -> str:
    return f"establishment-{proposal_id}"


@dataclass
class Proposal:
    proposed: EstablishmentProposed | None = None
    status: Status = "proposed"
    steps: list[EstablishmentStepRecorded] = field(default_factory=list)
    code: str | None = None

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, EstablishmentProposed):
            self.proposed = event
        elif isinstance(event, EstablishmentStepRecorded):
            self.steps.append(event)
            self.status = event.status
            self.code = event.code or self.code


@dataclass(frozen=True)
class StepInput:
    step: str
    actor_role: str
    outcome: str
    documents: list[Document] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)
    note: str = ""
    certificate_number: str | None = None


def check_proposal_documents(documents: list[Document]) -> list[FieldProblem]:
    kinds = {d.kind for d in documents}
    missing = [k for k in PROPOSAL_DOCUMENTS if k not in kinds]
    if missing:
        return [FieldProblem("documents", f"the proposal needs: {', '.join(missing)}")]
    return []


def check_step(proposal: Proposal, given: StepInput) -> list[FieldProblem]:
    """Every reason the step cannot be taken now: out of order, wrong role, outcome, papers."""
    step = STEPS.get(given.step)
    if step is None:
        return [FieldProblem("step", f"unknown step; one of: {', '.join(STEPS)}")]
    if proposal.status not in step.from_status:
        return [FieldProblem("step", out_of_order(proposal.status, step))]
    problems = []
    if given.actor_role != step.actor_role:
        problems.append(
            FieldProblem("actor_role", f"{step.title} ({step.name}) is taken by {step.actor_role}")
        )
    if given.outcome not in step.outcomes:
        problems.append(
            FieldProblem("outcome", f"{step.name} ends in one of: {', '.join(step.outcomes)}")
        )
    kinds = {d.kind for d in given.documents}
    missing = [k for k in step.required_documents if k not in kinds]
    if missing:
        problems.append(FieldProblem("documents", f"{step.name} needs: {', '.join(missing)}"))
    if step.name == "field_survey" and not given.departments:
        problems.append(FieldProblem("departments", "name the departments that surveyed"))
    if step.name == "registration" and not given.certificate_number:
        problems.append(
            FieldProblem("certificate_number", "the 民办非企业单位 registration certificate number")
        )
    return problems


def out_of_order(status: str, step: Step) -> str:
    """Say which step is missing before `step`, or that the proposal has ended."""
    waiting_for = NEXT_STEP[status]
    if waiting_for is None:
        return f"the proposal is {status}: no further step can be taken"
    if ORDER.index(step.name) < ORDER.index(waiting_for):
        return f"{step.name} was already taken; the proposal now waits for {waiting_for}"
    missing = ORDER[ORDER.index(waiting_for) : ORDER.index(step.name)]
    return f"{step.name} cannot be taken yet: missing step(s) {', '.join(missing)}"
