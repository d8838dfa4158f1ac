"""Grid command handlers: load the community, decide (grids/decide.py), save on its stream."""

from __future__ import annotations

from services.registry.community.handlers import load_community_at, save_to_community
from services.registry.grids.commands import GridCommand
from services.registry.grids.decide import decide
from services.registry.policy.packs import PolicyPack
from shared.commands import CommandContext
from shared.eventstore import Envelope
from shared.pipeline import CommandPipeline, Refused
from shared.policy_publication import PolicyInForce
from shared.values import refusing_invalid_values


class GridHandlers:
    def __init__(self, pipeline: CommandPipeline, policy: PolicyInForce[PolicyPack]) -> None:
        self.pipeline = pipeline
        self.policy = policy

    @refusing_invalid_values
    async def handle(self, cmd: GridCommand, ctx: CommandContext) -> list[Envelope]:
        community = await load_community_at(self.pipeline, cmd.code, cmd.expected_version, ctx)
        if isinstance(community, list):
            return community  # a retry of a command already recorded
        pack = await self.policy.pack_for(community.division_code)
        decision = decide(cmd, community, pack)
        if isinstance(decision, Refused):
            return await self.pipeline.refuse(ctx, decision)
        return await save_to_community(
            self.pipeline, ctx, cmd.command_type, community, decision, pack
        )
