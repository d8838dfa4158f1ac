"""Re-deciding a region's quotas under its newly published staffing pack (explicit, recorded).

A publication alone changes no quota (shared/policy_publication.py). `wuding staffing policy
reevaluate --region R` re-decides every community staffing follows in the region with the same
pure decision a registry event uses (decide.py), from staffing's recorded view of it: each
QuotaSet names the pack and is caused by the publication. Under one pack version a second run
appends nothing; running the same command again (same id) replays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar
from uuid import uuid5

from services.staffing.policy import StaffingPolicy
from services.staffing.quota.decide import CommunityQuota, decide
from services.staffing.quota.events import community_stream
from shared.commands import CommandContext
from shared.pipeline import Change, CommandPipeline
from shared.policy_publication import Reevaluation


@dataclass(frozen=True)
class ReevaluateQuotas:
    command_type: ClassVar[str] = "ReevaluateQuotas"  # stable: the metadata's `command`
    region: str
    codes: tuple[str, ...]


async def reevaluate(
    pipeline: CommandPipeline, policy: StaffingPolicy, cmd: ReevaluateQuotas, ctx: CommandContext
) -> Reevaluation:
    """Re-decide the quotas of `cmd.codes` under the region's published pack in force;
    PackNotPublished when the latest file in force is not published yet."""
    pack, publication = await policy.require_published(
        cmd.region, f"wuding staffing policy publish --region {cmd.region}"
    )
    changed = decided = 0
    for code in cmd.codes:
        stream = community_stream(code)
        state, head = await pipeline.fold(stream, CommunityQuota())
        if state.facts is None:
            continue  # not a community staffing follows
        decided += 1
        step = CommandContext(
            actor_id=ctx.actor_id, actor_kind=ctx.actor_kind,
            correlation_id=ctx.correlation_id or str(ctx.command_id),
            command_id=uuid5(ctx.command_id, code),
        )  # fmt: skip
        new = [
            pipeline.new_event(
                e,
                cmd.command_type,
                step,
                subject=code,
                division_code=state.facts.division_code,
                policy_pack=pack.ref if e.is_decision else None,
                causation_id=str(publication.event_id),
                reason="re-evaluation",
            )
            for e in decide(state.facts, state, pack)
        ]
        if new:
            await pipeline.save(step, Change(stream, head, new))
            changed += 1
    return Reevaluation(pack.ref, decided, changed)
