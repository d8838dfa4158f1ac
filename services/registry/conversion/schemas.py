"""HTTP bodies of the conversion routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.values import (
    Count,
    DivisionCode,
    Flag,
    Label,
    Name,
    Note,
)
from shared.workflow import Document


class ProposeConversionRequest(BaseModel):
    """撤村建居 (seed 002 §三(一)): the town proposes converting a village community."""

    model_config = ConfigDict(extra="forbid")

    collective_assets_quantified: Flag = Field(
        description="集体经济组织 set up, 清产核资及股权量化 completed"
    )
    fully_demolished: Flag = Field(default=False, description="整村拆迁: must convert")
    documents: list[Document] = Field(min_length=1, max_length=50, description="conversion_plan")
    successor_name: Name | None = Field(default=None, description="Default: xx村 → xx社区")
    successor_subtype: Label = "城乡接合部社区"
    successor_division_code: DivisionCode | None = Field(
        default=None, description="Default: the village's division code"
    )
    actor_role: Label = "town"


class ConversionStepRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    step: Literal["consent", "civil_affairs_review", "approval", "filing"]
    actor_role: Label = Field(examples=["villagers_meeting"])
    outcome: Label = Field(examples=["consented"])
    documents: list[Document] = Field(default=[], max_length=50)
    note: Note = ""
    votes_for: Count | None = Field(default=None, description="consent: 户代表 in favour")
    votes_total: Count | None = Field(default=None, description="consent: votes cast")


class ConversionView(BaseModel):
    proposal_id: str
    code: str = Field(description="The village community")
    village_name: str
    successor_name: str
    status: str
    next_step: str | None
    successor_code: str | None = Field(description="Issued at approval")
    steps: list[dict[str, Any]]
    version: int
    proposed_at: datetime
    updated_at: datetime


class ConversionPage(BaseModel):
    items: list[ConversionView]
    next_cursor: str | None
