"""Policy packs: a service's rules as versioned data, one pack per region and version.

Every service that decides by regional policy (the registry's tiers, staffing's quotas, ...)
ships its packs as JSON files in `services/<name>/policies/`, each validated by a `PackBase`
subclass naming the seed section each number comes from. Every decision records the pack's
region and version, so "why 33?" can be answered years later. A `PolicyBook` holds every
version of every region and says which one is in force for a division on a date.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date
from importlib import resources
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from shared.eventstore.hashing import canonical_json


class PackBase(BaseModel):
    """What every pack has: where and from when it applies, and its sources."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    region: str
    name: str
    version: str
    effective_from: date
    division_prefixes: list[str]
    sources: dict[str, str]

    @property
    def ref(self) -> str:
        return f"{self.region}@{self.version}"

    def content_sha256(self) -> str:
        """SHA-256 of the pack's canonical JSON: what its publication records, and what anyone
        can recompute from the pack's document."""
        return hashlib.sha256(canonical_json(self.model_dump(mode="json"))).hexdigest()


class NoRegion(LookupError):
    pass


P = TypeVar("P", bound=PackBase)


class PolicyBook(Generic[P]):
    """Every pack version of every region; answers which one is in force for a division.

    A region may hold several versions. The latest file whose `effective_from` has come is
    what a publication publishes (`in_force`); a decision uses only the latest *published* one
    (`deciding`), so a file that is merely present decides nothing. A new version changes no
    existing decision by itself: re-evaluation is explicit, and recorded.
    """

    def __init__(self, packs: list[P]) -> None:
        self.packs = packs
        self.sha256 = {(p.region, p.version): p.content_sha256() for p in packs}

    def region_of(self, division_code: str) -> str:
        """The region whose division prefix is the longest match for the code."""
        matches = [
            (len(prefix), pack.region)
            for pack in self.packs
            for prefix in pack.division_prefixes
            if division_code.startswith(prefix)
        ]
        if not matches:
            raise NoRegion(f"no policy region covers division code {division_code}")
        return max(matches)[1]

    def covers(self, division_code: str, region: str) -> bool:
        """Whether `region` is the one deciding for the division."""
        try:
            return self.region_of(division_code) == region
        except NoRegion:
            return False

    def in_force(self, region: str, on: date | None = None) -> P:
        day = on or date.today()
        candidates = [p for p in self.packs if p.region == region and p.effective_from <= day]
        if not candidates:
            raise NoRegion(f"no pack of region {region} is in force on {day.isoformat()}")
        return max(candidates, key=lambda p: p.effective_from)

    def pack_for(self, division_code: str, on: date | None = None) -> P:
        return self.in_force(self.region_of(division_code), on)

    def deciding(
        self, region: str, published: Mapping[str, str], on: date | None = None
    ) -> P | None:
        """The pack a decision in `region` uses on `on`: the latest version in force whose
        file still has the content its publication recorded (`published`: version → SHA-256).

        Before the region's first publication: its baseline, the earliest version (the rules
        the region started with; a later file still waits for its publication).
        None: every published version's file has changed since (decide nothing on it).
        """
        versions = [p for p in self.packs if p.region == region]
        if not versions:
            raise NoRegion(f"no policy pack of region {region}")
        if not published:
            return min(versions, key=lambda p: p.effective_from)
        day = on or date.today()
        candidates = [
            p
            for p in versions
            if p.effective_from <= day
            and published.get(p.version) == self.sha256[p.region, p.version]
        ]
        return max(candidates, key=lambda p: p.effective_from) if candidates else None


def load_packs(package: str, model: type[P]) -> tuple[P, ...]:
    """Every `*.json` pack in `<package>/policies`, validated by `model`, in file-name order."""
    folder = resources.files(package) / "policies"
    return tuple(
        model.model_validate_json(item.read_text(encoding="utf-8"))
        for item in sorted(folder.iterdir(), key=lambda p: p.name)
        if item.name.endswith(".json")
    )
