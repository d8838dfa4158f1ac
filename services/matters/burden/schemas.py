"""The burden-reduction report (减负, seed 004 §二)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class DepartmentPushes(BaseModel):
    department: str
    accepted: int
    refused: int = Field(description="Tasks naming no matter on the community's list")


class BurdenReport(BaseModel):
    prefix: str = Field(description="The district (6 digits), a town, or the city (4 digits)")
    as_of: datetime
    communities: int = Field(description="Communities whose list is open")
    standardised: int = Field(description="Basic functions on those lists (基本功能, by type)")
    admitted: int = Field(description="Matters admitted onto lists (事项准入), distinct")
    cleared: int = Field(description="Admitted matters since exited (准入退出), distinct")
    pushes_accepted: int
    pushes_refused: int
    by_department: list[DepartmentPushes]
