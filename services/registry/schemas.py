"""The registry's HTTP contract: request and response bodies (the gateway publishes the same)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Name = Annotated[str, Field(min_length=2, max_length=50, pattern=r"^\S(.*\S)?$")]
DivisionCode = Annotated[str, Field(pattern=r"^\d{12}$", examples=["330211001001"])]
CommunityCode = Annotated[str, Field(pattern=r"^\d{17}$", examples=["33021100100110003"])]
Count = Annotated[int, Field(ge=0, le=10_000_000)]
AreaKm2 = Annotated[Decimal, Field(gt=0, le=100_000, max_digits=12, decimal_places=4)]


EXAMPLE_REGISTRATION = {
    "name": "庄市街道勤勇社区",
    "division_code": "330211004001",
    "major_type": "urban",
    "subtype": "老城区社区",
    "households": 2860,
    "residents": 7420,
    "area_km2": "1.35",
}


class RegisterCommunityRequest(BaseModel):
    """Register an existing community; the platform issues its 17-digit code."""

    model_config = ConfigDict(extra="forbid")

    name: Name = Field(examples=["庄市街道勤勇社区"])
    division_code: DivisionCode
    major_type: Literal["urban", "rural", "industrial"]
    subtype: str = Field(min_length=1, max_length=20, examples=["老城区社区"])
    households: Count
    residents: Count
    area_km2: AreaKm2 = Field(examples=["1.25"])


class UpdateIndicatorsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    households: Count
    residents: Count
    area_km2: AreaKm2


class CommunityView(BaseModel):
    code: CommunityCode
    name: str
    division_code: DivisionCode
    major_type: str
    subtype: str
    has_residents_committee: bool
    service_centre_name: str | None
    households: int
    residents: int
    area_km2: Decimal
    version: int
    registered_at: datetime
    updated_at: datetime


class CommunityPage(BaseModel):
    items: list[CommunityView]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


class CommandAccepted(BaseModel):
    """The command's events were recorded, but the read model had not caught up yet."""

    code: CommunityCode
    version: int
