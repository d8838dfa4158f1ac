"""HTTP bodies of the establishment routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.registry.community.schemas import BoundaryInput, IndicatorsInput
from services.registry.establishment.workflow import StepName
from shared.values import (
    Certificate,
    DivisionCode,
    Label,
    Name,
    Note,
)
from shared.workflow import Document


class ProposeEstablishmentRequest(IndicatorsInput, BoundaryInput):
    """方案申报: a town/street proposes an industrial community (seed 000 §二(一)4)."""

    name: Name = Field(examples=["澥浦工业社区"])
    subtype: Literal["工业社区", "楼宇社区"]
    division_code: DivisionCode = Field(
        description="An unused village-level number in the town, allocated to the community"
    )
    documents: list[Document] = Field(
        min_length=1, max_length=50, description="At least an info_sheet and a map"
    )
    actor_role: Label = Field(default="town", description="Who proposes: the town/street")


class EstablishmentStepRequest(BaseModel):
    """One step: its actor role, documents and outcome."""

    model_config = ConfigDict(extra="forbid")

    step: StepName
    actor_role: Label = Field(examples=["district_civil_affairs"])
    outcome: Label = Field(examples=["pass"])
    documents: list[Document] = Field(default=[], max_length=50)
    departments: list[Label] = Field(default=[], max_length=50, description="field_survey")
    note: Note = ""
    certificate_number: Certificate | None = Field(
        default=None, description="registration: 民办非企业单位 certificate"
    )


class EstablishmentView(BaseModel):
    proposal_id: str
    division_code: str
    name: str
    subtype: str
    status: str
    next_step: str | None = Field(description="The step the proposal waits for; null: ended")
    code: str | None = Field(description="Issued at approval")
    certificate_number: str | None
    steps: list[dict[str, Any]] = Field(description="Every step taken, oldest first")
    version: int
    proposed_at: datetime
    updated_at: datetime


class EstablishmentPage(BaseModel):
    items: list[EstablishmentView]
    next_cursor: str | None
