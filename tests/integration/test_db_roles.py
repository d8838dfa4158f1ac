"""The database itself holds the service to its log: least privilege, not convention.

Guards: every service connected as the PostgreSQL superuser (and in deploy/k8s as the owner of
its tables), so it could `ALTER TABLE events DISABLE TRIGGER` and rewrite history. Now the
service's role may only SELECT and INSERT on `events`; the owner role runs the migrations.
The rest of the suite runs as the service role too (tests/conftest.py: new_database).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from uuid import uuid4

import asyncpg
import pytest

from services.topology import SERVICES, database_url, prepare_database
from shared.db import (
    create_pool,
    ensure_database,
    ensure_role,
    excess_privileges,
    migrate,
    role_of,
    with_role,
)
from shared.errors import StreamPosition
from shared.eventstore import EventStore, NewEvent
from tests.conftest import ROLE_PASSWORDS, Stack, new_database, owner_url, superuser_url

REFUSED = [
    "UPDATE events SET payload = '{}'",
    "DELETE FROM events",
    "TRUNCATE events",
    "ALTER TABLE events DISABLE TRIGGER events_append_only_rows",
    "ALTER TABLE events DISABLE TRIGGER ALL",
    "DROP TRIGGER events_append_only_rows ON events",
    "DROP TABLE events",
    "SET session_replication_role = replica",
    "CREATE TABLE shadow_events (LIKE events)",
    "INSERT INTO schema_migrations (name) VALUES ('forged')",
]


async def test_the_service_connects_as_its_own_role_which_owns_nothing(
    pool: asyncpg.Pool, registry_db: str
) -> None:
    assert role_of(registry_db) == SERVICES["registry"].service_role
    assert await pool.fetchval("SELECT current_user") == "wuding_registry"
    assert not await pool.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    owned = await pool.fetchval(
        "SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles"
        " WHERE rolname = current_user)"
    )
    assert owned == 0
    owner = await pool.fetchval("SELECT tableowner FROM pg_tables WHERE tablename = 'events'")
    assert owner == SERVICES["registry"].owner_role


@pytest.mark.parametrize("statement", REFUSED)
async def test_the_service_role_cannot_change_or_unprotect_its_log(
    pool: asyncpg.Pool, statement: str
) -> None:
    store = EventStore(pool)
    [appended] = await store.append("s-roles", StreamPosition(), [NewEvent("T", 1, {"n": 1})])
    # Refused by the grants, not only by the triggers (which say "append-only").
    with pytest.raises(
        asyncpg.InsufficientPrivilegeError, match=r"permission denied|must be owner"
    ):
        await pool.execute(statement)
    [again] = await store.read_stream("s-roles")  # it can still append and read
    assert again.hash == appended.hash
    assert await pool.fetchval("SELECT count(*) FROM events") == 1


async def test_tables_of_later_migrations_are_granted_and_append_only_ones_stay_so(
    stack: Stack, registry_db: str, pool: asyncpg.Pool
) -> None:
    """Default privileges: a table the owner creates later is the service's to use, while a
    table with refusing triggers (like `events`) is only readable and appendable."""
    conn = await asyncpg.connect(owner_url(stack, registry_db, "registry"))
    try:
        await conn.execute("CREATE TABLE later_read_model (id int PRIMARY KEY)")
    finally:
        await conn.close()
    await pool.execute("INSERT INTO later_read_model VALUES (1)")
    await pool.execute("TRUNCATE later_read_model")  # a projection rebuild
    admin = await asyncpg.connect(superuser_url(stack, registry_db))
    try:
        granted = await admin.fetch(
            "SELECT privilege_type FROM information_schema.role_table_grants"
            " WHERE grantee = 'wuding_registry' AND table_name = 'events' ORDER BY 1"
        )
    finally:
        await admin.close()
    assert [r[0] for r in granted] == ["INSERT", "SELECT"]


async def test_the_gateway_role_may_only_append_to_its_command_audit(stack: Stack) -> None:
    url = await new_database(stack, "gateway")
    conn = await asyncpg.connect(url)
    try:
        assert await conn.fetchval("SELECT current_user") == "wuding_gateway"
        await conn.execute(
            "INSERT INTO command_audit (client_id, client_kind, method, path, status)"
            " VALUES ('c', 'district', 'POST', '/v1/x', 201)"
        )
        for statement in ("UPDATE command_audit SET status = 200", "TRUNCATE command_audit"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
                await conn.execute(statement)
        await conn.execute("DELETE FROM idempotency_keys")  # the sweep may delete these
    finally:
        await conn.close()


async def test_wuding_migrate_runs_as_the_owner_and_grants_the_service_role(
    stack: Stack,
) -> None:
    """The k8s init container's way: the owner's URL to migrate, the service's to grant."""
    spec = SERVICES["registry"]
    name = f"t_cli_{uuid4().hex[:12]}"
    for role in (spec.owner_role, spec.service_role):
        await ensure_role(stack.admin_url, role, ROLE_PASSWORDS.setdefault(role, "pw-" + role))
    await ensure_database(stack.admin_url, name, owner=spec.owner_role)
    owner = with_role(stack.admin_url, name, spec.owner_role, ROLE_PASSWORDS[spec.owner_role])
    service = with_role(stack.admin_url, name, spec.service_role,
                        ROLE_PASSWORDS[spec.service_role])  # fmt: skip
    command = [sys.executable, "-m", "services.cli", "migrate", "--service", "registry"]

    def run(**env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True)

    refused = await asyncio.to_thread(run, WUDING_ENV="production", WUDING_DATABASE_URL=service)
    assert refused.returncode == 2 and "WUDING_MIGRATION_DATABASE_URL" in refused.stderr
    done = await asyncio.to_thread(
        run, WUDING_DATABASE_URL=service, WUDING_MIGRATION_DATABASE_URL=owner
    )
    assert done.returncode == 0, done.stderr
    conn = await asyncpg.connect(service)
    try:
        await conn.execute(
            "INSERT INTO events (event_id, stream_id, stream_version, event_type,"
            " schema_version, payload, metadata, recorded_at, hash)"
            " VALUES (gen_random_uuid(), 's', 1, 'T', 1, '{}', '{}', now(), '\\x00')"
        )
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
            await conn.execute("DELETE FROM events")
    finally:
        await conn.close()


async def test_a_production_service_refuses_a_role_that_could_rewrite_its_log(
    stack: Stack, registry_db: str
) -> None:
    pool = await create_pool(registry_db, min_size=1, max_size=1, least_privilege=True)
    await pool.close()  # its own role: fine
    for url in (superuser_url(stack, registry_db), owner_url(stack, registry_db, "registry")):
        with pytest.raises(PermissionError, match="may UPDATE events") as refused:
            await create_pool(url, min_size=1, max_size=1, least_privilege=True)
    assert "owns " in str(refused.value)


async def test_a_database_made_before_roles_is_handed_over_to_the_owner(stack: Stack) -> None:
    """An embedded data directory from before: tables and functions owned by the superuser.
    `wuding run` (prepare_database) hands them to the owner and grants the service role."""
    spec = SERVICES["registry"]
    name = f"t_old_{uuid4().hex[:12]}"
    await ensure_database(stack.admin_url, name)
    old_url = database_url(stack.admin_url, name)
    await migrate(old_url, spec.migrations)  # the old way: as the superuser, no roles
    urls = await prepare_database(stack.admin_url, spec, name, ROLE_PASSWORDS)
    conn = await asyncpg.connect(urls.service)
    try:
        await conn.execute(
            "INSERT INTO events (event_id, stream_id, stream_version, event_type,"
            " schema_version, payload, metadata, recorded_at, hash)"
            " VALUES (gen_random_uuid(), 's', 1, 'T', 1, '{}', '{}', now(), '\\\\x00')"
        )
        owners = await conn.fetch(
            "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class"
            " WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'"
            " UNION SELECT DISTINCT pg_get_userbyid(proowner) FROM pg_proc"
            " WHERE pronamespace = 'public'::regnamespace"
        )
        assert [r[0] for r in owners] == [spec.owner_role]
        assert await excess_privileges(conn) == []
    finally:
        await conn.close()
