"""A community's list, folded, and what a registry event does to it: pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from services.matters.catalogue.packs import CommunityType, MattersPack
from services.matters.lists.events import (
    ListedMatter,
    MatterAdmitted,
    MatterExited,
    MatterListEnded,
    MatterListOpened,
)
from shared.eventstore import DomainEvent
from shared.values import CommunityCode, DivisionCode


@dataclass
class Entry:
    """A matter on a list, from `since` until `until` (None: still on it)."""

    matter: ListedMatter
    since: datetime
    until: datetime | None = None
    admission_id: str | None = None  # None: a basic function


@dataclass
class CommunityList:
    """A community's stream `list-<code>`, folded: its matters and when each is on it."""

    code: str | None = None
    division_code: str | None = None
    community_type: str | None = None
    opened_at: datetime | None = None
    ended_at: datetime | None = None
    entries: dict[str, Entry] = field(default_factory=dict)

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, MatterListOpened):
            self.code, self.division_code = event.code, event.division_code
            self.community_type, self.opened_at = event.community_type, event.effective_from
            self.entries = {m.matter_id: Entry(m, event.effective_from) for m in event.items}
        elif isinstance(event, MatterListEnded):
            self.ended_at = event.effective_from
        elif isinstance(event, MatterAdmitted):
            entry = Entry(event.matter, event.effective_from, admission_id=event.admission_id)
            self.entries[event.matter.matter_id] = entry
        elif isinstance(event, MatterExited) and event.matter_id in self.entries:
            self.entries[event.matter_id].until = event.effective_from

    def is_open(self, at: datetime) -> bool:
        if self.opened_at is None or at < self.opened_at:
            return False
        return self.ended_at is None or at < self.ended_at

    def on_list(self, matter_id: str, at: datetime) -> ListedMatter | None:
        """The matter if it is on the list at `at`; None if not (or the list is not open)."""
        entry = self.entries.get(matter_id)
        if entry is None or not self.is_open(at) or at < entry.since:
            return None
        return entry.matter if entry.until is None or at < entry.until else None

    def listed_at(self, at: datetime) -> list[ListedMatter]:
        return [e.matter for e in self.entries.values() if self.on_list(e.matter.matter_id, at)]


class Registration(BaseModel):
    """What matters reads of the registry's CommunityRegistered (the rest it ignores)."""

    model_config = ConfigDict(extra="ignore")

    code: CommunityCode
    division_code: DivisionCode
    major_type: CommunityType
    predecessor: CommunityCode | None = None


class Conversion(BaseModel):
    """What matters reads of the registry's CommunityConverted."""

    model_config = ConfigDict(extra="ignore")

    code: CommunityCode
    successor_code: CommunityCode


def open_list(
    registration: Registration, at: datetime, state: CommunityList, pack: MattersPack | None
) -> list[MatterListOpened]:
    """The list of a newly registered community; nothing if it has one (a replay)."""
    if state.opened_at is not None:
        return []
    kind = registration.major_type
    functions = pack.basic_functions(kind) if pack is not None else []
    items = [ListedMatter(matter_id=f.id, name=f.name, runway=f.runway, basis="basic")
             for f in functions]  # fmt: skip
    catalogue = pack.catalogues.get(kind) if pack is not None else None
    if catalogue is not None:
        source = catalogue.source
    elif pack is not None:
        source = pack.sources.get("catalogues", f"the {pack.region} pack has no {kind} catalogue")
    else:
        source = "no policy region covers the division: no basic function is set"
    return [
        MatterListOpened(
            code=registration.code, division_code=registration.division_code,
            community_type=kind, effective_from=at, items=items,
            runways=sorted({m.runway for m in items}), predecessor=registration.predecessor,
            source=source, policy_region=pack.region if pack else None,
            policy_version=pack.version if pack else None,
        )
    ]  # fmt: skip


def end_list(conversion: Conversion, at: datetime, state: CommunityList) -> list[MatterListEnded]:
    """撤村建居: the village's list ends when it converts; nothing if it has ended already or
    matters never saw it registered."""
    if state.opened_at is None or state.ended_at is not None or state.division_code is None:
        return []
    return [
        MatterListEnded(
            code=conversion.code, division_code=state.division_code, effective_from=at,
            reason="撤村建居: converted into an urban community",
            successor=conversion.successor_code,
            runways=sorted({e.matter.runway for e in state.entries.values()}),
        )
    ]  # fmt: skip
