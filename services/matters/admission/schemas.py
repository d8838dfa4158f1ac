"""What the admission routes take and answer."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.matters.admission.events import (
    Handover,
    Judgement,
    Outcome,
    Participant,
    ProposedMatter,
    Signature,
)
from services.matters.admission.workflow import AdmissionStatus
from services.matters.catalogue.packs import Runway
from shared.values import CommunityCode, Day, DivisionCode, Statement, Title
from shared.workflow import Document


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ApplyRequest(_Request):
    division_code: DivisionCode = Field(description="The applicant's (12 digits)")
    applicant: Title = Field(description="The applying department or town, e.g. 镇海区民政局")
    applicant_kind: Literal["department", "town"]
    items: list[ProposedMatter] = Field(min_length=1, max_length=20)
    target_communities: list[CommunityCode] = Field(
        min_length=1, max_length=500, description="17-digit codes, in the applicant's district"
    )
    documents: list[Document] = Field(
        max_length=20, description="approval_form (审批表) and application_report (申请报告)"
    )


class MeetingRequest(_Request):
    held_on: Day
    participants: list[Participant] = Field(min_length=1, max_length=200)


class JudgementRequest(_Request):
    item: int = Field(ge=1, le=20, description="The application's item, from 1")
    judgements: dict[str, Judgement] = Field(
        max_length=10,
        description="legality, reasonableness, necessity, coordination, supporting_measures",
    )


class DecisionRequest(_Request):
    documents: list[Document] = Field(max_length=20, description="meeting_minutes (会议纪要)")


class HandoverRequest(_Request):
    item: int = Field(ge=1, le=20)
    handover: Handover
    signatures: list[Signature] = Field(
        min_length=1, max_length=501,
        description="The applicant (by name) and every target community (by code)",
    )  # fmt: skip
    effective_from: Day | None = Field(default=None, description="From this day; today if none")


class ExitRequest(_Request):
    reason: Statement = Field(description="Why the matter leaves (准入退出)")
    effective_from: Day | None = Field(default=None, description="From this day; today if none")


class MeetingView(BaseModel):
    held_on: date
    participants: list[Participant]


class AdmissionItemView(BaseModel):
    item: int
    proposed: ProposedMatter
    judgements: dict[str, Judgement] | None
    outcome: Outcome | None
    matter_id: str | None = Field(description="Once handed over: the matter on the lists")
    handover: Handover | None
    effective_from: datetime | None
    entered: list[str]
    exited_from: datetime | None
    exit_reason: str | None


class AdmissionView(BaseModel):
    admission_id: str
    division_code: str
    applicant: str
    applicant_kind: str
    status: AdmissionStatus
    next_step: str | None
    target_communities: list[str]
    documents: list[Document]
    meeting: MeetingView | None
    items: list[AdmissionItemView]
    version: int


class AdmissionSummary(BaseModel):
    admission_id: str
    division_code: str
    applicant: str
    status: AdmissionStatus
    next_step: str | None
    items: int
    runways: list[Runway]
    applied_at: datetime
    updated_at: datetime


class AdmissionPage(BaseModel):
    items: list[AdmissionSummary]
    next_cursor: str | None
