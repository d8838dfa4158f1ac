"""Migrations keep a checksum of each file as it ran: an edited migration is refused by name
before anything runs (it would otherwise be skipped in silence), and `wuding migrate
--status` shows which ran, when, which are pending and which were edited (issue 13, 4)."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path
from uuid import uuid4

import asyncpg
import pytest

from services.topology import database_url
from shared.db import MigrationEdited, ensure_database, migrate, migration_status
from tests.conftest import Stack, owner_url


async def fresh(stack: Stack) -> str:
    name = f"t_mig_{uuid4().hex[:12]}"
    await ensure_database(stack.admin_url, name)
    return database_url(stack.admin_url, name)


def states(statuses: list) -> dict[str, str]:  # type: ignore[type-arg]
    return {s.name: s.state for s in statuses}


async def test_an_edited_migration_is_refused_by_name_and_nothing_runs(
    stack: Stack, tmp_path: Path
) -> None:
    folder = tmp_path / "demo" / "migrations"
    folder.mkdir(parents=True)
    first, second = folder / "0001_things.sql", folder / "0002_more.sql"
    first.write_text("CREATE TABLE things (id int);\n", "utf-8")
    second.write_text("ALTER TABLE things ADD COLUMN name text;\n", "utf-8")
    url = await fresh(stack)
    assert await migrate(url, [first, second]) == ["demo/0001_things.sql", "demo/0002_more.sql"]
    assert states(await migration_status(url, [first, second])) == {
        "demo/0001_things.sql": "applied", "demo/0002_more.sql": "applied",
    }  # fmt: skip

    first.write_text("CREATE TABLE things (id bigint);\n", "utf-8")  # edited after it ran
    third = folder / "0003_index.sql"
    third.write_text("CREATE INDEX things_id ON things (id);\n", "utf-8")
    assert states(await migration_status(url, [first, second, third])) == {
        "demo/0001_things.sql": "edited", "demo/0002_more.sql": "applied",
        "demo/0003_index.sql": "pending",
    }  # fmt: skip
    with pytest.raises(MigrationEdited, match=re.escape("demo/0001_things.sql")):
        await migrate(url, [first, second, third])
    conn = await asyncpg.connect(url)
    try:  # the pending one did not run either
        assert not await conn.fetchval("SELECT to_regclass('things_id') IS NOT NULL")
        # A database migrated before checksums were kept: its migrations are "unrecorded"
        # until the next run records their files' checksums.
        await conn.execute("UPDATE schema_migrations SET sha256 = NULL")
    finally:
        await conn.close()
    first.write_text("CREATE TABLE things (id int);\n", "utf-8")  # restored
    assert set(states(await migration_status(url, [first, second])).values()) == {"unrecorded"}
    assert await migrate(url, [first, second, third]) == ["demo/0003_index.sql"]
    assert set(states(await migration_status(url, [first, second, third])).values()) == {"applied"}


async def test_wuding_migrate_status_lists_each_services_migrations(
    stack: Stack, registry_db: str
) -> None:
    owner = owner_url(stack, registry_db, "registry")
    command = [sys.executable, "-m", "services.cli", "migrate", "--status", "--service",
               "registry"]  # fmt: skip
    env = {**os.environ, "WUDING_DATABASE_URL": registry_db,
           "WUDING_MIGRATION_DATABASE_URL": owner}  # fmt: skip
    done = await asyncio.to_thread(subprocess.run, command, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    rows = [line.split() for line in done.stdout.splitlines()]
    assert ["registry", "applied", "shared/0001_kernel.sql"] == rows[0][:3]
    assert ["registry", "applied", "registry/0009_party_organisation.sql"] in [r[:3] for r in rows]
    assert all(r[1] == "applied" for r in rows) and len(rows) >= 14
