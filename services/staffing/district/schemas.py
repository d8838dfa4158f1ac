"""What the district staffing route answers."""

from __future__ import annotations

from pydantic import BaseModel, Field


class CommunityVacancies(BaseModel):
    code: str
    quota: int | None
    authorised: int
    filled: int
    vacant: int


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
