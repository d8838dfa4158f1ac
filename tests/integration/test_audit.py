"""The audit verifier names the exact event whose stored content no longer matches its hash."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import asyncpg

from shared.audit import verify
from shared.errors import StreamPosition
from shared.eventstore import EventStore, NewEvent
from shared.eventstore.store import head_of


async def _three_events(pool: asyncpg.Pool) -> list:
    store = EventStore(pool)
    first = await store.append("community-a", StreamPosition(), [NewEvent("T", 1, {"户数": 100})])
    rest = await store.append(
        "community-a",
        head_of(first),
        [NewEvent("T", 1, {"户数": 200}), NewEvent("T", 1, {"户数": 300})],
    )
    await store.append("community-b", StreamPosition(), [NewEvent("T", 1, {"户数": 1})])
    return first + rest


async def tamper(pool: asyncpg.Pool, sql: str, *args: object) -> None:
    """As a superuser would: switch the append-only triggers off for one statement."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")
        await conn.execute(sql, *args)


async def test_untouched_log_verifies_ok(pool: asyncpg.Pool) -> None:
    await _three_events(pool)
    async with pool.acquire() as conn:
        report = await verify(conn)
    assert report.ok
    assert (report.events_checked, report.streams_checked) == (4, 2)


async def test_altered_payload_is_named(pool: asyncpg.Pool) -> None:
    events = await _three_events(pool)
    target = events[1]
    await tamper(
        pool, """UPDATE events SET payload = '{"户数": 250}' WHERE event_id = $1""", target.event_id
    )
    async with pool.acquire() as conn:
        report = await verify(conn)
    assert not report.ok
    assert [(f.event_id, f.problem) for f in report.findings] == [
        (target.event_id, "stored content no longer matches its hash")
    ]


async def test_removed_event_breaks_the_chain_at_its_successor(pool: asyncpg.Pool) -> None:
    events = await _three_events(pool)
    await tamper(pool, "DELETE FROM events WHERE event_id = $1", events[1].event_id)
    async with pool.acquire() as conn:
        report = await verify(conn)
    assert {f.event_id for f in report.findings} == {events[2].event_id}


async def test_wuding_audit_verify_command(pool: asyncpg.Pool, registry_db: str) -> None:
    events = await _three_events(pool)
    env = {**os.environ, "WUDING_DATABASE_URL": registry_db}
    command = [sys.executable, "-m", "services.cli", "audit", "verify", "--service", "registry"]
    ok = await asyncio.to_thread(subprocess.run, command, env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("OK: 4 events in 2 streams")
    forged = """UPDATE events SET metadata = '{"actor": "forged"}' WHERE event_id = $1"""
    await tamper(pool, forged, events[0].event_id)
    bad = await asyncio.to_thread(subprocess.run, command, env=env, capture_output=True, text=True)
    assert bad.returncode == 1
    assert f"TAMPERED event {events[0].event_id}" in bad.stdout
    assert "FAILED (1 findings)" in bad.stdout
