"""An event a projection cannot apply is parked with the reason; nothing else stops.

Guards issue 8 §1 (defence in depth): on main, one event the communities projection could not
store (a full-width division code breaking its CHECK) failed the batch for ever, so every later
registration of every district answered 202 then 404, `wuding projections rebuild` failed on
the same event, and the health report said nothing.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from decimal import Decimal
from typing import Any
from uuid import uuid4

import aiohttp
import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from prometheus_client import REGISTRY

from services.registry.app import create_app
from services.registry.community.commands import RegisterCommunity, UpdateCommunityIndicators
from services.registry.community.events import Indicators
from services.registry.runtime import (
    Registry,
    RegistryCommands,
    registry_catalog,
    registry_commands,
)
from shared.cloudevents import IncomingEvent
from shared.commands import CommandContext
from shared.errors import StreamPosition
from shared.eventstore import EventStore, NewEvent
from shared.inbox import InboxConsumer, PerEvent
from shared.kafka import ensure_topics
from shared.pipeline import CommandPipeline
from shared.projections import Projector
from shared.settings import KernelSettings
from tests.conftest import Stack, owner_url
from tests.integration.asgi_server import running
from tests.integration.kafka_helpers import read_topic
from tests.integration.test_inbox import cloudevent, until

BAD_CODE = "３３０２１１００４９９９"  # full-width: the read model's CHECK wants [0-9]


def ctx() -> CommandContext:
    return CommandContext(actor_id="test", actor_kind="district", district="330211")


def indicators(households: int = 1000) -> Indicators:
    return Indicators(households=households, residents=3000, area_km2=Decimal("1.25"))


async def register(handlers: RegistryCommands, division: str) -> str:
    cmd = RegisterCommunity("测试社区", division, "urban", "老城区社区", indicators())
    events = await handlers.communities.register_community(cmd, ctx())
    return str(events[0].payload["code"])


async def poison(store: EventStore) -> str:
    """Hand-insert what main appended for a full-width division code: two events on a stream
    whose registration the communities table cannot hold (the validators would refuse it)."""
    code = BAD_CODE + "10001"
    payload: dict[str, Any] = {
        "code": code, "name": "坏社区", "division_code": BAD_CODE, "major_type": "urban",
        "subtype": "老城区社区", "has_residents_committee": True, "service_centre_name": None,
        "households": 1, "residents": 1, "area_km2": "1",
    }  # fmt: skip
    updated = {"code": code, "households": 2, "residents": 2, "area_km2": "1"}
    meta = {"subject": code}
    stream = f"community-{code}"
    first = await store.append(
        stream, StreamPosition(), [NewEvent("CommunityRegistered", 1, payload, meta)]
    )
    await store.append(
        stream,
        StreamPosition(1, first[0].hash),
        [NewEvent("CommunityIndicatorsUpdated", 1, updated, meta)],
    )
    return code


async def catch_up(all_projectors: list[Projector]) -> None:
    for projector in all_projectors:
        while await projector.run_once():
            pass


async def parked(pool: asyncpg.Pool) -> list[tuple[str, str, bool]]:
    rows = await pool.fetch(
        "SELECT reader, event_type, held_behind IS NOT NULL AS held, error FROM parked_events"
        " ORDER BY stream_version"
    )
    return [(r["reader"], r["event_type"], r["held"]) for r in rows]


async def as_owner(stack: Stack, registry_db: str, sql: str) -> None:
    """DDL is a migration's work: the service role may not change its tables' shape."""
    owner = await asyncpg.connect(owner_url(stack, registry_db, "registry"))
    try:
        await owner.execute(sql)
    finally:
        await owner.close()


@pytest.mark.parametrize("together", [False, True], ids=["each-alone", "as-the-group"])
async def test_a_poisoned_projection_parks_the_event_and_everything_else_goes_on(
    pool: asyncpg.Pool, stack: Stack, registry_db: str, together: bool
) -> None:
    """Each projector alone, or as the service runs them (one batch for all, shared/
    projections.py ProjectorGroup: the group's batch rolls back and each runs its own)."""
    handlers = registry_commands(CommandPipeline(EventStore(pool), registry_catalog()))
    before = await register(handlers, "330211004101")
    bad = await poison(handlers.policies.pipeline.store)
    after = await register(handlers, "330211004102")  # a later registration, another district
    await handlers.communities.update_indicators(
        UpdateCommunityIndicators(after, 2, indicators(1500)), ctx()
    )
    runtime = Registry(KernelSettings(service="registry", relay_enabled=False), pool)
    all_projectors = runtime.projectors
    if together:
        while await runtime.projections.run_once():
            pass
    else:
        await catch_up(all_projectors)

    codes = {r["code"] for r in await pool.fetch("SELECT code FROM communities")}
    assert codes == {before, after}  # the good communities are there, the later one too
    assert await pool.fetchval("SELECT households FROM communities WHERE code = $1", after) == 1500
    # The failed event, and the later event of its stream held behind it, nothing else.
    assert await parked(pool) == [
        ("projection:communities", "CommunityRegistered", False),
        ("projection:communities", "CommunityIndicatorsUpdated", True),
    ]
    error = await pool.fetchval("SELECT error FROM parked_events WHERE held_behind IS NULL")
    assert error.startswith("CheckViolationError") and "check constraint" in error
    assert "坏社区" not in error  # the row itself is not quoted (PostgreSQL's DETAIL line)
    gauge = REGISTRY.get_sample_value("wuding_parked_events", {"reader": "projection:communities"})
    assert gauge == 2
    # Every projection's checkpoint reached the end of the log: none is stuck.
    end = await pool.fetchval("SELECT max(position) FROM events")
    for projector in all_projectors:
        assert (await projector.checkpoint()).position == end

    # The cause is fixed (here: the constraint; in life, an upcaster or a projection fix):
    # retry re-applies both parked events in order.
    await as_owner(
        stack,
        registry_db,
        "ALTER TABLE communities DROP CONSTRAINT communities_code_check,"
        " DROP CONSTRAINT communities_division_code_check",
    )
    communities = all_projectors[0]
    assert await communities.retry() == (2, 0)
    row = await pool.fetchrow("SELECT households, version FROM communities WHERE code = $1", bad)
    assert (row["households"], row["version"]) == (2, 2)
    assert await parked(pool) == []


async def test_rebuild_parks_what_it_cannot_apply_instead_of_failing(
    pool: asyncpg.Pool, registry_db: str
) -> None:
    handlers = registry_commands(CommandPipeline(EventStore(pool), registry_catalog()))
    good = await register(handlers, "330211004201")
    await poison(handlers.policies.pipeline.store)
    env = {**os.environ, "WUDING_DATABASE_URL": registry_db}
    cli = [sys.executable, "-m", "services.cli", "projections"]
    rebuilt = await asyncio.to_thread(
        subprocess.run, [*cli, "rebuild", "--service", "registry"],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert await pool.fetchval("SELECT array_agg(code) FROM communities") == [good]
    assert len(await parked(pool)) == 2
    status = await asyncio.to_thread(
        subprocess.run, [*cli, "status", "--service", "registry"],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    # Exit 1: something is parked; the operator sees which projection, event and why.
    assert status.returncode == 1, status.stderr
    assert "communities" in status.stdout and "CheckViolationError" in status.stdout
    assert "2 parked" in status.stdout


async def test_the_health_report_shows_parked_events_and_readiness_holds(
    pool: asyncpg.Pool, registry_db: str
) -> None:
    handlers = registry_commands(CommandPipeline(EventStore(pool), registry_catalog()))
    await poison(handlers.policies.pipeline.store)
    settings = KernelSettings(
        service="registry", database_url=registry_db, relay_enabled=False,
        poll_interval_seconds=0.05,
    )  # fmt: skip
    async with running(create_app(settings)) as url, aiohttp.ClientSession() as http:
        for _ in range(100):
            async with http.get(f"{url}/healthz") as r:
                health = await r.json()
            if health.get("parked"):
                break
            await asyncio.sleep(0.05)
        async with http.get(f"{url}/readyz") as r:
            ready_status, ready = r.status, await r.json()
    communities = health["parked"]["projection:communities"]
    assert (communities["parked"], communities["failed"]) == (2, 1)
    assert communities["oldest"]["event_type"] == "CommunityRegistered"
    assert communities["oldest"]["error"].startswith("CheckViolationError")
    assert ready_status == 200 and ready["parked"] == health["parked"]


async def test_a_consumer_parks_and_dead_letters_an_event_it_cannot_apply_and_goes_on(
    pool: asyncpg.Pool, stack: Stack, registry_db: str
) -> None:
    """On main a handler error that is not a PoisonEvent (here a CHECK the effect breaks) was
    retried for ever: the consumer stalled on it and never reached the next event."""
    topic, name = f"in-{uuid4().hex[:6]}.events", f"consumer-{uuid4().hex[:6]}"
    await as_owner(stack, registry_db, "CREATE TABLE effects (event_id uuid, n int CHECK (n >= 0))")

    async def handler(conn: asyncpg.Connection, event: IncomingEvent) -> None:
        await conn.execute("INSERT INTO effects VALUES ($1, $2)", event.event_id, event.data["n"])

    consumer = InboxConsumer(
        pool,
        name=name,
        topics=[topic],
        handler=PerEvent(handler),
        bootstrap_servers=stack.bootstrap_servers,
    )
    await ensure_topics(stack.bootstrap_servers, topic)
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap_servers)
    await producer.start()
    bad, good = str(uuid4()), str(uuid4())
    try:
        for event_id, n in [(bad, -1), (good, 2)]:
            value, headers = cloudevent(event_id, n)
            await producer.send_and_wait(topic, value, key=b"k", headers=headers)
        await consumer.start()
        dead = await read_topic(stack.bootstrap_servers, f"{name}.dlt", expect=1)
        await until(lambda: pool.fetchval("SELECT count(*) = 1 FROM effects"))
    finally:
        await consumer.stop()
        await producer.stop()
    assert [str(r["event_id"]) for r in await pool.fetch("SELECT event_id FROM effects")] == [good]
    row = await pool.fetchrow("SELECT reader, event_id, error FROM parked_events")
    assert (row["reader"], str(row["event_id"])) == (f"consumer:{name}", bad)
    assert row["error"].startswith("CheckViolationError")
    reason = dict((k, v.decode()) for k, v in dead[0].headers)["dlt_reason"]
    assert reason == row["error"]
