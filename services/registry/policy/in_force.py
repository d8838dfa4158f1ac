"""Which policy pack decides now: read from the log at decision time, never a file that is
merely present (docs/kernel.md: "A decision is made only under published policy")."""

from __future__ import annotations

from services.registry.policy.commands import PackVersionChanged
from services.registry.policy.events import policy_stream
from services.registry.policy.packs import PolicyBook, PolicyPack
from shared.eventstore import Envelope
from shared.pipeline import CommandPipeline


class PolicyInForce:
    """The shipped packs (`book`) and, per region, the one a decision uses now."""

    def __init__(self, pipeline: CommandPipeline, book: PolicyBook | None = None) -> None:
        self.pipeline = pipeline
        self.book = book or PolicyBook.shipped()

    async def pack_for(self, division_code: str) -> PolicyPack:
        """The pack a decision on this division uses now (see `published_pack`); NoRegion when
        no region covers the division."""
        pack, _ = await self.published_pack(self.book.region_of(division_code))
        return pack

    async def published_pack(self, region: str) -> tuple[PolicyPack, Envelope | None]:
        """The latest published version in force, with its publication (None: the region's
        baseline, before its first publication)."""
        publications = await self.pipeline.load(policy_stream(region))
        by_version = {str(e.payload["version"]): e for e in publications}
        published = {v: str(e.payload["content_sha256"]) for v, e in by_version.items()}
        pack = self.book.deciding(region, published)
        if pack is None:
            raise PackVersionChanged(
                f"no published pack version of {region} is in force with the content it was"
                " published with: restore the published files, or publish a new version"
            )
        return pack, by_version.get(pack.version)
