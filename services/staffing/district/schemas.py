"""What the district staffing route answers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.values import Fen, Title


class CommunityVacancies(BaseModel):
    code: str
    quota: int | None
    authorised: int
    filled: int
    vacant: int


class PayFinding(BaseModel):
    worker_id: str
    year: int
    annual_pay_fen: int
    floor_fen: int
    rule: str


class PayAverage(BaseModel):
    """The district's urban community workers' average pay of a year against the floor
    (a pack whose floor bounds the average: Ningbo, seed 004 §五)."""

    year: int
    workers: int = Field(description="Workers of the district's urban communities with pay")
    average_fen: int = Field(description="Rounded half up to the fen")
    floor_fen: int
    rule: str
    below_floor: bool
    finding: str | None


class OpenFinding(BaseModel):
    """A finding open on the district's stream: the figures of the check that opened it."""

    kind: Literal["floor", "pay", "pay_average"]
    event_id: str = Field(description="The event that opened it, on the `staffing` topic")
    opened_at: datetime
    year: int | None = None
    worker_id: str | None = Field(default=None, description="Pseudonymous; kind `pay` only")
    text: str


class RecordIncomeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    urban_per_capita_fen: Fen = Field(description="城镇居民人均可支配收入, in fen")
    rural_per_capita_fen: Fen | None = Field(default=None, description="农村居民人均可支配收入")
    source: Title = Field(description="Where the figure comes from, e.g. 统计公报")


class DistrictIncomeView(BaseModel):
    prefix: str
    year: int
    urban_per_capita_fen: int
    rural_per_capita_fen: int | None
    source: str
    previous_urban_per_capita_fen: int | None


class DistrictStaffing(BaseModel):
    prefix: str = Field(description="The district's 6-digit division prefix (区、县、市)")
    communities: int = Field(description="Communities staffing follows there, ended ones aside")
    residents: int
    quota: int = Field(description="The sum of the communities' quotas")
    authorised: int
    filled: int
    vacant: int
    floor: int | None = Field(description="Full-time workers the district must have at least")
    floor_rule: str | None
    below_floor: bool
    finding: str | None = Field(description="Set when filled positions fall below the floor")
    policy_pack: str | None
    vacancies: list[CommunityVacancies] = Field(description="Communities with a vacancy")
    pay_below_floor: list[PayFinding] = Field(
        description="Recorded annual pay below the pack's pay floor, with the figures"
    )
    pay_averages: list[PayAverage] = Field(
        default_factory=list,
        description="Per year, the average the pack's floor bounds (empty: it bounds each)",
    )
    open_findings: list[OpenFinding] = Field(
        default_factory=list,
        description="The findings open on the district's stream (DistrictFloorFindingOpened,"
        " PayFloorFindingOpened), opened and resolved as its figures cross the floors",
    )
