"""Establishment commands: propose an industrial community, record a step."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from services.registry.community.events import (
    Indicators,
    TrustArea,
)
from services.registry.establishment.workflow import (
    EstablishmentStep,
)
from shared.workflow import Document


@dataclass(frozen=True)
class ProposeEstablishment:
    command_type: ClassVar[str] = "ProposeEstablishment"  # stable: the metadata's `command`
    name: str
    subtype: str
    division_code: str
    indicators: Indicators
    documents: list[Document]
    actor_role: str = "town"
    area_contiguous: bool = True
    trust_areas: tuple[TrustArea, ...] = ()


@dataclass(frozen=True)
class RecordEstablishmentStep:
    command_type: ClassVar[str] = "RecordEstablishmentStep"  # stable: the metadata's `command`
    proposal_id: str
    step: EstablishmentStep
