"""Registry command handlers on the in-memory event store: load → decide → save through the
kernel's command pipeline, no PostgreSQL (the composition `registry_commands` tests fill)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.registry.community.commands import (
    AlreadyRegistered,
    RegisterCommunity,
    UpdateCommunityIndicators,
)
from services.registry.community.events import Indicators, community_stream
from services.registry.grids.commands import CreateGrid
from services.registry.grids.model import GridFigures
from services.registry.runtime import RegistryCommands, registry_catalog, registry_commands
from shared.commands import CommandContext
from shared.errors import ConcurrencyConflict
from shared.eventstore.memory import MemoryEventStore
from shared.pipeline import CommandPipeline

REGISTRATION = RegisterCommunity(
    "勤勇社区", "330211004001", "urban", "老城区社区",
    Indicators(households=1200, residents=3400, area_km2=Decimal("1.25")),
)  # fmt: skip
MORE = Indicators(households=5000, residents=9000, area_km2=Decimal("2.5"))


def ctx() -> CommandContext:
    return CommandContext(actor_id="tester", actor_kind="district", district="330211")


@pytest.fixture
def store() -> MemoryEventStore:
    return MemoryEventStore()


@pytest.fixture
def woken() -> list[int]:
    return []


@pytest.fixture
def registry(store: MemoryEventStore, woken: list[int]) -> RegistryCommands:
    return registry_commands(
        CommandPipeline(store, registry_catalog(), wake=lambda: woken.append(1))
    )


async def test_registering_a_community_records_it_with_its_tier_under_the_commands_name(
    registry: RegistryCommands, store: MemoryEventStore, woken: list[int]
) -> None:
    """Guards: the metadata `command` field names the command (RegisterCommunity), not each
    event's class (it said CommunityTierAssigned on the tier decision); the pipeline wakes the
    readers once per saved command; a decision names its policy pack."""
    events = await registry.communities.register_community(REGISTRATION, ctx())
    types = [e.event_type for e in events]
    assert types[:2] == ["CommunityRegistered", "CommunityTierAssigned"]
    assert {e.metadata["command"] for e in events} == {"RegisterCommunity"}
    assert "policy_pack" in events[1].metadata and "policy_pack" not in events[0].metadata
    code = events[0].payload["code"]
    assert events[0].metadata["subject"] == code
    assert await store.read_stream(community_stream(code)) == events
    assert woken == [1]
    with pytest.raises(AlreadyRegistered):
        await registry.communities.register_community(REGISTRATION, ctx())


async def test_a_stale_expected_version_is_a_conflict_and_appends_nothing(
    registry: RegistryCommands, store: MemoryEventStore
) -> None:
    registered = await registry.communities.register_community(REGISTRATION, ctx())
    code = registered[0].payload["code"]
    update = UpdateCommunityIndicators(code, 1, MORE)
    with pytest.raises(ConcurrencyConflict):
        await registry.communities.update_indicators(update, ctx())
    assert await store.read_stream(community_stream(code)) == registered


async def test_a_repeated_command_id_replays_its_first_events(
    registry: RegistryCommands, store: MemoryEventStore
) -> None:
    """The retry comes after the stream moved on (its If-Match is stale now): it gets the
    first run's events back, and nothing is appended twice."""
    registered = await registry.communities.register_community(REGISTRATION, ctx())
    code, head = registered[0].payload["code"], registered[-1].stream_version
    update = UpdateCommunityIndicators(code, head, MORE)
    same = ctx()
    first = await registry.communities.update_indicators(update, same)
    again = await registry.communities.update_indicators(update, same)
    assert [e.event_id for e in again] == [e.event_id for e in first]
    assert {e.metadata["command"] for e in first} == {"UpdateCommunityIndicators"}
    assert len(await store.read_stream(community_stream(code))) == len(registered) + len(first)


async def test_a_grid_command_saves_through_the_pipeline_under_its_own_name(
    registry: RegistryCommands,
) -> None:
    registered = await registry.communities.register_community(REGISTRATION, ctx())
    code = registered[0].payload["code"]
    figures = GridFigures(households=300, population=900)
    events = await registry.grids.handle(
        CreateGrid(code, "一网格", "residential", figures, expected_version=len(registered)),
        ctx(),
    )
    assert events[0].event_type == "GridCreated"
    assert {e.metadata["command"] for e in events} == {"CreateGrid"}
