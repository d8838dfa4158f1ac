"""List events: a community's list of matters (事项清单), on its stream `list-<code>` in
matters' own log. Each names the community's division code and every matter's runway, so a
county centre or a town platform can take its own slice of the `matters` topic (DOMAIN.md §5)."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

from services.matters.catalogue.packs import Runway
from shared.eventstore import DomainEvent
from shared.values import Record


class ListedMatter(Record):
    """A matter on a community's list: a basic function of its type, or one admitted."""

    matter_id: str
    name: str
    runway: Runway
    basis: Literal["basic", "admitted"]


class MatterListOpened(DomainEvent):
    """The registry registered the community: its list starts with the basic functions of
    its type under the pack in force (基本功能; special ones come by admission)."""

    event_type = "MatterListOpened"
    schema_version = 1
    is_decision: ClassVar[bool] = True

    code: str
    division_code: str
    community_type: str
    effective_from: datetime  # the registration's time
    items: list[ListedMatter]
    runways: list[Runway]  # every runway an item of the list runs on
    predecessor: str | None = None  # 撤村建居: the village it succeeds
    source: str  # where the items come from (the catalogue's seed section)
    policy_region: str | None
    policy_version: str | None


class MatterListEnded(DomainEvent):
    """The community ended (撤村建居: the village became `successor`): its list ends; a task
    pushed to it afterwards is refused."""

    event_type = "MatterListEnded"
    schema_version = 1

    code: str
    division_code: str
    effective_from: datetime
    reason: str
    successor: str | None = None
    runways: list[Runway]


class MatterAdmitted(DomainEvent):
    """An admitted matter enters the community's list from `effective_from` (its handover
    list signed): funding allocates `funding_per_year_fen` (费随事转), staffing counts `staff`
    (人随事转)."""

    event_type = "MatterAdmitted"
    schema_version = 1

    code: str
    division_code: str
    matter: ListedMatter
    admission_id: str
    department: str  # the applicant
    effective_from: datetime
    funding_per_year_fen: int
    staff: int


class MatterExited(DomainEvent):
    """准入退出: the matter leaves the community's list from `effective_from`; what followed it
    stops from `stops_from` (the next budget year)."""

    event_type = "MatterExited"
    schema_version = 1

    code: str
    division_code: str
    matter_id: str
    runway: Runway
    admission_id: str
    effective_from: datetime
    reason: str
    stops_from: date


def list_stream(code: str) -> str:
    return f"list-{code}"


LIST_EVENT_TYPES: tuple[type[DomainEvent], ...] = (
    MatterListOpened, MatterListEnded, MatterAdmitted, MatterExited,
)  # fmt: skip
