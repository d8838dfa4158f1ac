"""Issue 8 §6: a decision is made only under published policy, and repeating a re-evaluation
changes nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import asyncpg
import pytest

from services.registry.community.commands import RegisterCommunity, UpdateCommunityIndicators
from services.registry.community.events import Indicators, community_stream
from services.registry.conversion.commands import ProposeConversion, RecordConversionStep
from services.registry.conversion.workflow import ConversionStep
from services.registry.policy.commands import ReevaluateCommunities
from services.registry.policy.packs import PolicyBook, PolicyPack, packs
from services.registry.runtime import registry_catalog, registry_commands
from shared.commands import CommandContext
from shared.eventstore import EventStore
from shared.pipeline import CommandPipeline
from shared.policy_documents import policy_documents
from shared.policy_publication import PackNotPublished, PublishPolicyPack
from shared.workflow import Document

V1 = next(p for p in packs() if p.region == "ningbo")


def operator() -> CommandContext:
    return CommandContext(actor_id="operator:test", actor_kind="operator")


def stricter(version: str = "2026.1") -> PolicyPack:
    """A new Ningbo version, in force from today, under which 2,860 households is 较大."""
    rules = V1.tier["urban_rural"].model_copy(
        update={"thresholds": {"较大": Decimal("0.50"), "特大": Decimal("1.60")}}
    )
    return V1.model_copy(
        update={"version": version, "effective_from": date.today(),
                "tier": {**V1.tier, "urban_rural": rules}}
    )  # fmt: skip


def registration(village: int, households: int = 2860) -> RegisterCommunity:
    return RegisterCommunity(
        f"测试{village}社区", f"330211004{village:03d}", "urban", "老城区社区",
        Indicators(households=households, residents=7420, area_km2=Decimal("1.35")),
    )  # fmt: skip


async def decision_of(store: EventStore, code: str) -> tuple[str, str, str]:
    """(tier, payload policy_version, metadata policy_pack) of the community's last decision."""
    [last] = [e for e in await store.read_stream(community_stream(code)) if e.event_type ==
              "CommunityTierAssigned"][-1:]  # fmt: skip
    return last.payload["tier"], last.payload["policy_version"], last.metadata["policy_pack"]


async def test_a_decision_uses_the_published_version_never_a_file_merely_present(
    pool: asyncpg.Pool,
) -> None:
    """Guards: after a restart with a new pack file deployed but not yet published, a
    registration (and an indicator update) is decided under the published version in force,
    and says so; once the new version is published, decisions use it. On main, the new file
    decided at once."""
    store, catalog = EventStore(pool), registry_catalog()
    new_file = registry_commands(CommandPipeline(store, catalog), PolicyBook([V1, stricter()]))

    # Before the region's first publication: its baseline, the earliest version.
    [first, *_] = await new_file.communities.register_community(registration(1), operator())
    assert await decision_of(store, first.payload["code"]) == ("一般", "2023.1", "ningbo@2023.1")

    # 2023.1 published; 2026.1 deployed beside it and in force by date, but not published.
    await registry_commands(
        CommandPipeline(store, catalog), PolicyBook([V1])
    ).policies.publish_pack(PublishPolicyPack("ningbo"), operator())
    second = await new_file.communities.register_community(registration(2), operator())
    code = second[0].payload["code"]
    assert await decision_of(store, code) == ("一般", "2023.1", "ningbo@2023.1")
    policies = await new_file.policies.pipeline.store.read_stream("policy-ningbo")
    assert [e.payload["version"] for e in policies] == ["2023.1"]

    async def in_force() -> dict[str, bool]:
        listed = await policy_documents(new_file.policy, "ningbo")
        return {d.version: d.in_force for d in listed}

    assert await in_force() == {"2023.1": True, "2026.1": False}  # GET /v1/policy-packs

    # Published: the next decision is made under it (an update that changes the tier).
    [published] = await new_file.policies.publish_pack(PublishPolicyPack("ningbo"), operator())
    assert await in_force() == {"2023.1": False, "2026.1": True}
    assert published.payload["version"] == "2026.1"
    update = UpdateCommunityIndicators(
        code,
        second[-1].stream_version,
        Indicators(households=2900, residents=7420, area_km2=Decimal("1.35")),
    )
    await new_file.communities.update_indicators(update, operator())
    assert await decision_of(store, code) == ("较大", "2026.1", "ningbo@2026.1")
    [third, *_] = await new_file.communities.register_community(registration(3), operator())
    assert await decision_of(store, third.payload["code"]) == ("较大", "2026.1", "ningbo@2026.1")


async def test_a_published_version_whose_file_changed_decides_nothing(pool: asyncpg.Pool) -> None:
    """Guards: a pack file edited in place after its publication is not the published policy:
    decisions fall back to the latest version whose file still matches its publication."""
    store, catalog = EventStore(pool), registry_catalog()
    await registry_commands(
        CommandPipeline(store, catalog), PolicyBook([V1])
    ).policies.publish_pack(PublishPolicyPack("ningbo"), operator())
    await registry_commands(
        CommandPipeline(store, catalog), PolicyBook([V1, stricter()])
    ).policies.publish_pack(PublishPolicyPack("ningbo"), operator())
    edited = stricter().model_copy(update={"name": "edited in place"})
    handlers = registry_commands(CommandPipeline(store, catalog), PolicyBook([V1, edited]))
    [registered, *_] = await handlers.communities.register_community(registration(4), operator())
    assert (await decision_of(store, registered.payload["code"]))[1] == "2023.1"


async def test_reevaluating_twice_under_one_version_appends_nothing_the_second_time(
    pool: asyncpg.Pool,
) -> None:
    """Guards: `wuding policy reevaluate` run twice (each run a new command id) appended a
    second, identical CommunityTierAssigned for every community on main. Now a community gets
    a decision only when its tier or its decision's pack version changes."""
    store, catalog = EventStore(pool), registry_catalog()
    before = registry_commands(CommandPipeline(store, catalog), PolicyBook([V1]))
    codes = []
    for village, households in ((5, 2860), (6, 500)):  # 较大 and 一般 under 2026.1
        [registered, *_] = await before.communities.register_community(
            registration(village, households), operator()
        )
        codes.append(registered.payload["code"])
    after = registry_commands(CommandPipeline(store, catalog), PolicyBook([V1, stricter()]))
    await after.policies.publish_pack(PublishPolicyPack("ningbo"), operator())

    async def events() -> int:
        return await pool.fetchval("SELECT count(*) FROM events")

    first = await after.policies.reevaluate(
        ReevaluateCommunities("ningbo", tuple(codes)), operator()
    )
    assert (first.pack, first.communities, first.changed) == ("ningbo@2026.1", 2, 2)
    # The tier that changed and the one that stayed both now name the version in force.
    assert await decision_of(store, codes[0]) == ("较大", "2026.1", "ningbo@2026.1")
    assert await decision_of(store, codes[1]) == ("一般", "2026.1", "ningbo@2026.1")
    count = await events()
    again = await after.policies.reevaluate(
        ReevaluateCommunities("ningbo", tuple(codes)), operator()
    )  # a new command id
    assert (again.communities, again.changed) == (2, 0)
    assert await events() == count


async def test_reevaluation_before_publication_is_refused(pool: asyncpg.Pool) -> None:
    """Guards: re-evaluating with a pack version that is in force by date but not published is
    refused, naming the command that publishes it."""
    store, catalog = EventStore(pool), registry_catalog()
    handlers = registry_commands(CommandPipeline(store, catalog), PolicyBook([V1, stricter()]))
    [registered, *_] = await handlers.communities.register_community(registration(7), operator())
    with pytest.raises(PackNotPublished, match="wuding policy publish --region ningbo"):
        await handlers.policies.reevaluate(
            ReevaluateCommunities("ningbo", tuple([registered.payload["code"]])), operator()
        )


async def test_reevaluation_decides_nothing_on_an_ended_village(pool: asyncpg.Pool) -> None:
    """Guards: a village converted into an urban community has ended (every command on it is
    refused); a re-evaluation under a new version re-decides its successor, never the village."""
    store, catalog = EventStore(pool), registry_catalog()
    handlers = registry_commands(CommandPipeline(store, catalog), PolicyBook([V1]))
    conversions = handlers.conversions
    village = RegisterCommunity(
        "勤勇村", "330211004008", "rural", "城郊型农村社区",
        Indicators(households=2860, residents=7420, area_km2=Decimal("1.35")),
    )  # fmt: skip
    [registered, *_] = await handlers.communities.register_community(village, operator())
    code = registered.payload["code"]
    plan = [Document(kind="conversion_plan", title="方案")]
    [proposed] = await conversions.propose(ProposeConversion(code, True, False, plan), operator())
    for step in (
        ConversionStep("consent", "villagers_meeting", "consented", [Document(
            kind="meeting_minutes", title="记录")], votes_for=60, votes_total=90),
        ConversionStep("civil_affairs_review", "civil_affairs", "pass"),
        ConversionStep("approval", "management_committee", "approved", [Document(
            kind="approval_document", title="批复")]),
    ):  # fmt: skip
        events = await conversions.take_step(
            RecordConversionStep(proposed.payload["proposal_id"], step), operator()
        )
    successor = events[0].payload["successor_code"]

    after = registry_commands(CommandPipeline(store, catalog), PolicyBook([V1, stricter()]))
    await after.policies.publish_pack(PublishPolicyPack("ningbo"), operator())
    village_events = len(await store.read_stream(community_stream(code)))
    done = await after.policies.reevaluate(
        ReevaluateCommunities("ningbo", tuple([code, successor])), operator()
    )
    assert (done.communities, done.changed) == (1, 1)
    assert len(await store.read_stream(community_stream(code))) == village_events
    assert (await decision_of(store, successor))[1] == "2026.1"
