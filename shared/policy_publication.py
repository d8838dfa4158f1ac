"""Publishing a policy pack, and which published pack decides now: the same for every service.

A pack file that is merely present decides nothing (docs/kernel.md: "A decision is made only
under published policy"). `wuding <service> policy publish --region R` records
`PolicyPackPublished` on the service's own stream `policy-<region>`, once per version, with the
SHA-256 of the pack's content; a decision reads that stream at decision time and uses the
latest published version in force whose file still has that content (`PolicyBook.deciding`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Generic

from pydantic import Field

from shared.commands import CommandContext
from shared.errors import Conflict
from shared.eventstore import DomainEvent, Envelope
from shared.eventstore.store import head_of
from shared.pipeline import Change, CommandPipeline
from shared.policy_packs import NoRegion, P, PolicyBook

# How the policy stream is read: a pipeline's `load` (a command, a consumer's batch, which
# caches it for the batch) or a store's `read_stream` (a query).
StreamReader = Callable[[str], Awaitable[Sequence[Envelope]]]


class PolicyPackPublished(DomainEvent):
    """A policy pack version was put in force for its region (stream `policy-<region>`).

    Nothing is re-decided by this alone: re-evaluation is a separate, recorded command.
    """

    event_type = "PolicyPackPublished"
    schema_version = 1

    region: str
    version: str
    effective_from: str
    name: str
    content_sha256: str = Field(description="SHA-256 of the pack as published")


POLICY_EVENT_TYPES: tuple[type[DomainEvent], ...] = (PolicyPackPublished,)


def policy_stream(region: str) -> str:
    return f"policy-{region}"


@dataclass(frozen=True)
class PublishPolicyPack:
    command_type: ClassVar[str] = "PublishPolicyPack"  # stable: the metadata's `command`
    region: str


@dataclass(frozen=True)
class Reevaluation:
    """What re-deciding a region's cases under its published pack did."""

    pack: str  # region@version
    communities: int  # re-decided
    changed: int  # those that got new events (a decision or the pack naming it changed)


class PackVersionChanged(Conflict):
    slug = "policy-pack-version-changed"
    title = "This pack version was published with other content"


class PackNotPublished(Conflict):
    slug = "policy-pack-not-published"
    title = "Publish the policy pack version before re-evaluating with it"


class PolicyInForce(Generic[P]):
    """A service's shipped packs (`book`) and, per region, the one a decision uses now, read
    from its policy streams through `read`."""

    def __init__(self, book: PolicyBook[P], read: StreamReader) -> None:
        self.book = book
        self.read = read

    def reading(self, read: StreamReader) -> PolicyInForce[P]:
        """The same packs, read through another reader (a consumer batch's pipeline)."""
        return PolicyInForce(self.book, read)

    async def publications(self, region: str) -> dict[str, Envelope]:
        """Each published version of the region → its publication."""
        return {str(e.payload["version"]): e for e in await self.read(policy_stream(region))}

    async def published_pack(self, region: str) -> tuple[P, Envelope | None]:
        """The latest published version in force, with its publication (None: the region's
        baseline, before its first publication). PackVersionChanged when every published
        version's file has changed since: nothing is decided on it."""
        by_version = await self.publications(region)
        published = {v: str(e.payload["content_sha256"]) for v, e in by_version.items()}
        pack = self.book.deciding(region, published)
        if pack is None:
            raise PackVersionChanged(
                f"no published pack version of {region} is in force with the content it was"
                " published with: restore the published files, or publish a new version"
            )
        return pack, by_version.get(pack.version)

    async def pack_for(self, division_code: str) -> P:
        """The pack a decision on this division uses now; NoRegion when no region covers it."""
        pack, _ = await self.published_pack(self.book.region_of(division_code))
        return pack

    async def covering(self, division_code: str) -> P | None:
        """`pack_for`, or None when no region covers the division (a service that decides
        nothing there, such as staffing for a division no seed speaks of)."""
        try:
            return await self.pack_for(division_code)
        except NoRegion:
            return None

    async def require_published(self, region: str, publish_with: str) -> tuple[P, Envelope]:
        """The region's published pack in force, for a re-evaluation: PackNotPublished when the
        latest file in force has not been published (re-evaluating under the old one would
        look like applying the new). `publish_with`: the operator's command that publishes."""
        latest = self.book.in_force(region)
        pack, publication = await self.published_pack(region)
        if publication is None or pack.version != latest.version:
            raise PackNotPublished(
                f"{latest.ref} is in force but was not published: run `{publish_with}` first"
            )
        return pack, publication


async def publish_pack(
    pipeline: CommandPipeline, book: PolicyBook[P], cmd: PublishPolicyPack, ctx: CommandContext
) -> list[Envelope]:
    """Record that the region's pack version in force is published: once per version ([] when
    it already is); PackVersionChanged when that version was published with other content."""
    pack = book.in_force(cmd.region)
    stream = policy_stream(cmd.region)
    history = await pipeline.load(stream)
    digest = pack.content_sha256()
    for earlier in history:
        if earlier.payload["version"] != pack.version:
            continue
        if earlier.payload["content_sha256"] == digest:
            return []
        # Decisions name a pack by version: one version must mean one content forever.
        raise PackVersionChanged(
            f"{pack.ref} was published with content sha256 {earlier.payload['content_sha256']}"
            f" and its file now hashes to {digest}: publish changed rules as a new version"
        )
    published = PolicyPackPublished(
        region=cmd.region,
        version=pack.version,
        effective_from=pack.effective_from.isoformat(),
        name=pack.name,
        content_sha256=digest,
    )
    event = pipeline.new_event(
        published, cmd.command_type, ctx, subject=stream, policy_pack=pack.ref
    )
    return await pipeline.save(ctx, Change(stream, head_of(history), [event]))
