"""Policy commands: publish the pack version in force, re-evaluate communities under it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from shared.errors import (
    Conflict,
)


@dataclass(frozen=True)
class PublishPolicyPack:
    command_type: ClassVar[str] = "PublishPolicyPack"  # stable: the metadata's `command`
    region: str


@dataclass(frozen=True)
class ReevaluateCommunities:
    command_type: ClassVar[str] = "ReevaluateCommunities"  # stable: the metadata's `command`
    region: str
    codes: tuple[str, ...]


class PackVersionChanged(Conflict):
    slug = "policy-pack-version-changed"
    title = "This pack version was published with other content"


class PackNotPublished(Conflict):
    slug = "policy-pack-not-published"
    title = "Publish the policy pack version before re-evaluating with it"


@dataclass(frozen=True)
class Reevaluation:
    pack: str  # region@version
    communities: int  # re-decided
    changed: int  # those that got new events (a tier or pack version changed, a finding)
