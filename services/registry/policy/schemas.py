"""HTTP bodies of the policy-pack routes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field


class PolicyPackSummary(BaseModel):
    """A policy pack version as shipped, whether it is in force, and its publication."""

    region: str
    version: str
    name: str
    effective_from: date
    in_force: bool = Field(description="The version its region's decisions use today")
    content_sha256: str = Field(
        description="SHA-256 of the pack's canonical JSON (keys sorted, no spaces, UTF-8)"
    )
    published_at: datetime | None = Field(
        default=None, description="When PolicyPackPublished recorded it; null: not published"
    )
    published_sha256: str | None = Field(
        default=None, description="The content hash the publication recorded"
    )


class PolicyPackList(BaseModel):
    items: list[PolicyPackSummary]


class PolicyPackDocument(PolicyPackSummary):
    pack: dict[str, Any] = Field(description="The pack, every number with its seed source")
