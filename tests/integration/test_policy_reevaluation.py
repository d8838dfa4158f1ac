"""Issue 3 "Policy packs": a new pack version changes nothing silently; publication and
re-evaluation are explicit commands, recorded as events with their causes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest

from services.registry.community.commands import RegisterCommunity
from services.registry.community.events import Indicators, community_stream
from services.registry.community.handlers import load_community
from services.registry.community.projections import CommunitiesProjection
from services.registry.community.tiers import decide_tier
from services.registry.policy.commands import (
    ReevaluateCommunities,
)
from services.registry.policy.packs import PolicyBook, PolicyPack, packs
from services.registry.runtime import registry_catalog, registry_commands
from shared.commands import CommandContext
from shared.eventstore import EventStore
from shared.pipeline import CommandPipeline
from shared.policy_publication import (
    PackNotPublished,
    PackVersionChanged,
    PublishPolicyPack,
    policy_stream,
)
from shared.projections import Projector


def operator() -> CommandContext:
    return CommandContext(actor_id="operator:test", actor_kind="operator")


async def test_new_pack_version_needs_publication_and_explicit_reevaluation(
    pool: asyncpg.Pool,
) -> None:
    store, catalog = EventStore(pool), registry_catalog()
    v1 = next(p for p in packs() if p.region == "ningbo")
    stricter = v1.tier["urban_rural"].model_copy(
        update={"thresholds": {"较大": Decimal("0.50"), "特大": Decimal("1.60")}}
    )
    v2 = v1.model_copy(
        update={"version": "2026.1", "effective_from": date.today(),
                "tier": {**v1.tier, "urban_rural": stricter}}
    )  # fmt: skip
    before = registry_commands(CommandPipeline(store, catalog), PolicyBook([v1]))
    registration = RegisterCommunity(
        "勤勇社区", "330211004001", "urban", "老城区社区",
        Indicators(households=2860, residents=7420, area_km2=Decimal("1.35")),
    )  # fmt: skip
    [registered, *_] = await before.communities.register_community(registration, operator())
    code = registered.payload["code"]

    after = registry_commands(
        CommandPipeline(store, catalog), PolicyBook([v1, v2])
    )  # the new pack file is deployed
    community = await load_community(after.policies.pipeline, code)
    assert (community.tier, community.tier_decision.policy_version) == ("一般", "2023.1")

    with pytest.raises(PackNotPublished):  # re-evaluation names a published pack
        await after.policies.reevaluate(ReevaluateCommunities("ningbo", tuple([code])), operator())
    [published] = await after.policies.publish_pack(PublishPolicyPack("ningbo"), operator())
    assert published.payload["version"] == "2026.1"
    assert (
        await after.policies.publish_pack(PublishPolicyPack("ningbo"), operator()) == []
    )  # once per version
    edited = v2.model_copy(update={"name": v2.name + " (edited in place)"})
    with pytest.raises(PackVersionChanged, match="publish changed rules as a new version"):
        await registry_commands(
            CommandPipeline(store, catalog), PolicyBook([v1, edited])
        ).policies.publish_pack(PublishPolicyPack("ningbo"), operator())

    command = operator()
    assert (
        await after.policies.reevaluate(ReevaluateCommunities("ningbo", tuple([code])), command)
    ).changed == 1
    community = await load_community(after.policies.pipeline, code)
    decision = community.tier_decision
    assert decision is not None
    assert (community.tier, decision.previous_tier, decision.policy_version) == (
        "较大", "一般", "2026.1",
    )  # fmt: skip
    [last] = (await store.read_stream(community_stream(code)))[-1:]
    assert last.metadata["reason"] == "re-evaluation"
    assert last.metadata["causation_id"] == str(published.event_id)
    assert last.metadata["policy_pack"] == "ningbo@2026.1"

    versions = len(await store.read_stream(community_stream(code)))
    await after.policies.reevaluate(
        ReevaluateCommunities("ningbo", tuple([code])), command
    )  # the same command again: nothing new
    assert len(await store.read_stream(community_stream(code))) == versions
    assert len(await store.read_stream(policy_stream("ningbo"))) == 1


async def test_wuding_policy_publish_and_reevaluate_commands(
    pool: asyncpg.Pool, registry_db: str
) -> None:
    handlers = registry_commands(CommandPipeline(EventStore(pool), registry_catalog()))
    for village in (1, 2, 3):
        registration = RegisterCommunity(
            f"测试{village}社区", f"330211004{village:03d}", "urban", "老城区社区",
            Indicators(households=2000, residents=6000, area_km2=Decimal(1)),
        )  # fmt: skip
        await handlers.communities.register_community(registration, operator())
    env = {**os.environ, "WUDING_DATABASE_URL": registry_db}

    async def wuding(*args: str) -> str:
        done = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "services.cli", *args],
            env=env, capture_output=True, text=True,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "ningbo@2023.1: published" in await wuding("policy", "publish", "--region", "ningbo")
    # Registered under ningbo@2023.1 (the baseline), re-decided under ningbo@2023.1: the same
    # tiers under the same version, so nothing to record, this time or the next.
    for _ in range(2):
        out = await wuding("policy", "reevaluate", "--region", "ningbo")
        assert "re-evaluated 3 communities of ningbo under ningbo@2023.1: 0 got new" in out
    reasons = await pool.fetchval(
        "SELECT count(*) FROM events WHERE metadata->>'reason' = 're-evaluation'"
    )
    assert reasons == 0


async def test_wuding_policy_calibrate_proposes_a_new_pack_version(
    pool: asyncpg.Pool, registry_db: str, tmp_path: Path
) -> None:
    handlers = registry_commands(CommandPipeline(EventStore(pool), registry_catalog()))
    for village in range(1, 41):  # 40 communities of growing size
        registration = RegisterCommunity(
            f"测试{village}社区", f"330211005{village:03d}", "urban", "老城区社区",
            Indicators(households=100 * village, residents=280 * village, area_km2=Decimal(1)),
        )  # fmt: skip
        await handlers.communities.register_community(registration, operator())
    await Projector(pool, registry_catalog(), CommunitiesProjection()).run_once()
    out = tmp_path / "ningbo-2026.2.json"
    command = [sys.executable, "-m", "services.cli", "policy", "calibrate", "--region", "ningbo",
               "--target", "50,40,10", "--version", "2026.2", "--effective-from", "2026-12-01",
               "--out", str(out)]  # fmt: skip
    done = await asyncio.to_thread(
        subprocess.run, command, env={**os.environ, "WUDING_DATABASE_URL": registry_db},
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    proposal = PolicyPack.model_validate_json(out.read_text(encoding="utf-8"))
    assert (proposal.version, str(proposal.effective_from)) == ("2026.2", "2026-12-01")
    assert (
        "calibrated on 40 urban_rural communities"
        in proposal.sources["tier.urban_rural.thresholds"]
    )
    book = PolicyBook([proposal])
    tiers = Counter(
        decide_tier(proposal, "urban", Indicators(
            households=100 * v, residents=280 * v, area_km2=Decimal(1)).as_decimals()).tier
        for v in range(1, 41)
    )  # fmt: skip
    assert tiers == {"一般": 20, "较大": 16, "特大": 4} and book.region_of("330211005001")
