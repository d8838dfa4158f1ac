"""Policy command handlers: publish the pack version in force, re-evaluate communities under it.

Publishing is explicit and recorded once per version; re-evaluation is explicit and recorded,
each community re-decided by the same pure decision a command uses (community/decide.py).
"""

from __future__ import annotations

from uuid import uuid5

from services.registry.community import decide
from services.registry.community.handlers import load_community, save_to_community
from services.registry.policy.commands import (
    PackNotPublished,
    PackVersionChanged,
    PublishPolicyPack,
    ReevaluateCommunities,
    Reevaluation,
)
from services.registry.policy.events import PolicyPackPublished, policy_stream
from services.registry.policy.in_force import PolicyInForce
from shared.commands import CommandContext
from shared.eventstore import Envelope
from shared.eventstore.store import head_of
from shared.pipeline import Change, CommandPipeline


class PolicyHandlers:
    def __init__(self, pipeline: CommandPipeline, policy: PolicyInForce) -> None:
        self.pipeline = pipeline
        self.policy = policy

    async def publish_pack(self, cmd: PublishPolicyPack, ctx: CommandContext) -> list[Envelope]:
        """Record that the region's pack version in force is published (once per version)."""
        pack = self.policy.book.in_force(cmd.region)
        stream = policy_stream(cmd.region)
        history = await self.pipeline.load(stream)
        digest = pack.content_sha256()
        for earlier in history:
            if earlier.payload["version"] != pack.version:
                continue
            if earlier.payload["content_sha256"] == digest:
                return []  # once per version
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
        event = self.pipeline.new_event(
            published, cmd.command_type, ctx, subject=stream, policy_pack=pack.ref
        )
        return await self.pipeline.save(ctx, Change(stream, head_of(history), [event]))

    async def reevaluate(self, cmd: ReevaluateCommunities, ctx: CommandContext) -> Reevaluation:
        """Re-decide tier and size findings of `cmd.codes` under the published pack in force.

        Idempotent under one pack version: a second run appends nothing, whatever its command
        id; re-running the same command (same id) replays. Each community's decision names
        the pack, the publication that caused it and the reason.
        """
        latest = self.policy.book.in_force(cmd.region)
        pack, publication = await self.policy.published_pack(cmd.region)
        if publication is None or pack.version != latest.version:
            raise PackNotPublished(
                f"{latest.ref} is in force but was not published:"
                f" run `wuding policy publish --region {cmd.region}` first"
            )
        changed, ended = 0, 0
        for code in cmd.codes:
            community = await load_community(self.pipeline, code)
            if community.status == "converted":  # ended: its successor is decided instead
                ended += 1
                continue
            events = decide.reevaluate(community, pack)
            if not events:
                continue
            step = CommandContext(
                actor_id=ctx.actor_id,
                actor_kind=ctx.actor_kind,
                correlation_id=ctx.correlation_id or str(ctx.command_id),
                command_id=uuid5(ctx.command_id, code),
            )
            await save_to_community(
                self.pipeline, step, cmd.command_type, community, events, pack,
                reason="re-evaluation", causation_id=str(publication.event_id),
            )  # fmt: skip
            changed += 1
        return Reevaluation(pack.ref, len(cmd.codes) - ended, changed)
