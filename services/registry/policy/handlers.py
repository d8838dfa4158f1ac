"""Policy command handlers: publish the pack version in force, re-evaluate communities under it.

Publishing is explicit and recorded once per version; re-evaluation is explicit and recorded,
each community re-decided by the same pure decision a command uses (community/decide.py).
"""

from __future__ import annotations

from uuid import uuid5

from services.registry.community import decide
from services.registry.community.handlers import load_community, save_to_community
from services.registry.policy.commands import ReevaluateCommunities
from services.registry.policy.packs import PolicyPack
from shared import policy_publication
from shared.commands import CommandContext
from shared.eventstore import Envelope
from shared.pipeline import CommandPipeline
from shared.policy_publication import PolicyInForce, PublishPolicyPack, Reevaluation


class PolicyHandlers:
    def __init__(self, pipeline: CommandPipeline, policy: PolicyInForce[PolicyPack]) -> None:
        self.pipeline = pipeline
        self.policy = policy

    async def publish_pack(self, cmd: PublishPolicyPack, ctx: CommandContext) -> list[Envelope]:
        """Record that the region's pack version in force is published (once per version)."""
        return await policy_publication.publish_pack(self.pipeline, self.policy.book, cmd, ctx)

    async def reevaluate(self, cmd: ReevaluateCommunities, ctx: CommandContext) -> Reevaluation:
        """Re-decide tier and size findings of `cmd.codes` under the published pack in force.

        Idempotent under one pack version: a second run appends nothing, whatever its command
        id; re-running the same command (same id) replays. Each community's decision names
        the pack, the publication that caused it and the reason.
        """
        pack, publication = await self.policy.require_published(
            cmd.region, f"wuding policy publish --region {cmd.region}"
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
