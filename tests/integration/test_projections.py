"""Projections keep their checkpoint with their rows, and rebuild from zero to the same model."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from decimal import Decimal

import asyncpg

from services.registry.community.commands import RegisterCommunity, UpdateCommunityIndicators
from services.registry.community.events import Indicators
from services.registry.community.projections import CommunitiesProjection, SizeFindingsProjection
from services.registry.runtime import RegistryCommands, registry_catalog, registry_commands
from shared.commands import CommandContext
from shared.eventstore import EventStore
from shared.pipeline import CommandPipeline
from shared.projections import Projector, ProjectorGroup


def ctx() -> CommandContext:
    """A new command each time: reusing a context would reuse its command id (and replay)."""
    return CommandContext(actor_id="test", actor_kind="district", district="330211")


async def _register_some(pool: asyncpg.Pool, count: int) -> RegistryCommands:
    handlers = registry_commands(CommandPipeline(EventStore(pool), registry_catalog()))
    for i in range(1, count + 1):
        await handlers.communities.register_community(
            RegisterCommunity(
                f"测试{i}社区",
                f"330211004{i:03d}",
                "urban",
                "老城区社区",
                Indicators(households=1000 + i, residents=3000 + i, area_km2=Decimal("1.25")),
            ),
            ctx(),
        )
    first = await pool.fetchval("SELECT payload->>'code' FROM events ORDER BY position LIMIT 1")
    await handlers.communities.update_indicators(
        UpdateCommunityIndicators(
            first, 2, Indicators(households=4321, residents=9876, area_km2=Decimal("2.5"))
        ),
        ctx(),
    )
    return handlers


async def snapshot(pool: asyncpg.Pool) -> list[tuple]:
    return [tuple(r) for r in await pool.fetch("SELECT * FROM communities ORDER BY code")]


async def test_projector_applies_events_and_rebuild_gives_an_identical_model(
    pool: asyncpg.Pool,
) -> None:
    await _register_some(pool, 25)
    projector = Projector(pool, registry_catalog(), CommunitiesProjection(), batch_size=7)
    while await projector.run_once():
        pass
    before = await snapshot(pool)
    assert len(before) == 25
    updated = await pool.fetchrow(
        "SELECT households, tier, version, (SELECT count(*) FROM events WHERE stream_id ="
        " 'community-' || code) AS events FROM communities WHERE households = 4321"
    )
    # The update raised the score past the 较大 threshold (and past a size rule).
    assert (updated["households"], updated["tier"]) == (4321, "较大")
    assert updated["version"] == updated["events"]
    await pool.execute("UPDATE communities SET name = 'corrupted'")  # a damaged read model
    assert await projector.rebuild() == await pool.fetchval("SELECT count(*) FROM events")
    assert await snapshot(pool) == before
    assert await projector.run_once() == 0  # the checkpoint stands at the end of the log


async def test_checkpoint_and_rows_commit_together(pool: asyncpg.Pool) -> None:
    await _register_some(pool, 3)

    class Failing(CommunitiesProjection):
        calls = 0

        async def apply(self, conn: asyncpg.Connection, envelope) -> None:  # type: ignore[no-untyped-def]
            await super().apply(conn, envelope)
            Failing.calls += 1
            if Failing.calls == 3:
                raise ConnectionResetError("crash mid-batch")  # a fault of the moment

    projector = Projector(pool, registry_catalog(), Failing())
    try:
        await projector.run_once()
    except ConnectionResetError:
        pass
    assert await snapshot(pool) == []  # rows rolled back with the checkpoint
    assert (await projector.checkpoint()).position == 0
    # A fault of the moment is retried, never parked (docs/kernel.md).
    assert await pool.fetchval("SELECT count(*) FROM parked_events") == 0


async def test_wuding_projections_rebuild_command(pool: asyncpg.Pool, registry_db: str) -> None:
    await _register_some(pool, 4)
    projector = Projector(pool, registry_catalog(), CommunitiesProjection())
    await projector.run_once()
    before = await snapshot(pool)
    await pool.execute("DELETE FROM communities")  # a lost read model
    env = {**os.environ, "WUDING_DATABASE_URL": registry_db}
    command = [
        sys.executable,
        "-m",
        "services.cli",
        "projections",
        "rebuild",
        "--service",
        "registry",
    ]
    done = await asyncio.to_thread(subprocess.run, command, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    events = await pool.fetchval("SELECT count(*) FROM events")
    assert f"rebuilt communities from {events} events" in done.stdout
    assert await snapshot(pool) == before


async def test_read_your_writes_waits_on_its_own_batches_and_sees_another_replicas(
    pool: asyncpg.Pool,
) -> None:
    """A command's answer waits until the read model has applied it (`Projector.wait_for`):
    through the checkpoint this process's own batch committed, or, when another replica's
    projector applied the event and this one ran no batch, through the stored checkpoint; a
    checkpoint nobody reaches is False at the timeout, never a hang."""
    handlers = registry_commands(CommandPipeline(EventStore(pool), registry_catalog()))
    recorded = await handlers.communities.register_community(
        RegisterCommunity(
            "测试社区", "330211004001", "urban", "老城区社区",
            Indicators(households=1000, residents=3000, area_km2=Decimal("1.25")),
        ),
        ctx(),
    )  # fmt: skip
    target = recorded[-1].checkpoint

    def projector() -> Projector:
        return Projector(pool, registry_catalog(), CommunitiesProjection())

    other, idle = projector(), projector()
    assert not await idle.wait_for(target, timeout=0.2)  # nobody applied it yet
    assert await other.run_once() > 0  # another replica applies it
    assert await idle.wait_for(target, timeout=2.0)  # seen through the stored checkpoint

    later = await handlers.communities.update_indicators(
        UpdateCommunityIndicators(
            recorded[-1].payload["code"], recorded[-1].stream_version,
            Indicators(households=1001, residents=3000, area_km2=Decimal("1.25")),
        ),
        ctx(),
    )  # fmt: skip
    stop = asyncio.Event()
    running = asyncio.create_task(ProjectorGroup(pool, [idle]).run(stop))
    try:
        assert await asyncio.wait_for(idle.wait_for(later[-1].checkpoint, timeout=5.0), 6)
        assert idle._reached is not None and idle._reached >= later[-1].checkpoint
    finally:
        stop.set()
        idle.wake()
        await running


async def test_the_group_brings_a_projector_behind_up_to_the_one_ahead(
    pool: asyncpg.Pool,
) -> None:
    """A service's projectors run as one group (one batch for all): a projector far behind
    (new, or just rebuilt elsewhere) and one at the end share the group's reads, the one ahead
    applies nothing twice, and both end at the log's end."""
    handlers = await _register_some(pool, 3)
    ahead = Projector(pool, registry_catalog(), CommunitiesProjection())
    while await ahead.run_once():
        pass
    rows = await pool.fetch("SELECT code, version FROM communities ORDER BY code")
    behind = Projector(pool, registry_catalog(), SizeFindingsProjection())
    group = ProjectorGroup(pool, [ahead, behind], batch_size=2)  # several batches
    while await group.run_once():
        pass
    end = await pool.fetchval("SELECT max(position) FROM events")
    assert [(await p.checkpoint()).position for p in (ahead, behind)] == [end, end]
    assert await pool.fetch("SELECT code, version FROM communities ORDER BY code") == rows

    code = rows[0]["code"]
    later = await handlers.communities.update_indicators(
        UpdateCommunityIndicators(
            code, rows[0]["version"],
            Indicators(households=999, residents=3001, area_km2=Decimal("1.25")),
        ),
        ctx(),
    )  # fmt: skip
    stop = asyncio.Event()
    running = asyncio.create_task(group.run(stop))
    try:  # a command's read-your-writes wakes the group through any of its projectors
        assert await asyncio.wait_for(behind.wait_for(later[-1].checkpoint, timeout=5.0), 6)
        assert await ahead.wait_for(later[-1].checkpoint, timeout=1.0)
    finally:
        stop.set()
        group.wake()
        await running
    households = await pool.fetchval("SELECT households FROM communities WHERE code = $1", code)
    assert households == 999
