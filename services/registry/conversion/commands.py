"""Conversion commands: propose converting a village, record a step."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from services.registry.conversion.workflow import (
    ConversionStep,
)
from shared.errors import (
    Conflict,
)
from shared.workflow import Document


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


class ConversionOpen(Conflict):
    slug = "conversion-open"
    title = "The village already has an open conversion proposal"


@dataclass(frozen=True)
class RecordConversionStep:
    command_type: ClassVar[str] = "RecordConversionStep"  # stable: the metadata's `command`
    proposal_id: str
    step: ConversionStep
