"""What matters' routes take and answer."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.matters.catalogue.packs import MATTER_ID_PATTERN, Catalogue, Runway
from services.matters.lists.events import ListedMatter
from shared.values import Day, Label, Title


class CataloguePackView(BaseModel):
    region: str
    version: str
    policy_pack: str
    catalogue: Catalogue | None = Field(description="None: the region's seed gives none")
    source: str


class CatalogueView(BaseModel):
    community_type: Literal["urban", "rural", "industrial"]
    packs: list[CataloguePackView] = Field(description="Each region's pack deciding now")


class CommunityMatters(BaseModel):
    code: str
    division_code: str
    community_type: str
    status: Literal["open", "ended", "not_yet_open"]
    as_of: datetime
    opened_at: datetime
    ended_at: datetime | None
    items: list[ListedMatter] = Field(description="On the list at `as_of`")
    runways: list[Runway]
    source: str
    policy_pack: str | None
    successor: str | None = Field(description="撤村建居: the community whose list follows")
    version: int


class PushTaskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    matter_id: str = Field(
        pattern=f"^{MATTER_ID_PATTERN}$", description="A matter on the community's list"
    )
    department: Label = Field(description="The pushing department (refusals are counted by it)")
    title: Title
    due: Day | None = None


class TaskView(BaseModel):
    task_id: str
    code: str
    matter_id: str
    matter_name: str
    runway: Runway
    department: str
    title: str
    due: date | None
    pushed_at: datetime
