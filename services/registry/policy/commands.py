"""Policy commands of the registry: re-evaluate communities under the published pack (publishing
is the kernel's: shared/policy_publication.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class ReevaluateCommunities:
    command_type: ClassVar[str] = "ReevaluateCommunities"  # stable: the metadata's `command`
    region: str
    codes: tuple[str, ...]
