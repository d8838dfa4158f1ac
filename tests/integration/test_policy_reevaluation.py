"""Issue 3 "Policy packs": a new pack version changes nothing silently; publication and
re-evaluation are explicit commands, recorded as events with their causes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import date
from decimal import Decimal

import asyncpg
import pytest

from services.registry.domain import Indicators, policy_stream_id, stream_id
from services.registry.handlers import (
    Handlers,
    PackNotPublished,
    RegisterCommunity,
)
from services.registry.policy import PolicyBook, packs
from services.registry.runtime import registry_catalog
from shared.commands import CommandContext
from shared.eventstore import EventStore


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
    before = Handlers(store, catalog, PolicyBook([v1]))
    registration = RegisterCommunity(
        "勤勇社区", "330211004001", "urban", "老城区社区",
        Indicators(households=2860, residents=7420, area_km2=Decimal("1.35")),
    )  # fmt: skip
    [registered, *_] = await before.register_community(registration, operator())
    code = registered.payload["code"]

    after = Handlers(store, catalog, PolicyBook([v1, v2]))  # the new pack file is deployed
    community = await after.load(code)
    assert (community.tier, community.tier_decision.policy_version) == ("一般", "2023.1")

    with pytest.raises(PackNotPublished):  # re-evaluation names a published pack
        await after.reevaluate("ningbo", [code], operator())
    [published] = await after.publish_pack("ningbo", operator())
    assert published.payload["version"] == "2026.1"
    assert await after.publish_pack("ningbo", operator()) == []  # once per version

    command = operator()
    assert await after.reevaluate("ningbo", [code], command) == 1
    community = await after.load(code)
    decision = community.tier_decision
    assert decision is not None
    assert (community.tier, decision.previous_tier, decision.policy_version) == (
        "较大", "一般", "2026.1",
    )  # fmt: skip
    [last] = (await store.read_stream(stream_id(code)))[-1:]
    assert last.metadata["reason"] == "re-evaluation"
    assert last.metadata["causation_id"] == str(published.event_id)
    assert last.metadata["policy_pack"] == "ningbo@2026.1"

    versions = len(await store.read_stream(stream_id(code)))
    await after.reevaluate("ningbo", [code], command)  # the same command again: nothing new
    assert len(await store.read_stream(stream_id(code))) == versions
    assert len(await store.read_stream(policy_stream_id("ningbo"))) == 1


async def test_wuding_policy_publish_and_reevaluate_commands(
    pool: asyncpg.Pool, registry_db: str
) -> None:
    handlers = Handlers(EventStore(pool), registry_catalog())
    for village in (1, 2, 3):
        registration = RegisterCommunity(
            f"测试{village}社区", f"330211004{village:03d}", "urban", "老城区社区",
            Indicators(households=2000, residents=6000, area_km2=Decimal(1)),
        )  # fmt: skip
        await handlers.register_community(registration, operator())
    env = {**os.environ, "WUDING_DATABASE_URL": registry_db}

    async def wuding(*args: str) -> str:
        done = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "services.cli", *args],
            env=env, capture_output=True, text=True,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "ningbo@2023.1: published" in await wuding("policy", "publish", "--region", "ningbo")
    out = await wuding("policy", "reevaluate", "--region", "ningbo")
    assert "re-evaluated 3 communities of ningbo" in out
    reasons = await pool.fetchval(
        "SELECT count(*) FROM events WHERE metadata->>'reason' = 're-evaluation'"
    )
    assert reasons == 3
