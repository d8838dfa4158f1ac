"""Establishment events, on the proposal's stream `establishment-<id>`."""

from __future__ import annotations

from pydantic import Field

from services.registry.community.events import Indicators, TrustArea
from shared.eventstore import DomainEvent
from shared.values import Certificate, DivisionCode, Label, Name
from shared.workflow import Document, StepFields


class EstablishmentProposed(Indicators, DomainEvent):
    """A town/street proposed an industrial community (方案申报)."""

    event_type = "EstablishmentProposed"
    schema_version = 1

    proposal_id: str
    name: Name
    subtype: Label
    division_code: DivisionCode = Field(
        description="The unused village-level number allocated to it"
    )
    actor_role: Label
    documents: list[Document]
    trust_areas: list[TrustArea] = Field(default_factory=list, description="托管")


class EstablishmentStepRecorded(StepFields, DomainEvent):
    """One step of the workflow with its actor role, documents and outcome."""

    event_type = "EstablishmentStepRecorded"
    schema_version = 1

    departments: list[Label] = Field(default_factory=list, description="field_survey")
    code: str | None = Field(default=None, description="Issued at approval")
    certificate_number: Certificate | None = Field(default=None, description="At registration")


ESTABLISHMENT_EVENT_TYPES: tuple[type[DomainEvent], ...] = (
    EstablishmentProposed,
    EstablishmentStepRecorded,
)
