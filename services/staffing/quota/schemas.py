"""What staffing's quota routes answer."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class BodyBand(BaseModel):
    min: int
    max: int
    source: str


class CommunityStaffing(BaseModel):
    code: str
    division_code: str
    major_type: str
    status: str
    quota: int | None = Field(description="员额: full-time community workers; null: no rule")
    rule: str | None
    policy_pack: str | None
    bodies: dict[str, BodyBand] = Field(description="Size bands of the community's bodies")
    authorised: int = Field(description="Positions in effect (position control)")
    filled: int
    vacant: int = Field(description="authorised − filled")
    version: int
    as_of: datetime | None = None


class QuotaDecisionView(BaseModel):
    quota: int | None
    previous: int | None
    rule: str
    source: str
    inputs: dict[str, str]
    policy_pack: str | None
    decided_at: datetime
    caused_by: str | None = Field(description="The registry event that led to it")
    event_id: str


class StaffingExplanation(BaseModel):
    code: str
    quota: int | None
    decisions: list[QuotaDecisionView] = Field(description="Every quota decision, oldest first")
