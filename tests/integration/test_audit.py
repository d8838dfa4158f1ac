"""The audit verifier names the exact event whose stored content no longer matches its hash.

Sealing (the verifier against signed seals: deleted last events and streams) is in
tests/integration/test_sealing.py.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from uuid import uuid4

import asyncpg

from services.topology import database_url
from shared.audit import verify
from shared.db import ensure_database, migrate, migration_files
from shared.errors import StreamPosition
from shared.eventstore import EventStore, NewEvent
from shared.eventstore.store import head_of
from tests.conftest import Stack, superuser_url


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


async def tamper(url: str, sql: str, *args: object) -> None:
    """As a superuser would (the service's own role cannot): switch the append-only triggers
    off for one statement. `url` is the superuser's (tests.conftest.superuser_url)."""
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute(sql, *args)
    finally:
        await conn.close()


async def test_untouched_log_verifies_ok(pool: asyncpg.Pool) -> None:
    await _three_events(pool)
    async with pool.acquire() as conn:
        report = await verify(conn)
    assert report.ok
    assert (report.events_checked, report.streams_checked) == (4, 2)


async def test_altered_payload_is_named(pool: asyncpg.Pool, stack: Stack, registry_db: str) -> None:
    events = await _three_events(pool)
    target = events[1]
    altered = """UPDATE events SET payload = '{"户数": 250}' WHERE event_id = $1"""
    await tamper(superuser_url(stack, registry_db), altered, target.event_id)
    async with pool.acquire() as conn:
        report = await verify(conn)
    assert not report.ok
    assert [(f.event_id, f.problem) for f in report.findings] == [
        (target.event_id, "stored content no longer matches its hash")
    ]


async def test_a_removed_middle_event_is_named_missing_not_blamed_on_its_successor(
    pool: asyncpg.Pool, stack: Stack, registry_db: str
) -> None:
    """Guards: deleting v2 of three was reported against v3 (whose link could not match)."""
    events = await _three_events(pool)
    await tamper(
        superuser_url(stack, registry_db), "DELETE FROM events WHERE event_id = $1",
        events[1].event_id,
    )  # fmt: skip
    async with pool.acquire() as conn:
        report = await verify(conn)
    assert [(f.kind, f.stream_id, f.stream_version, f.event_id) for f in report.findings] == [
        ("missing", "community-a", 2, None)
    ]


async def test_wuding_audit_verify_command(
    pool: asyncpg.Pool, stack: Stack, registry_db: str
) -> None:
    events = await _three_events(pool)
    env = {**os.environ, "WUDING_DATABASE_URL": registry_db}
    command = [sys.executable, "-m", "services.cli", "audit", "verify", "--service", "registry"]
    ok = await asyncio.to_thread(subprocess.run, command, env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("OK: 4 events in 2 streams")
    forged = """UPDATE events SET metadata = '{"actor": "forged"}' WHERE event_id = $1"""
    await tamper(superuser_url(stack, registry_db), forged, events[0].event_id)
    bad = await asyncio.to_thread(subprocess.run, command, env=env, capture_output=True, text=True)
    assert bad.returncode == 1
    assert f"ALTERED event {events[0].event_id}" in bad.stdout
    assert "FAILED (1 findings)" in bad.stdout


async def test_events_written_before_the_json_migration_still_verify(stack: Stack) -> None:
    """Migration 0003 turned payload and metadata from jsonb into json: rows written under
    jsonb hold jsonb's formatting of the same values, and their hashes still verify."""
    kernel = migration_files(None)
    before = [f for f in kernel if f.name < "0003"]
    name = f"t_json_{uuid4().hex[:12]}"
    await ensure_database(stack.admin_url, name)
    url = database_url(stack.admin_url, name)
    await migrate(url, before)
    pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
    try:
        await _three_events(pool)
        stored = await pool.fetchval("SELECT payload::text FROM events ORDER BY position LIMIT 1")
        assert stored == '{"户数": 100}'  # jsonb's formatting, not the canonical text
        assert (await migrate(url, kernel))[0] == "shared/0003_events_json.sql"  # then later ones
        assert (
            await pool.fetchval(
                "SELECT data_type FROM information_schema.columns"
                " WHERE table_name = 'events' AND column_name = 'payload'"
            )
            == "json"
        )
        async with pool.acquire() as conn:
            report = await verify(conn)
        assert report.events_checked == 4 and report.ok
    finally:
        await pool.close()
