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

from services.registry.establishment.events import EstablishmentProposed, EstablishmentStepRecorded
from shared.errors import (
    FieldProblem,
    ValidationFailed,
)
from shared.eventstore import DomainEvent
from shared.workflow import Document, Step, StepInput, Workflow, check_step

StepName = Literal[
    "preliminary_review", "field_survey", "joint_review", "approval", "registration"
]  # fmt: skip


PROPOSAL_ID = re.compile(r"^[0-9]{12}-[0-9a-f]{8}$")


ESTABLISHMENT_DOCUMENTS = ("info_sheet", "map")  # 信息表, 地图 (seed 000 §二(一)4)


# Every status a proposal can be in (the keys of the workflow's next_step; a unit test pins
# it): the list filter accepts exactly these.
EstablishmentStatus = Literal[
    "proposed",
    "preliminarily_reviewed",
    "surveyed",
    "deferred",
    "jointly_reviewed",
    "approved",
    "registered",
    "terminated",
]


ESTABLISHMENT = Workflow(
    name="establishment",
    first_step="proposal",
    steps=(
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
    ),
    next_step={
        "proposed": "preliminary_review", "preliminarily_reviewed": "field_survey",
        "surveyed": "joint_review", "deferred": "joint_review", "jointly_reviewed": "approval",
        "approved": "registration", "registered": None, "terminated": None,
    },
)  # fmt: skip


def establishment_stream(proposal_id: str) -> str:
    return f"establishment-{proposal_id}"


@dataclass
class Proposal:
    proposed: EstablishmentProposed | None = None
    status: str = "proposed"
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
class EstablishmentStep(StepInput):
    departments: list[str] = field(default_factory=list)
    certificate_number: str | None = None


def check_proposal_documents(documents: list[Document]) -> list[FieldProblem]:
    kinds = {d.kind for d in documents}
    missing = [k for k in ESTABLISHMENT_DOCUMENTS if k not in kinds]
    if missing:
        return [FieldProblem("documents", f"the proposal needs: {', '.join(missing)}")]
    return []


def check_establishment_step(proposal: Proposal, given: EstablishmentStep) -> list[FieldProblem]:
    problems = check_step(ESTABLISHMENT, proposal.status, given)
    if problems and problems[0].field == "step":
        return problems
    if given.step == "field_survey" and not given.departments:
        problems.append(FieldProblem("departments", "name the departments that surveyed"))
    if given.step == "registration" and not given.certificate_number:
        problems.append(
            FieldProblem("certificate_number", "the 民办非企业单位 registration certificate number")
        )
    return problems


def require_proposal_id(proposal_id: str) -> str:
    if not PROPOSAL_ID.match(proposal_id):
        raise ValidationFailed(
            "not a proposal id",
            errors=[FieldProblem("proposal_id", "12-digit division code, '-', 8 hex digits")],
        )
    return proposal_id
